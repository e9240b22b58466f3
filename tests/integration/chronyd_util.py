"""Run the real chronyd safely inside integration tests.

Every instance started here:
  * runs ``chronyd -x -u root -d -f CONF``: -x never touches the system clock, -d keeps it in
    the foreground (its log goes to a file in its directory);
  * gets its own temporary directory (mode 0770, as chronyd wants for its socket directory)
    holding the config, pidfile, Unix command socket, driftfile, dumpdir and log;
  * gets random high ``port`` and ``cmdport`` numbers and binds NTP and command sockets to
    127.0.0.1 only;
  * is checked to be the only process on its UDP ports (chronyd sets SO_REUSEPORT, so a
    foreign daemon could otherwise silently share a port and answer for it);
  * is stopped by PID (SIGTERM, then SIGKILL) and its directory removed at the end.

Usage::

    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as server:
        with chronyd([f"server 127.0.0.1 port {server.port} iburst minpoll 0 maxpoll 0"]) as c:
            c.wait_synced()
            print(c.chronyc("tracking").stdout)
"""

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

CHRONYD = "/usr/sbin/chronyd"
CHRONYC = "/usr/bin/chronyc"


def _port_is_free(port):
    """True if nobody has UDP port `port` on 127.0.0.1 or ::1 (and we can bind it)."""
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            s.bind((addr, port))
        except OSError as e:
            if family == socket.AF_INET6 and e.errno == 99:  # no IPv6 loopback here
                continue
            return False
        finally:
            s.close()
    return not _listeners(port)


def random_free_port(exclude=()):
    """A random UDP port in 20000-59999 that nothing uses now."""
    for _ in range(200):
        port = random.randint(20000, 59999)
        if port not in exclude and _port_is_free(port):
            return port
    raise RuntimeError("no free UDP port found")


def _listeners(port, netns=None, address=None):
    """PIDs of processes with a UDP socket bound to `port` (from ss), on `address` or on the
    wildcard address when given (other addresses of a namespace may share the port)."""
    prefix = ["ip", "netns", "exec", netns] if netns else []
    filt = [f"sport = :{port}"]
    if address:
        filt = ["(", "src", address, "or", "src", "0.0.0.0", ")", "and"] + filt
    try:
        out = subprocess.run(
            prefix + ["ss", "-H", "-u", "-a", "-n", "-p"] + filt,
            capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {int(p) for p in re.findall(r"pid=(\d+)", out)}


class Chronyd:
    """A running chronyd started by chronyd(); see the module documentation."""

    def __init__(self, directory, port, cmdport, proc):
        self.dir = directory
        self.port = port
        self.cmdport = cmdport
        self.proc = proc
        self.socket = os.path.join(directory, "chronyd.sock")
        self.pidfile = os.path.join(directory, "chronyd.pid")
        self.log = os.path.join(directory, "chronyd.log")

    @property
    def pid(self):
        return self.proc.pid

    def chronyc(self, *args, udp=False, options=(), timeout=20):
        """Runs chronyc against this daemon: over its Unix socket (full access) or, with
        udp=True, over UDP 127.0.0.1:cmdport (monitoring commands only)."""
        host = ["-h", "127.0.0.1", "-p", str(self.cmdport)] if udp else ["-h", self.socket]
        return subprocess.run([CHRONYC, *host, *options, *args], capture_output=True,
                              text=True, timeout=timeout, check=False)

    def host_args(self, udp=False):
        """The -h/-p options that reach this daemon (for tockctl or chronyc)."""
        if udp:
            return ["-h", "127.0.0.1", "-p", str(self.cmdport)]
        return ["-h", self.socket]

    def wait_synced(self, timeout=30.0, stratum=None):
        """Waits until `tracking` shows a leap status other than "Not synchronised" (and the
        given stratum). Returns the CSV fields of tracking."""
        deadline = time.monotonic() + timeout
        fields = []
        while time.monotonic() < deadline:
            self.check_alive()
            r = self.chronyc("tracking", options=["-c"])
            fields = r.stdout.strip().split(",")
            if (r.returncode == 0 and len(fields) == 14 and fields[13] != "Not synchronised"
                    and fields[1] != "" and (stratum is None or fields[2] == str(stratum))):
                return fields
            time.sleep(0.5)
        raise TimeoutError(f"chronyd {self.pid} did not synchronise: {fields}\n"
                           + self.read_log())

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"chronyd exited with {self.proc.returncode}:\n"
                               + self.read_log())

    def read_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def chronyd(conf_lines=(), port=None, cmdport=None, start_timeout=15.0, keep_dir=False,
            netns=None, address="127.0.0.1", extra_args=()):
    """Starts a chronyd with the given extra configuration lines; yields a Chronyd.

    netns: run it inside that network namespace (made by the test); address: the local
    address its NTP and command sockets bind to; extra_args: more chronyd options (e.g.
    "-r"; never one that lets it touch the clock)."""
    directory = tempfile.mkdtemp(prefix="tock-chronyd-")
    os.chmod(directory, 0o770)
    port = port or random_free_port()
    cmdport = cmdport or random_free_port(exclude=(port,))
    sock = os.path.join(directory, "chronyd.sock")
    conf = [
        f"port {port}",
        f"bindaddress {address}",
        f"bindacqaddress {address}",
        f"cmdport {cmdport}",
        f"bindcmdaddress {address}",
        f"bindcmdaddress {sock}",
        f"pidfile {os.path.join(directory, 'chronyd.pid')}",
        f"driftfile {os.path.join(directory, 'chronyd.drift')}",
        f"dumpdir {directory}",
        *conf_lines,
    ]
    conf_path = os.path.join(directory, "chrony.conf")
    with open(conf_path, "w", encoding="utf-8") as f:
        f.write("\n".join(conf) + "\n")

    log = open(os.path.join(directory, "chronyd.log"), "w", encoding="utf-8")
    # -x: never touch the system clock. -u root: no privilege drop needed for a test.
    prefix = ["ip", "netns", "exec", netns] if netns else []
    assert not set(extra_args) & {"-s", "-q", "-Q"}, "options that can step the clock"
    proc = subprocess.Popen(prefix + [CHRONYD, "-x", "-u", "root", "-d", *extra_args, "-f",
                                      conf_path],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    daemon = Chronyd(directory, port, cmdport, proc)
    daemon.address = address
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            daemon.check_alive()
            if os.path.exists(sock) and daemon.chronyc("activity").returncode == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("chronyd did not open its command socket:\n"
                                   + daemon.read_log())
            time.sleep(0.2)
        # Check who answers: the pidfile is ours, and nobody else shares our UDP ports.
        with open(daemon.pidfile, encoding="utf-8") as f:
            if int(f.read().strip()) != proc.pid:
                raise RuntimeError("pidfile does not hold our chronyd's pid")
        for p in (port, cmdport):
            others = _listeners(p, netns, address if netns else None) - {proc.pid}
            if others:
                raise RuntimeError(f"UDP port {p} is shared with pids {sorted(others)}")
        yield daemon
    finally:
        _stop(proc)
        if not keep_dir:
            shutil.rmtree(directory, ignore_errors=True)
