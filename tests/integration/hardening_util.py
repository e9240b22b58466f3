"""Helpers of the hardening tests: /proc status, sd_notify listeners, user namespaces."""
import os
import pathlib
import socket
import time

import tockutil

NOBODY = "nobody"
CAP_NET_BIND_SERVICE = 10
CAP_SYS_TIME = 25
SIGSYS = 31

# sh inside `unshare --user --net`: wait until the parent has written the uid/gid maps, bring
# the loopback of the new network namespace up, then exec the command given after it.
NS_SCRIPT = ('until read -r m < /proc/self/uid_map 2>/dev/null && [ -n "$m" ]; do sleep 0.01; '
             'done; ip link set lo up && exec "$@"')
NS_WRAPPER = ("unshare", "--user", "--net", "--", "sh", "-c", NS_SCRIPT, "sh")

# The same as a user with exactly the unit's ambient capabilities (tockd.service: User=tock,
# AmbientCapabilities=CAP_SYS_TIME CAP_NET_BIND_SERVICE).
UNIT_CAPS_WRAPPER = NS_WRAPPER + (
    "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
    "--inh-caps=-all,+sys_time,+net_bind_service",
    "--ambient-caps=+sys_time,+net_bind_service")


def map_ids(pid):
    """Maps uids and gids 0-65535 of the user namespace of PID (made by NS_WRAPPER) onto the
    same ids outside, as `unshare --map-users=0,0,65536 --map-groups=0,0,65536` would (that
    option needs newuidmap from the uidmap package; root can write the maps itself). The
    gid map first: the script goes on as soon as the uid map is there."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user"):
                break
        except OSError:
            pass
        time.sleep(0.01)
    else:
        raise AssertionError("unshare did not create a user namespace")
    pathlib.Path(f"/proc/{pid}/gid_map").write_text("0 0 65536\n")
    pathlib.Path(f"/proc/{pid}/uid_map").write_text("0 0 65536\n")


def status(pid):
    """/proc/PID/status as a dict of strings."""
    out = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def caps(st, key):
    return int(st[key], 16)


def ids(st, key):
    return [int(x) for x in st[key].split()]


def children(pid):
    out = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def wait_until(predicate, timeout, step=0.05):
    """tockutil.wait_until, polling faster: start-up steps are short."""
    return tockutil.wait_until(predicate, timeout, step)


def open_for_daemon(path):
    """Makes PATH (a test's temp dir, created by root) and the directories above it
    searchable by everyone, so a daemon that dropped root reaches what it creates there."""
    path = pathlib.Path(path)
    for p in [path] + list(path.parents):
        mode = p.stat().st_mode & 0o7777
        if not mode & 0o001:
            os.chmod(p, mode | 0o011)


class NotifyListener:
    """A datagram socket in the place of systemd's notify socket. abstract=True binds an
    abstract name ('@...' in NOTIFY_SOCKET), otherwise a path (mode 0777, like
    /run/systemd/notify: tockd sends after dropping root)."""

    def __init__(self, tmp_path, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"tock-test-notify-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            path = pathlib.Path(tmp_path) / "notify.sock"
            self.sock.bind(str(path))
            os.chmod(path, 0o777)
            self.address = str(path)
        self.received = []

    def env(self, **extra):
        env = {"NOTIFY_SOCKET": self.address}
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def collect(self, timeout):
        """Messages received within TIMEOUT seconds (all of them, in order)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.received
            self.sock.settimeout(left)
            try:
                self.received.append(self.sock.recv(4096).decode())
            except socket.timeout:
                return self.received

    def expect(self, message, timeout=10, log=None):
        deadline = time.monotonic() + timeout
        while message not in self.received and time.monotonic() < deadline:
            self.collect(min(0.1, max(0.0, deadline - time.monotonic())))
        assert message in self.received, (f"no {message!r} from tockd: {self.received}\n"
                                          + (log() if log else ""))

    def close(self):
        self.sock.close()


# A probe that asks the kernel for an impossible clock change: ADJ_TICK with tick 1 is
# outside the kernel's +-10% range. The kernel checks CAP_SYS_TIME first (EPERM without it),
# then the range (EINVAL): the answer tells whether the caller may set the clock, and
# nothing is changed either way.
CLOCK_PROBE = r"""
import ctypes, ctypes.util, errno, os, sys
class timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]
class timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("constant", ctypes.c_long),
                ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time", timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("pad", ctypes.c_int * 11)]
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
tx = timex()
tx.modes = 0x4000  # ADJ_TICK
tx.tick = 1        # impossible: refused whatever the caller may do
rc = libc.clock_adjtime(0, ctypes.byref(tx))
print(errno.errorcode.get(ctypes.get_errno(), "OK") if rc < 0 else "ACCEPTED")
"""
