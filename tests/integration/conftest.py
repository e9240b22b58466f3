"""Shared fixtures for tock's integration tests.

Every daemon a test starts is started here, by PID, and stopped here. Ports are random high
ports checked free on both loopback addresses; tests that need port 123 or other hosts run
inside network namespaces they create (and delete). Nothing here touches the real clock:
tockd always runs with -x (or, later, on its simulated clock with CAP_SYS_TIME removed).
"""
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid

import pytest

from tockutil import ntp_query  # noqa: F401  (re-exported for tests)

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("TOCK_BUILD", REPO / "build"))
TOCKD = BUILD / "tockd"
TOCKCTL = BUILD / "tockctl"

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer")

# TOCK_TEST_USER=nobody runs every daemon of the suite as root dropping to that user (the
# `user` directive) with the seccomp filter on (-F 1), so the whole suite proves the
# privilege drop and the filter with real traffic. make check sets it in one pass.
TEST_USER = os.environ.get("TOCK_TEST_USER") or None


def is_root():
    return os.geteuid() == 0


needs_root = pytest.mark.skipif(not is_root(), reason="needs root (network namespaces)")


def free_udp_port():
    """A random high UDP port that nothing is bound to on 127.0.0.1 or ::1."""
    for _ in range(200):
        port = random.randint(20000, 60000)
        socks = []
        try:
            for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                s = socket.socket(fam, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((addr, port))
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(t)
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")


class Daemon:
    """A tockd process started by a test; stopped by PID at the end of the test."""

    def __init__(self, args, workdir, netns=None, env=None, wrapper=()):
        self.args = args
        self.workdir = workdir
        self.netns = netns
        self.log_path = workdir / "tockd.log"
        self.log_file = open(self.log_path, "w")
        cmd = list(wrapper) + [str(TOCKD)] + args
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     cwd=workdir, env=full_env)
        self.returncode = None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_log(self, pattern, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if re.search(pattern, text):
                return text
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"tockd log never matched {pattern!r}:\n{self.log()}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("tockd did not exit on SIGTERM within %.0f s" % timeout)
        self.returncode = self.proc.returncode
        self.log_file.close()
        return self.returncode

    def check_sanitizers(self):
        text = self.log()
        for marker in SANITIZER_MARKERS:
            assert marker not in text, f"sanitizer report in tockd log:\n{text}"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """TOCK_TEST_USER mode: the temp dirs live in a base dir of this session's own, not in
    /tmp/pytest-of-root, which every new pytest session resets to 0700 - that would lock
    the test user out of a running session's files."""
    if TEST_USER and is_root() and not config.option.basetemp:
        base = pathlib.Path("/tmp") / f"tock-test-user-{os.getpid()}"
        config.option.basetemp = str(base)
        config._tock_basetemp = base


def pytest_unconfigure(config):
    base = getattr(config, "_tock_basetemp", None)
    if base:
        shutil.rmtree(base, ignore_errors=True)


def make_parents_searchable(path):
    """Every directory above PATH gets search permission for group and others."""
    for parent in pathlib.Path(path).parents:
        st = parent.stat()
        if not st.st_mode & 0o001:
            os.chmod(parent, (st.st_mode & 0o7777) | 0o011)


def open_to_test_user(path):
    """TOCK_TEST_USER mode: PATH (a test's temp dir) becomes the test user's, and every
    directory above it searchable, so tockd can write its driftfile, socket and logs there
    after dropping root. (pytest makes its temp dirs 0700 root.)"""
    import pwd
    pw = pwd.getpwnam(TEST_USER)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    make_parents_searchable(path)
    return pw


def _tree(path):
    """PATH and, for a directory, everything below it."""
    path = pathlib.Path(path)
    return [path] + (list(path.rglob("*")) if path.is_dir() else [])


def give_to_test_user(*paths):
    """TOCK_TEST_USER mode: files and directories a test prepares for tockd before starting
    it (a dumpdir) become the test user's, recursively, as an operator would prepare them
    for the daemon's user. Otherwise nothing changes."""
    if not (TEST_USER and is_root()):
        return
    import pwd
    pw = pwd.getpwnam(TEST_USER)
    for path in paths:
        for p in _tree(path):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        make_parents_searchable(path)


def share_with_test_user(*paths):
    """TOCK_TEST_USER mode: secrets a test prepares (a keyfile, certificates and their
    directory) become readable, not writable, by the test user: root:GROUP, 0640 files and
    0750 directories, the layout tockd's own warnings recommend. Otherwise nothing changes."""
    if not (TEST_USER and is_root()):
        return
    import pwd
    gid = pwd.getpwnam(TEST_USER).pw_gid
    for path in paths:
        for p in _tree(path):
            os.chown(p, 0, gid)
            os.chmod(p, 0o750 if p.is_dir() else 0o640)
        make_parents_searchable(path)


def daemon_owner():
    """(user, group) names the daemons of this run write their files as: the test user
    and its primary group in TOCK_TEST_USER mode, root otherwise."""
    if not (TEST_USER and is_root()):
        return "root", "root"
    import grp
    import pwd
    pw = pwd.getpwnam(TEST_USER)
    return pw.pw_name, grp.getgrgid(pw.pw_gid).gr_name


def as_test_user_args(args, text):
    """The config text and arguments of a daemon in TOCK_TEST_USER mode. Otherwise, as root,
    a daemon without a `user` line stays root (`user root`, as chronyd -u root in tests):
    tockd's compiled-in default user `tock` does not exist on a test machine."""
    if not is_root():
        return list(args), text
    if not TEST_USER:
        if not re.search(r"^\s*user\s", text, re.M):
            text += "\nuser root\n"
        return list(args), text
    if not re.search(r"^\s*user\s", text, re.M):
        text += f"\nuser {TEST_USER}\n"
    args = list(args)
    if "-F" not in args:
        args += ["-F", "1"]
    return args, text


@pytest.fixture
def tockd(tmp_path, netns):  # netns first: namespaces outlive the daemons started in them
    """Factory: tockd(config_text, extra_args=(), netns=None) -> running Daemon.

    The config gets a pidfile and a Unix command socket in the test's temp dir unless it
    sets them. Every daemon is stopped at the end and must exit 0 with no sanitizer report.
    """
    started = []

    def start(config, args=("-d", "-x"), netns=None, wait=r"tockd \S+ starting", env=None,
              expect_running=True, wrapper=()):
        workdir = tmp_path / f"tockd{len(started)}"
        workdir.mkdir()
        rundir = workdir / "run"
        rundir.mkdir(mode=0o770)
        os.chmod(rundir, 0o770)
        text = config
        if "pidfile" not in text:
            text += f"\npidfile {rundir}/tockd.pid\n"
        if "bindcmdaddress /" not in text:
            text += f"\nbindcmdaddress {rundir}/tockd.sock\n"
        args, text = as_test_user_args(args, text)
        if TEST_USER and is_root():
            pw = open_to_test_user(tmp_path)
            for path in (workdir, rundir):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        conf = workdir / "tock.conf"
        conf.write_text(text)
        d = Daemon(list(args) + ["-f", str(conf)], workdir, netns=netns, env=env,
                   wrapper=wrapper)
        d.conf_path = conf
        d.socket = rundir / "tockd.sock"
        started.append(d)
        if expect_running and wait:
            d.wait_log(wait)
        return d

    yield start
    # Stop every daemon first, then report: an assertion about one must never leave the
    # others running.
    errors = []
    for d in started:
        was_running = d.alive()
        try:
            rc = d.stop()
        except AssertionError as e:
            errors.append(str(e))
            continue
        if was_running and rc != 0:
            errors.append(f"tockd exited {rc} on SIGTERM:\n{d.log()}")
    for d in started:
        try:
            d.check_sanitizers()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


@pytest.fixture
def netns():
    """Factory: netns() -> name of a new network namespace with loopback up; deleted (with
    everything this test started in it) at the end."""
    created = []

    def make():
        if not is_root():
            pytest.skip("needs root (network namespaces)")
        name = f"tock-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        created.append(name)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        return name

    yield make
    for name in created:
        # Kill any process still in the namespace (only ones this test started live there).
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", name], check=False)


def require_tool(name):
    if shutil.which(name) is None:
        pytest.skip(f"{name} not installed")
