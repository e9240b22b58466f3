"""tockd -d keeps to the rules of doc/simulation.md (design/simulation.md), checked
mechanically: strace -f of a real run, and the dynamic symbols the binary imports."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

from chronyd_util import chronyd
from conftest import REPO, TOCKCTL, TOCKD, free_udp_port, needs_root, require_tool
from tockutil import drop_nscd_probes, ntp_query

HERE = pathlib.Path(__file__).parent

FORBIDDEN_SYSCALLS = {"clone", "clone3", "fork", "vfork", "epoll_create", "epoll_create1",
                      "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "ppoll",
                      "sendmmsg", "accept4", "signalfd", "signalfd4", "eventfd", "eventfd2",
                      "clock_nanosleep", "clock_getres", "alarm", "nanosleep", "dup", "dup3"}
FORBIDDEN_FLAGS = ("SOCK_NONBLOCK", "SOCK_CLOEXEC", "TFD_CLOEXEC", "CLOCK_BOOTTIME",
                   "CLOCK_TAI")


def run_under_strace(tmp_path, config):
    require_tool("strace")
    conf = tmp_path / "tock.conf"
    conf.write_text(config)
    trace = tmp_path / "strace.txt"
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    proc = subprocess.Popen(["strace", "-f", "-qq", "-o", str(trace), str(TOCKD), "-d", "-x",
                             "-f", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, text=True)
    return proc, trace


def scrape(port, host="127.0.0.1"):
    """One GET /metrics over TCP; returns the whole response."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


def test_strace_of_single_process_mode(tmp_path):
    """A run that serves IPv4 and IPv6 clients, synchronises to a chronyd server (client
    sockets, kernel TX timestamps from the error queue) and answers tockctl on the command
    sockets."""
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as server:
        strace_run(tmp_path, server)


def strace_run(tmp_path, server):
    port = free_udp_port()
    cmdport = free_udp_port()
    mport = free_udp_port()
    rundir = tmp_path / "run"
    rundir.mkdir(mode=0o770)
    os.chmod(rundir, 0o770)
    # With the monitoring features on too: the metrics endpoint (TCP) and a statistics log.
    proc, trace = run_under_strace(
        tmp_path, f"server 127.0.0.1 port {server.port} iburst minpoll 0 maxpoll 0\n"
                  f"port {port}\nbindaddress 127.0.0.1\nbindaddress ::1\nallow 127.0.0.1\n"
                  f"allow ::1\nlocal stratum 10\ncmdport {cmdport}\n"
                  f"bindcmdaddress {rundir}/tockd.sock\npidfile {rundir}/tockd.pid\n"
                  f"driftfile {tmp_path}/drift\n"
                  f"metricsport {mport}\nlogdir {tmp_path}/logs\nlog tracking\n")
    try:
        deadline = time.monotonic() + 10
        reply = None
        while reply is None and time.monotonic() < deadline:
            reply = ntp_query("127.0.0.1", port, timeout=0.2)
        assert reply is not None, "tockd under strace never answered"
        assert ntp_query("::1", port) is not None
        # Synchronised to the chronyd server (several exchanges went through).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = ntp_query("127.0.0.1", port)
            if r and r["stratum"] == 9:
                break
            time.sleep(0.5)
        assert r and r["stratum"] == 9, r
        for args in (["-h", str(rundir / "tockd.sock"), "tracking"],
                     ["-h", "127.0.0.1", "-p", str(cmdport), "sources"]):
            out = subprocess.run([str(TOCKCTL), *args], capture_output=True, text=True,
                                 timeout=20)
            assert out.returncode == 0, out.stdout + out.stderr
        for host in ("127.0.0.1", "::1"):
            assert scrape(mport, host).startswith(b"HTTP/1.0 200 OK\r\n")
    finally:
        # Signal tockd itself (strace does not forward SIGTERM to its tracee).
        pidfile = rundir / "tockd.pid"
        deadline = time.monotonic() + 5
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        else:
            proc.kill()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    text = drop_nscd_probes(trace.read_text())
    calls = set(re.findall(r"^\d+\s+([a-z0-9_]+)\(", text, re.M))
    assert "recvmmsg" in calls or "recvmsg" in calls
    assert "connect" in calls and "sendto" in calls or "sendmsg" in calls
    assert "MSG_ERRQUEUE" in text, "kernel TX timestamps were never read"
    # Error queue reads only after poll said so: none may fail with EAGAIN.
    assert not re.search(r"MSG_ERRQUEUE[^\n]*= -1 EAGAIN", text)
    assert "poll" in calls or "pselect6" in calls
    assert "accept" in calls and "listen" in calls  # the metrics endpoint was used
    assert (tmp_path / "logs" / "tracking.log").exists()
    bad = sorted(calls & FORBIDDEN_SYSCALLS)
    assert not bad, f"forbidden system calls in single-process mode: {bad}"
    for flag in FORBIDDEN_FLAGS:
        assert flag not in text, f"{flag} used in single-process mode"
    # One process, one thread: every line has the same pid.
    pids = set(re.findall(r"^(\d+)\s", text, re.M))
    assert len(pids) == 1, f"more than one task: {pids}"
    # Socket calls without type flags, and few of them.
    sockets = re.findall(r"socket\((AF_\w+), ([^,]+),", text)
    assert sockets and all(t == "SOCK_DGRAM" or t == "SOCK_STREAM" for _, t in sockets), sockets
    assert len(sockets) <= 20
    fds = [int(x) for x in re.findall(r"socket\([^)]*\)\s*=\s*(\d+)", text)]
    assert max(fds) < 100


