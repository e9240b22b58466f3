"""Proofs of tockd's hardening (issue 7, doc/security.md): the privilege drop seen in
/proc/PID/status, capabilities kept (CAP_SYS_TIME only, inside a user namespace where the
kernel refuses to let it touch the real clock), -U as the systemd unit starts it, the seccomp
filter killing a forbidden call, sd_notify, directory creation and the file checks.

Nothing here can move this machine's clock: every daemon that may adjust it runs inside a
user namespace (whose CAP_SYS_TIME the kernel ignores for the real clock) with the clock shim
preloaded on top, and the only clock call made directly is a request the kernel must refuse
(ADJ_TICK with an impossible tick)."""
import os
import pathlib
import platform
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, REPO, TOCKCTL, free_udp_port, is_root, needs_root
from hardening_util import (CAP_SYS_TIME, CLOCK_PROBE, NOBODY, NS_WRAPPER, SIGSYS,
                            UNIT_CAPS_WRAPPER, NotifyListener, caps, children, ids, map_ids,
                            open_for_daemon, status, wait_until)
from tockutil import ntp_query

SAN = os.environ.get("TOCK_SAN") == "1"


@pytest.fixture
def tmp_path():
    """These tests' temp dir (also the tockd fixture's): outside pytest's 0700 tree, which a
    pytest session started meanwhile resets to 0700 - locking out a daemon that dropped root
    to nobody."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="tock-hardening-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def nobody():
    try:
        return pwd.getpwnam(NOBODY)
    except KeyError:
        pytest.skip("no user nobody on this machine")


def tockctl(sock, *args):
    return subprocess.run([str(TOCKCTL), "-h", str(sock), *args], capture_output=True,
                          text=True, timeout=10)


def shim_env(tmp_path, owner=None):
    """LD_PRELOAD of the clock shim (tests/shim/clockshim.c): every clock adjustment is
    answered by a fake kernel and recorded, never made."""
    shim = BUILD / "tests" / "libclockshim.so"
    if not shim.exists():
        pytest.skip("clock shim not built (make shim)")
    log = tmp_path / "shim.log"
    log.touch()
    if owner:
        os.chown(log, owner.pw_uid, owner.pw_gid)
    preload = str(shim)
    if SAN:
        asan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                              text=True).stdout.strip()
        preload = asan + ":" + preload
    return {"LD_PRELOAD": preload, "CLOCKSHIM_LOG": str(log), "ASAN_OPTIONS": "detect_leaks=0"}, log


def assert_no_privileges(st, uid, gid):
    assert ids(st, "Uid") == [uid] * 4, st["Uid"]
    assert ids(st, "Gid") == [gid] * 4, st["Gid"]
    for key in ("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"):
        assert caps(st, key) == 0, (key, st[key])
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"


def base_config(tmp_path, port, extra=""):
    """Serving on 127.0.0.1:PORT; socket, pidfile and state in directories tockd creates."""
    return (f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 10\n"
            f"cmdport 0\nbindcmdaddress {tmp_path}/run/tockd.sock\n"
            f"pidfile {tmp_path}/run/tockd.pid\n" + extra)


# ---- root -> user, -x: no capability at all, in the main process and the resolver -------


@needs_root
def test_root_drops_to_user_with_no_capability_under_x(tockd, tmp_path):
    """tockd -n -x started as root with `user nobody` (and a source given by name, so the
    resolver helper runs): both processes end as nobody, no capability in any set,
    no_new_privs, seccomp filter mode; the daemon still serves NTP and the command socket,
    and the resolver resolves under its own filter."""
    pw = nobody()
    open_for_daemon(tmp_path)
    notify = NotifyListener(tmp_path)
    port = free_udp_port()
    conf = base_config(tmp_path, port,
                       f"user {NOBODY}\nserver localhost port {free_udp_port()} iburst\n"
                       f"driftfile {tmp_path}/state/tock.drift\nlogdir {tmp_path}/log\n")
    logfile = tmp_path / "tockd-l.log"
    d = tockd(conf, args=["-n", "-x", "-l", str(logfile)], env=notify.env(),
              expect_running=False)
    notify.expect("READY=1", log=lambda: d.log() + (logfile.read_text() if logfile.exists()
                                                    else ""))
    log = logfile.read_text()
    assert f"running as user {NOBODY} (uid {pw.pw_uid}, gid {pw.pw_gid}), capabilities: none" \
        in log, log
    st = status(d.proc.pid)
    assert_no_privileges(st, pw.pw_uid, pw.pw_gid)
    helpers = children(d.proc.pid)
    assert len(helpers) == 1, helpers
    assert_no_privileges(status(helpers[0]), pw.pw_uid, pw.pw_gid)
    # Still doing its job: NTP, the command socket (bound after the drop), name resolution.
    assert ntp_query("127.0.0.1", port)["stratum"] == 10
    assert tockctl(tmp_path / "run/tockd.sock", "tracking").returncode == 0
    sources = wait_until(lambda: re.search(r"(127\.0\.0\.1|::1)",
                                           tockctl(tmp_path / "run/tockd.sock", "-n",
                                                   "sources").stdout), 10)
    assert sources, tockctl(tmp_path / "run/tockd.sock", "-n", "sources").stdout
    # The directories it created as root belong to the user, with chronyd's modes.
    for sub, mode in (("run", 0o770), ("state", 0o750), ("log", 0o750)):
        s = (tmp_path / sub).stat()
        assert (s.st_uid, s.st_gid, s.st_mode & 0o7777) == (pw.pw_uid, pw.pw_gid, mode), sub
    sock = (tmp_path / "run/tockd.sock").stat()
    assert (sock.st_uid, sock.st_mode & 0o777) == (pw.pw_uid, 0o660)
    d.stop()
    assert d.returncode == 0
    assert not (tmp_path / "run/tockd.pid").exists(), "the pidfile outlived the daemon"
    notify.collect(0.2)
    assert "STOPPING=1" in notify.received, notify.received


# ---- CAP_SYS_TIME: kept, exactly, and harmless inside a user namespace ---------------------


def require_unshare():
    if not is_root():
        pytest.skip("needs root (user namespace with the identity map)")
    for tool in ("unshare", "ip", "setpriv"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            pytest.skip(f"{tool} not installed")


def run_probe(pid=None):
    """CLOCK_PROBE in the init namespaces, or entered into the namespaces of PID."""
    cmd = ["/usr/bin/python3", "-c", CLOCK_PROBE]
    if pid:
        cmd = ["nsenter", "--user", "--net", "-t", str(pid), "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()


@needs_root
def test_clock_control_keeps_exactly_cap_sys_time_which_the_kernel_refuses(tockd, tmp_path):
    """Started as (namespace) root without -x and with `user nobody`, tockd keeps exactly
    CAP_SYS_TIME after binding port 123: CapEff/CapPrm/CapBnd hold bit 25 only. It runs in a
    user namespace, so the capability is the namespace's: the kernel refuses a clock change
    from there (EPERM) while the same request from the real root gets past the capability
    check (EINVAL, for an impossible value). The clock shim answers tockd's own adjustments."""
    require_unshare()
    pw = nobody()
    open_for_daemon(tmp_path)
    env, shim_log = shim_env(tmp_path, owner=pw)
    # A path, not an abstract name: those belong to a network namespace.
    notify = NotifyListener(tmp_path)
    env.update(notify.env())
    conf = base_config(tmp_path, 123, f"user {NOBODY}\n")
    d = tockd(conf, args=["-d"], wrapper=NS_WRAPPER, env=env, expect_running=False)
    map_ids(d.proc.pid)
    notify.expect("READY=1", log=d.log)
    st = status(d.proc.pid)
    assert ids(st, "Uid") == [pw.pw_uid] * 4
    assert caps(st, "CapEff") == 1 << CAP_SYS_TIME, st["CapEff"]
    assert caps(st, "CapPrm") == 1 << CAP_SYS_TIME, st["CapPrm"]
    assert caps(st, "CapBnd") == 1 << CAP_SYS_TIME, st["CapBnd"]
    assert caps(st, "CapInh") == 0 and caps(st, "CapAmb") == 0
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
    assert "capabilities: CAP_SYS_TIME" in d.log(), d.log()
    # tockd used it: the driver's adjustments reached the (fake) kernel without EPERM.
    assert wait_until(lambda: shim_log.read_text().strip(), 10), "no clock call recorded"
    assert "Operation not permitted" not in d.log(), d.log()
    # The namespace's CAP_SYS_TIME does not reach the real clock; the real root's does.
    assert run_probe(d.proc.pid) == "EPERM"
    assert run_probe() == "EINVAL"