def test_dynamic_symbols_are_on_the_allow_list():
    """Symbols the simulator cannot intercept (epoll, *64 file calls, ...) must never be
    imported; every libc symbol tockd imports is on a reviewed allow-list."""
    require_tool("nm")
    out = subprocess.run(["nm", "-D", "--undefined-only", str(TOCKD)], capture_output=True,
                         text=True, check=True).stdout
    symbols = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
    allowed = set()
    prefixes = []
    for line in (HERE / "sim_allowed_symbols.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.endswith("*"):
            prefixes.append(line[:-1])
        else:
            allowed.add(line)
    unknown = sorted(s for s in symbols
                     if s not in allowed and not any(s.startswith(p) for p in prefixes))
    assert not unknown, ("tockd imports symbols not on tests/integration/"
                         f"sim_allowed_symbols.txt (check them against doc/simulation.md): "
                         f"{unknown}")
    forbidden = [s for s in symbols if re.match(
        r"^(epoll_\w+|ppoll|pselect|sendmmsg|accept4|signalfd|eventfd|sleep|usleep|alarm|"
        r"timespec_get|clock_getres|\w+64|recvfrom|__recvfrom_chk|setresuid|setresgid|"
        r"getpwnam_r|capset|pthread_create|dup|dup3)$", s)]
    assert not forbidden, f"forbidden symbols imported: {forbidden}"


CLKNETSIM = pathlib.Path(os.environ.get("CLKNETSIM_PATH", "/nonexistent"))


@needs_root
@pytest.mark.skipif(not (CLKNETSIM / "clknetsim").exists() or
                    not (CLKNETSIM / "clknetsim.so").exists(),
                    reason="clknetsim not built (set CLKNETSIM_PATH, see doc/accuracy.md)")
@pytest.mark.skipif(os.environ.get("TOCK_SAN") == "1",
                    reason="an ASan binary cannot run under another LD_PRELOAD library")
def test_runs_under_clknetsim(tmp_path):
    """The real thing: the unmodified tockd -d under clknetsim (the run the accuracy bar is
    measured with) synchronises to a chronyd server, never confuses the simulator (no
    dropped packets, no assertion) and exits cleanly when the simulation ends."""
    require_tool("chronyd")
    out = tmp_path / "run"
    env = dict(os.environ, CLKNETSIM_PATH=str(CLKNETSIM), TOCKD=str(TOCKD), LIMIT="4000",
               RESET="1000", JITTER="1e-4", SEED="1")
    sim = REPO / "bench" / "sim"
    res = subprocess.run([str(sim / "safe.sh"), str(sim / "run1.sh"), "tockd", str(out)],
                         env=env, timeout=300, capture_output=True, text=True)
    log = (out / "log.2").read_text()
    assert res.returncode == 0, (out / "log").read_text() + log
    assert "tockd exiting" in log.splitlines()[-1], log
    assert "clknetsim:" not in log, log
    stats = (out / "stats").read_text()
    node2 = stats.split("Node 2")[1]
    rms = float(re.search(r"RMS offset:\s+(\S+)", node2).group(1))
    # 100 us jitter: chronyd reaches about 0.1 ms; 1 ms means tockd did not synchronise
    assert rms < 1e-3, stats