@needs_root
def test_minus_U_as_the_unit_starts_it(tockd, tmp_path):
    """tockd -U started as nobody with the unit's two ambient capabilities (in a user
    namespace, shim preloaded): it binds port 123, then drops CAP_NET_BIND_SERVICE and the
    ambient set, keeping CAP_SYS_TIME only; it serves, and answers sd_notify."""
    require_unshare()
    pw = nobody()
    open_for_daemon(tmp_path)
    for sub in ("run",):
        (tmp_path / sub).mkdir(mode=0o770)
        os.chown(tmp_path / sub, pw.pw_uid, pw.pw_gid)
    env, _ = shim_env(tmp_path, owner=pw)
    notify = NotifyListener(tmp_path)
    env.update(notify.env())
    conf = base_config(tmp_path, 123)
    d = tockd(conf, args=["-d", "-U"], wrapper=UNIT_CAPS_WRAPPER, env=env,
              expect_running=False)
    map_ids(d.proc.pid)
    notify.expect("READY=1", log=d.log)
    st = status(d.proc.pid)
    assert ids(st, "Uid") == [pw.pw_uid] * 4
    assert caps(st, "CapEff") == 1 << CAP_SYS_TIME, st["CapEff"]
    assert caps(st, "CapPrm") == 1 << CAP_SYS_TIME, st["CapPrm"]
    assert caps(st, "CapAmb") == 0, st["CapAmb"]
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
    assert "capabilities dropped after start-up: CAP_NET_BIND_SERVICE" in d.log(), d.log()
    assert "serving NTP on 127.0.0.1 port 123" in d.log()
    out = subprocess.run(["nsenter", "--user", "--net", "-t", str(d.proc.pid), "--",
                          "/usr/bin/python3", "-c",
                          "import sys; sys.path.insert(0, %r); from tockutil import ntp_query;"
                          " print(ntp_query('127.0.0.1', 123)['stratum'])"
                          % str(pathlib.Path(__file__).parent)],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "10", out.stdout + out.stderr
    assert tockctl(tmp_path / "run/tockd.sock", "tracking").returncode == 0


def test_minus_U_without_cap_sys_time_says_so_and_exits(tmp_path):
    """-U without CAP_SYS_TIME and without -x: a clear error at start, exit 1; with -x it
    runs; without -U a non-root start is refused as before."""
    if not is_root():
        pytest.skip("needs root to switch to nobody")
    nobody()
    open_for_daemon(tmp_path)
    conf = tmp_path / "tock.conf"
    conf.write_text("port 0\ncmdport 0\nbindcmdaddress /\npidfile /\nlocal stratum 10\n")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 "--inh-caps=-all"]
    from conftest import TOCKD
    r = subprocess.run(as_nobody + [str(TOCKD), "-d", "-U", "-f", str(conf)],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "-U: this process lacks CAP_SYS_TIME" in r.stderr, r.stderr
    assert "AmbientCapabilities=CAP_SYS_TIME" in r.stderr
    r = subprocess.run(as_nobody + [str(TOCKD), "-d", "-f", str(conf)], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1 and "must be started as root" in r.stderr, r.stderr
    p = subprocess.Popen(as_nobody + [str(TOCKD), "-d", "-U", "-x", "-f", str(conf)],
                         stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: _status_ok(p.pid), 10)
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    assert "seccomp filter loaded" in err, err


def _status_ok(pid):
    try:
        st = status(pid)
    except OSError:
        return False
    return st.get("Seccomp") == "2"


@needs_root
def test_root_without_cap_sys_time_warns_and_only_refused_adjustments_are_errors(tockd,
                                                                                 tmp_path):
    """Root without CAP_SYS_TIME (a container, a test), no -x: a warning at start, and the
    clock adjustments the kernel refuses are logged as errors while tockd goes on serving.
    Doubly safe: a user namespace, and CAP_SYS_TIME removed from it as well."""
    require_unshare()
    open_for_daemon(tmp_path)
    port = free_udp_port()
    wrapper = NS_WRAPPER + ("setpriv", "--bounding-set=-sys_time", "--inh-caps=-sys_time")
    d = tockd(base_config(tmp_path, port, "user root\n"), args=["-d"], wrapper=wrapper,
              expect_running=False)
    map_ids(d.proc.pid)
    d.wait_log(r"started as root without CAP_SYS_TIME")
    d.wait_log(r"the clock could not be adjusted \(Operation not permitted\)")
    assert caps(status(d.proc.pid), "CapEff") & (1 << CAP_SYS_TIME) == 0
    assert d.alive()


# ---- the seccomp filter stops what it does not allow ---------------------------------------


@pytest.fixture(scope="session")
def hooks_tockd():
    """tockd built with -DTOCK_TEST_HOOKS (same flags as the build under test otherwise):
    TOCK_TEST_FORBIDDEN_SYSCALL=CALL makes the running daemon attempt CALL."""
    out = BUILD / "testhooks"
    san = "1" if SAN else "0"
    r = subprocess.run(["make", "-s", "-j2", "-C", str(REPO), f"BUILD={out}", f"SAN={san}",
                        "CPPFLAGS=-DTOCK_TEST_HOOKS", f"{out}/tockd"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return out / "tockd"


# x86_64 numbers, to check the message of a negative level.
SYSCALL_NUMBERS = {"execve": 59, "socket-packet": 41, "setuid": 105, "ptrace": 101}
FORBIDDEN = ["execve", "socket-packet", "setuid"] + ([] if SAN else ["ptrace"])


def start_hooks(hooks_tockd, tmp_path, level, call, extra_args=()):
    port = free_udp_port()
    work = tmp_path / f"w{level}"
    work.mkdir()
    conf = work / "tock.conf"
    conf.write_text(base_config(work, port))
    env = dict(os.environ, TOCK_TEST_FORBIDDEN_SYSCALL=call)
    p = subprocess.Popen([str(hooks_tockd), "-d", "-x", "-F", str(level), *extra_args,
                          "-f", str(conf)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=env)
    return p, port


@pytest.mark.parametrize("call", FORBIDDEN)
@pytest.mark.parametrize("level", [1, -1])
def test_forbidden_system_call_is_killed(hooks_tockd, tmp_path, level, call):
    """After start-up the daemon attempts a call the filter forbids: level 1 kills it with
    SIGSYS; level -1 delivers SIGSYS, tockd names the call's number and dies of it."""
    p, _ = start_hooks(hooks_tockd, tmp_path, level, call)
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
    err = p.stderr.read()
    assert p.returncode == -SIGSYS, (p.returncode, err)
    assert f"test hook: calling {call}" in err, err
    assert "returned" not in err, err
    if level < 0:
        m = re.search(r"tockd: seccomp: system call (\d+) is not in the filter", err)
        assert m, err
        if platform.machine() == "x86_64":
            assert int(m.group(1)) == SYSCALL_NUMBERS[call]


def test_forbidden_call_runs_without_the_filter(hooks_tockd, tmp_path):
    """The control: with -F 0 the same call goes through to the kernel (and the daemon lives
    on), so it is the filter that stops it above."""
    p, port = start_hooks(hooks_tockd, tmp_path, 0, "setuid")
    try:
        def returned():
            return ntp_query("127.0.0.1", port, timeout=0.2) is not None
        assert wait_until(returned, 10)
        time.sleep(0.5)
        assert p.poll() is None
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    assert "test hook: setuid returned" in err, err
    assert "seccomp filter off (-F 0)" in err
    assert p.returncode == 0


# ---- sd_notify ----------------------------------------------------------------------------


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_sd_notify_ready_watchdog_stopping(tockd, tmp_path, abstract):
    """NOTIFY_SOCKET: READY=1 once started, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on
    SIGTERM; a path and an abstract socket name."""
    open_for_daemon(tmp_path)
    notify = NotifyListener(tmp_path, abstract=abstract)
    port = free_udp_port()
    d = tockd(base_config(tmp_path, port), args=["-d", "-x"],
              env=notify.env(WATCHDOG_USEC=200000))
    notify.expect("READY=1", log=d.log)
    ready_at = time.monotonic()
    msgs = notify.collect(1.0)
    watchdogs = [m for m in msgs if m == "WATCHDOG=1"]
    # Every 0.1 s: about 10 in a second; at least 5 under a loaded sanitizer build.
    assert len(watchdogs) >= 5, msgs
    assert msgs.index("READY=1") < msgs.index("WATCHDOG=1")
    assert "watchdog keep-alives every 0.100 s" in d.log()
    d.stop()
    notify.collect(0.3)
    assert notify.received[-1] == "STOPPING=1", notify.received
    assert time.monotonic() - ready_at < 30


def test_sd_notify_watchdog_for_another_pid_is_ignored(tockd, tmp_path):
    """WATCHDOG_PID names another process: READY=1 only, no keep-alives."""
    open_for_daemon(tmp_path)
    notify = NotifyListener(tmp_path)
    d = tockd(base_config(tmp_path, free_udp_port()), args=["-d", "-x"],
              env=notify.env(WATCHDOG_USEC=100000, WATCHDOG_PID=1))
    notify.expect("READY=1", log=d.log)
    assert "WATCHDOG=1" not in notify.collect(0.5)
    assert "watchdog keep-alives" not in d.log()


def test_no_notify_socket_no_message(tockd, tmp_path):
    """Without NOTIFY_SOCKET nothing is sent (and a bad one is a warning, not a failure)."""
    open_for_daemon(tmp_path)
    d = tockd(base_config(tmp_path, free_udp_port()), args=["-d", "-x"],
              env={"NOTIFY_SOCKET": "relative/path"})
    assert "NOTIFY_SOCKET=relative/path is not a Unix socket address" in d.log()


# ---- start-up order, scheduling, memory locking --------------------------------------------


@needs_root
def test_sched_priority_and_lock_all(tockd, tmp_path):
    """sched_priority 1 and lock_all are applied before the drop and stay after it."""
    if SAN:
        pytest.skip("mlockall of ASan's shadow memory")
    nobody()
    open_for_daemon(tmp_path)
    d = tockd(base_config(tmp_path, free_udp_port(),
                          f"user {NOBODY}\nsched_priority 1\nlock_all\n"), args=["-d", "-x"],
              wait=r"seccomp filter loaded")
    assert os.sched_getscheduler(d.proc.pid) == os.SCHED_FIFO
    assert os.sched_getparam(d.proc.pid).sched_priority == 1
    st = status(d.proc.pid)
    assert int(st["VmLck"].split()[0]) > 0, st["VmLck"]
    assert "scheduling policy SCHED_FIFO, priority 1" in d.log()
    assert "memory locked (lock_all)" in d.log()


def test_bad_seccomp_level_is_refused(tmp_path):
    from conftest import TOCKD
    for level in ("3", "-3", "x", ""):
        r = subprocess.run([str(TOCKD), "-d", "-x", "-F", level, "-f", "/nonexistent"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and "invalid seccomp level" in r.stderr, (level, r.stderr)


@needs_root
def test_missing_user(tmp_path):
    """A user that does not exist stops the start; the default user only warns in -d."""
    from conftest import TOCKD
    open_for_daemon(tmp_path)
    conf = tmp_path / "tock.conf"
    conf.write_text("port 0\ncmdport 0\nbindcmdaddress /\npidfile /\nlocal stratum 10\n"
                    "user tock-no-such-user\n")
    r = subprocess.run([str(TOCKD), "-d", "-x", "-f", str(conf)], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 1
    assert "user tock-no-such-user does not exist" in r.stderr, r.stderr
    r = subprocess.run([str(TOCKD), "-n", "-x", "-u", "tock-no-such-user", "-l",
                        str(tmp_path / "l.log"), "-f", str(conf)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "does not exist" in (tmp_path / "l.log").read_text()


# ---- file checks ---------------------------------------------------------------------------


@needs_root
def test_runtime_file_warnings(tockd, tmp_path):
    """At start-up, as the daemon's user: a keyfile readable by everyone, one the user
    cannot read, a world-writable log directory - each named with its fix."""
    pw = nobody()
    open_for_daemon(tmp_path)
    keys = tmp_path / "keys"
    keys.write_text("1 MD5 HEX:0102030405060708090A0B0C0D0E0F10\n")
    os.chmod(keys, 0o600)
    logdir = tmp_path / "openlog"
    logdir.mkdir()
    os.chmod(logdir, 0o777)
    d = tockd(base_config(tmp_path, free_udp_port(),
                          f"user {NOBODY}\nkeyfile {keys}\nlogdir {logdir}\n"),
              args=["-d", "-x"], wait=r"seccomp filter loaded")
    log = d.log()
    assert f"keyfile {keys}: user {NOBODY} cannot read it" in log, log
    # -d names the group by number (no NSS lookups the simulator does not fake).
    assert f"chgrp {pw.pw_gid} {keys} && chmod 640 {keys}" in log, log
    assert f"the logdir directory {logdir} is writable by every user (mode 0777)" in log, log
    assert f"chmod o-w {logdir}" in log


@needs_root
def test_command_socket_directory_of_another_user_is_refused(tockd, tmp_path):
    """The Unix socket's directory must be the daemon user's and closed to others."""
    nobody()
    open_for_daemon(tmp_path)
    (tmp_path / "run").mkdir(mode=0o770)  # root's, not nobody's
    d = tockd(base_config(tmp_path, free_udp_port(), f"user {NOBODY}\n"), args=["-d", "-x"],
              wait=r"seccomp filter loaded")
    assert re.search(r"command socket \S+ disabled: its directory \S+ must be owned by the "
                     r"daemon's user", d.log()), d.log()
    assert not (tmp_path / "run/tockd.sock").exists()


def check(conf_text, tmp_path, *args):
    from conftest import TOCKD
    conf = tmp_path / "check.conf"
    conf.write_text(conf_text)
    return subprocess.run([str(TOCKD), "-Q", *args, "-f", str(conf)], capture_output=True,
                          text=True, timeout=20)


def test_check_reports_the_tutorials_paths_for_the_user_and_the_unit(tmp_path):
    """tockd -Q with the tutorial's paths (Debian's chrony files on this machine):
    /var/lib/chrony is _chrony's, the keyfile root:_chrony 0640, the NTS key in
    /etc/ssl/private (root:ssl-cert 0710), /var/log/chrony outside the unit's writable
    directories: each reported for user nobody with its chown/chgrp/usermod or
    ReadWritePaths= fix. A warning does not make the configuration invalid."""
    for path in ("/var/lib/chrony", "/etc/chrony/chrony.keys", "/etc/ssl/private"):
        if not os.path.exists(path):
            pytest.skip(f"{path} not on this machine (chrony, ssl-cert)")
    nobody()
    st = os.stat("/var/lib/chrony")
    if st.st_mode & 0o002 or st.st_uid == 65534:
        pytest.skip("/var/lib/chrony is not chrony's here")
    text = ("server 192.0.2.1 iburst\n"
            "driftfile /var/lib/chrony/chrony.drift\n"
            "logdir /var/log/chrony\n"
            "keyfile /etc/chrony/chrony.keys\n"
            "ntsservercert /etc/ssl/certs/ssl-cert-snakeoil.pem\n"
            "ntsserverkey /etc/ssl/private/tock.key\n"
            "bindcmdaddress /run/tock/tockd.sock\n")
    r = check(text, tmp_path, "-u", NOBODY)
    out = r.stderr
    assert r.returncode == 0, out
    assert re.search(r"warning: driftfile /var/lib/chrony/chrony.drift: user nobody cannot "
                     r"write in /var/lib/chrony \(drwx\S+ _chrony:_chrony\); fix: chown "
                     r"nobody:\S+ /var/lib/chrony", out), out
    assert "ReadWritePaths=/var/lib/chrony" in out, out
    assert "warning: logdir /var/log/chrony: under the shipped tockd.service" in out, out
    assert "ReadWritePaths=/var/log/chrony" in out
    if os.stat("/etc/chrony/chrony.keys").st_mode & 0o004 == 0:
        assert re.search(r"warning: keyfile /etc/chrony/chrony.keys: user nobody cannot read "
                         r"it \(-rw-r----- root:_chrony\); fix: chgrp \S+ "
                         r"/etc/chrony/chrony.keys && chmod 640", out), out
    assert re.search(r"warning: ntsserverkey /etc/ssl/private/tock.key: user nobody cannot "
                     r"enter /etc/ssl/private \(drwx--x--- root:ssl-cert\).*usermod -aG "
                     r"ssl-cert nobody", out), out
    # The configuration itself is valid; the files get a summary line of their own.
    assert re.search(r"check.conf: 0 errors, 0 warnings\n", out), out
    m = re.search(r"check.conf: (\d+) file warnings \(tockd's user, the shipped tockd.service\)",
                  out)
    assert m and int(m.group(1)) >= 5, out
    # _chrony may use chrony's own files: those warnings go (the unit's remain).
    r = check(text, tmp_path, "-u", "_chrony")
    if "_chrony" in r.stderr or True:
        assert "user _chrony cannot write in /var/lib/chrony" not in r.stderr, r.stderr
        assert "keyfile /etc/chrony/chrony.keys: user _chrony cannot read" not in r.stderr
        assert "ReadWritePaths=/var/lib/chrony" in r.stderr


def test_check_for_a_user_that_does_not_exist_yet(tmp_path):
    """Before the package created `tock`: checked as a new system user (others' bits)."""
    keys = tmp_path / "keys"
    keys.write_text("1 MD5 HEX:0102030405060708090A0B0C0D0E0F10\n")
    os.chmod(keys, 0o640)
    open_for_daemon(tmp_path)
    r = check(f"keyfile {keys}\n", tmp_path, "-u", "tock-not-created")
    assert "user tock-not-created does not exist on this machine (yet)" in r.stderr, r.stderr
    assert f"keyfile {keys}: user tock-not-created cannot read it" in r.stderr, r.stderr
    assert r.returncode == 0


def test_check_secret_readable_by_others_and_world_writable_dir(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("1 MD5 HEX:0102030405060708090A0B0C0D0E0F10\n")
    os.chmod(keys, 0o644)
    drift = tmp_path / "drift"
    drift.mkdir()
    os.chmod(drift, 0o777)
    open_for_daemon(tmp_path)
    r = check(f"keyfile {keys}\ndriftfile {drift}/tock.drift\n", tmp_path, "-u", "root")
    out = r.stderr
    assert f"keyfile {keys} is readable by every user (mode 0644)" in out, out
    assert f"fix: chmod 640 {keys}" in out
    assert f"the driftfile directory {drift} is writable by every user (mode 0777)" in out
    # /tmp: the unit's PrivateTmp hides it.
    if str(tmp_path).startswith("/tmp/"):
        assert "PrivateTmp=yes" in out


def test_check_clean_for_the_shipped_configuration():
    """The default /etc/tock/tock.conf (packaging/tock.conf) has no path problem for the
    shipped unit (its user may not exist here: only the unit checks matter)."""
    from conftest import TOCKD
    r = subprocess.run([str(TOCKD), "-Q", "-f", str(REPO / "packaging/tock.conf")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "0 errors, 0 warnings" in r.stderr, r.stderr
    for unit_problem in ("ReadWritePaths", "ProtectHome", "PrivateTmp", "relative path"):
        assert unit_problem not in r.stderr, r.stderr


# ---- the shipped unit against the daemon's real behaviour ----------------------------------


def unit_settings():
    from test_packaging import UNIT, unit_settings as parse
    return parse(UNIT.read_text())


def test_unit_directories_match_the_daemon():
    """The directories tockd checks paths against for the unit are the unit's."""
    s = dict(unit_settings())
    src = (REPO / "src/daemon/fileperm.h").read_text()
    want = {"StateDirectory": "/var/lib/", "LogsDirectory": "/var/log/",
            "RuntimeDirectory": "/run/", "ConfigurationDirectory": "/etc/"}
    for key, prefix in want.items():
        assert f'"{prefix}{s[key]}"' in src, (key, s[key])
    assert s["RuntimeDirectoryMode"] == "0770"  # what cmd_socket.c requires
    assert s["ExecStart"].endswith("tockd -n -U")
    assert s["Type"] == "notify"
    conf = (REPO / "src/conf/config.h").read_text()
    assert f'#define TOCK_RUNDIR "/run/{s["RuntimeDirectory"]}"' in conf
    assert f'#define TOCK_DEFAULT_USER "{s["User"]}"' in conf


@needs_root
def test_daemon_under_the_unit_uses_only_calls_the_unit_allows(tmp_path):
    """strace -f of tockd as tockd.service runs it (-n -U, a non-root user with the two
    ambient capabilities, in a user namespace with the clock shim) through start-up, NTP and
    command traffic, SIGHUP and SIGTERM: every system call it makes is in the unit's
    effective SystemCallFilter (which answers EPERM, silently, to anything else)."""
    require_unshare()
    if subprocess.run(["which", "strace"], capture_output=True).returncode != 0:
        pytest.skip("strace not installed")
    from test_packaging import UNIT, effective_filter
    allowed = effective_filter(UNIT.read_text())
    pw = nobody()
    open_for_daemon(tmp_path)
    (tmp_path / "run").mkdir(mode=0o770)
    os.chown(tmp_path / "run", pw.pw_uid, pw.pw_gid)
    (tmp_path / "state").mkdir(mode=0o750)
    os.chown(tmp_path / "state", pw.pw_uid, pw.pw_gid)
    env, _ = shim_env(tmp_path, owner=pw)
    notify = NotifyListener(tmp_path)
    env.update(notify.env(WATCHDOG_USEC=500000))
    conf = tmp_path / "tock.conf"
    conf.write_text(base_config(tmp_path, 123, f"driftfile {tmp_path}/state/tock.drift\n"
                                               "server localhost port 1 iburst\n"))
    trace = tmp_path / "strace.txt"
    logfile = tmp_path / "state" / "tockd.log"  # nobody's directory
    from conftest import TOCKD
    ns, as_unit = UNIT_CAPS_WRAPPER[:len(NS_WRAPPER)], UNIT_CAPS_WRAPPER[len(NS_WRAPPER):]
    cmd = list(ns) + ["strace", "-f", "-qq", "-o", str(trace)] + list(as_unit) + [
        str(TOCKD), "-n", "-U", "-l", str(logfile), "-f", str(conf)]
    p = subprocess.Popen(cmd, env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        map_ids(p.pid)
        notify.expect("READY=1", timeout=20,
                      log=lambda: logfile.read_text() if logfile.exists() else "")
        pid = int((tmp_path / "run/tockd.pid").read_text())
        out = subprocess.run(["nsenter", "--user", "--net", "-t", str(pid), "--",
                              "/usr/bin/python3", "-c",
                              "import sys; sys.path.insert(0, %r); from tockutil import "
                              "ntp_query; print(ntp_query('127.0.0.1', 123)['stratum'])"
                              % str(pathlib.Path(__file__).parent)],
                             capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == "10", out.stdout + out.stderr
        assert tockctl(tmp_path / "run/tockd.sock", "tracking").returncode == 0
        os.kill(pid, signal.SIGHUP)
        notify.collect(1.2)
        os.kill(pid, signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    text = trace.read_text()
    # Calls of the traced processes from the exec of tockd on (setpriv's own come before).
    start = text.index(f'execve("{TOCKD}"')
    calls = set(re.findall(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", text[start:], re.M))
    outside = sorted(c for c in calls if c not in allowed)
    assert not outside, f"tockd calls what tockd.service forbids (EPERM): {outside}"
    log = logfile.read_text()
    assert "Operation not permitted" not in log, log
    assert "log files reopened" in log
    assert "capabilities dropped after start-up: CAP_NET_BIND_SERVICE" in log
