"""Statistics logs (`log measurements statistics tracking selection`): tockd writes
chronyd's files with chronyd's columns (checked side by side with a real chronyd -x writing
the same logs), creates logdir 0750, repeats the banner every `logbanner` lines, warns above
`logchange`, and loses no line when the files are rotated under load (renamed while tockd
writes, then SIGHUP or `tockctl cyclelogs`), including with the packaged logrotate policy."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import time

import pytest

from chronyd_util import chronyd
from conftest import REPO, TOCKCTL, daemon_owner, free_udp_port
from tockutil import ntp_query, wait_until

KINDS = ("measurements", "statistics", "tracking", "selection")

# One data line of each file, column by column (chronyd 4.3's printf formats).
E = r"[ -]\d\.\d{3}e[+-]\d\d"  # %10.3e
LINE_RE = {
    "measurements": re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<ip>\S+)\s+ [N+\-?] [ \d]\d [01]{3} [01]{3} [01]{4}"
        r"  [ \-\d]\d [ \-\d]\d \d\.\d\d" + f"( {E}){{5}}" + r" [0-9A-F]{8} 4B [DKH] [DKH]$"),
    "statistics": re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<ip>\S+)\s+" + f"( {E}){{5}}" +
        r" \d\.\de[+-]\d\d [ \d]{2}\d [ \d]{2}\d [ \d]{2}\d [ \-]\d\.\d\d$"),
    "tracking": re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<ip>\S+)\s+ [ \d]\d [ \-\d]{5,}\d\.\d{3}"
        r" [ \d]{5,}\d\.\d{3}" + f" {E} [N+\\-?] [ \\d]\\d" + f"( {E}){{5}}$"),
    "selection": re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<ip>\S+)\s+ [NMsd~wSOTxWPUDL+*?] -[N-][P-][T-][R-]"
        r" [ 0-7]{3}[0-7] [ \d]\d\.\d\d" + f"( {E}){{3}}$"),
}


def tockctl(sock, *args, timeout=20):
    return subprocess.run([str(TOCKCTL), "-h", str(sock), *args], capture_output=True,
                          text=True, timeout=timeout)


def read_lines(path):
    with open(path, encoding="ascii") as f:
        text = f.read()
    assert text == "" or text.endswith("\n"), f"{path}: last line incomplete"
    return text.splitlines()


def data_lines(lines):
    return [line for line in lines if not line.startswith("=") and "Date (UTC)" not in line]


def banner_positions(lines):
    """Indices (among the data lines) before which a banner stands."""
    pos, n = [], 0
    i = 0
    while i < len(lines):
        if lines[i].startswith("="):
            pos.append(n)
            i += 3
            continue
        n += 1
        i += 1
    return pos


# chronyd's printf formats, one conversion per whitespace-separated field (the test bits
# and the mode/TX/RX letters are taken as strings).
FORMATS = {
    "measurements": "%s %s %-15s %s %2d %s %s %s  %2d %2d %4.2f %10.3e %10.3e %10.3e %10.3e "
                    "%10.3e %s %s %s %s",
    "statistics": "%s %s %-15s %10.3e %10.3e %10.3e %10.3e %10.3e %7.1e %3d %3d %3d %5.2f",
    "tracking": "%s %s %-15s %2d %10.3f %10.3f %10.3e %s %2d %10.3e %10.3e %10.3e %10.3e %10.3e",
    "selection": "%s %s %-15s %s %s %4s %5.2f %10.3e %10.3e %10.3e",
}


def reprinted(kind, line):
    """The line printed again with chronyd's format from its own values: equal to the
    line exactly when every column has chronyd's width and alignment."""
    convs = re.findall(r"%[-\d.]*([sdef])", FORMATS[kind])
    tokens = line.split()
    assert len(tokens) == len(convs), f"{kind}: {line!r}"
    values = tuple(int(t) if c == "d" else float(t) if c in "ef" else t
                   for t, c in zip(tokens, convs))
    return FORMATS[kind] % values


def client_config(servers, logdir, logs="tracking measurements statistics selection",
                  extra=""):
    lines = [f"server {a} port {p} iburst minpoll -2 maxpoll -2" for a, p in servers]
    return ("\n".join(lines) + f"\nport 0\ncmdport 0\nlogdir {logdir}\nlog {logs}\n" + extra)


def test_logs_match_chronyd(tockd, tmp_path):
    """tockd and chronyd, both clients of the same chronyd server with the same `log` and
    `logbanner 5` lines: the same files, identical banners at the same places, and every
    data line with chronyd's columns (same field end positions as chronyd's lines)."""
    tock_dir = tmp_path / "tock-logs" / "nested"  # created with its parent
    chrony_dir = tmp_path / "chrony-logs"
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as server:
        d = tockd(client_config([("127.0.0.1", server.port)], tock_dir,
                                extra="logbanner 5\n"), args=["-d", "-x"])
        with chronyd([f"server 127.0.0.1 port {server.port} iburst minpoll -2 maxpoll -2",
                      f"logdir {chrony_dir}", "log tracking measurements statistics selection",
                      "logbanner 5"]) as client:
            client.wait_synced(timeout=20)

            def enough():
                try:
                    return all(len(data_lines(read_lines(tock_dir / f"{k}.log"))) >= 12
                               for k in KINDS)
                except FileNotFoundError:
                    return False
            assert wait_until(enough, 30), d.log()
            time.sleep(2)
        assert d.stop() == 0

    assert stat.S_IMODE(os.stat(tock_dir).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(tock_dir.parent).st_mode) == 0o750
    assert sorted(os.listdir(tock_dir)) == sorted(os.listdir(chrony_dir)) == \
        sorted(f"{k}.log" for k in KINDS)
    for kind in KINDS:
        tock = read_lines(tock_dir / f"{kind}.log")
        chrony = read_lines(chrony_dir / f"{kind}.log")
        assert stat.S_IMODE(os.stat(tock_dir / f"{kind}.log").st_mode) == 0o644
        # the banner: byte for byte
        assert tock[:3] == chrony[:3], kind
        # every 5 data lines
        t_data, c_data = data_lines(tock), data_lines(chrony)
        assert banner_positions(tock) == list(range(0, len(t_data), 5)), kind
        assert banner_positions(chrony) == list(range(0, len(c_data), 5)), kind
        # every line, chronyd's and tockd's, has chronyd's columns and widths
        for line in c_data + t_data:
            assert LINE_RE[kind].match(line), f"{kind}: {line!r}"
            assert reprinted(kind, line) == line, f"{kind}: {line!r}"
        for line in t_data:
            assert LINE_RE[kind].match(line).group("ip") in ("127.0.0.1", "0.0.0.0")
    # Both start tracking.log with the same unsynchronised line (only the time differs).
    first_t = data_lines(read_lines(tock_dir / "tracking.log"))[0]
    first_c = data_lines(read_lines(chrony_dir / "tracking.log"))[0]
    assert first_t[20:].replace("-0.000e+00", " 0.000e+00") == \
        first_c[20:].replace("-0.000e+00", " 0.000e+00")
    # Synchronised: the last tracking line names the server at stratum 9.
    last = data_lines(read_lines(tock_dir / "tracking.log"))[-1].split()
    assert last[2] == "127.0.0.1" and last[3] == "9" and last[7] == "N", last
    # Measurements of a synchronised server pass every test; selection shows it selected.
    meas = data_lines(read_lines(tock_dir / "measurements.log"))
    assert all(" 111 111 " in line for line in meas)
    assert data_lines(read_lines(tock_dir / "selection.log"))[-1].split()[3] == "*"


def test_logbanner_0_logchange_and_missing_logdir(tockd, tmp_path):
    """logbanner 0: no banner at all. logchange 0.1 with the clock 0.5 s off: the syslog
    warning chronyd gives ("System clock wrong by ..."). A log without logdir is a warning,
    not a failure."""
    logdir = tmp_path / "logs"
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as server:
        d = tockd(client_config([("127.0.0.1", server.port)], logdir, logs="tracking",
                                extra="logbanner 0\nlogchange 0.1\n"),
                  args=["-d", "--clock", "sim:0.5:0"])
        text = d.wait_log(r"System clock wrong by -0\.5\d+ seconds, adjustment started", 20)
        assert "warning" in text
        wait_until(lambda: (logdir / "tracking.log").exists() and
                   len(read_lines(logdir / "tracking.log")) >= 3, 10)
        assert d.stop() == 0
        lines = read_lines(logdir / "tracking.log")
        assert lines and not any(line.startswith("=") or "Date (UTC)" in line for line in lines)
        assert all(LINE_RE["tracking"].match(line) for line in lines), lines

        d2 = tockd("port 0\ncmdport 0\nlocal stratum 9\nlog tracking\n", args=["-d", "-x"])
        d2.wait_log(r"no logdir set", 5)
        assert d2.alive()


def load_queries(port, stop, counter):
    """NTP client load on tockd while it writes its logs (bounded: stops at `stop`)."""
    while not stop.is_set() and counter[0] < 20000:
        ntp_query("127.0.0.1", port, timeout=0.2)
        counter[0] += 1


def count_measurements(logdir):
    total = 0
    for name in os.listdir(logdir):
        if name.startswith("measurements.log"):
            lines = read_lines(logdir / name)
            data = data_lines(lines)
            for line in data:
                assert LINE_RE["measurements"].match(line), f"{name}: {line!r}"
            if data:
                assert lines[0].startswith("="), f"{name} does not start with a banner"
            total += len(data)
    return total


def test_rotation_under_load_loses_no_line(tockd, tmp_path):
    """Two fast sources (64 requests/s each) and NTP client load: the log files are renamed
    20 times while tockd writes, each time followed by SIGHUP or `tockctl cyclelogs`. Every
    processed reply is in exactly one measurements file (rawmeasurements), every line is
    whole, and every new file starts with a banner."""
    logdir = tmp_path / "logs"
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as a, \
            chronyd(["local stratum 8", "allow 127.0.0.1"], address="127.0.0.2") as b:
        port = free_udp_port()
        servers = [("127.0.0.1", a.port), ("127.0.0.2", b.port)]
        conf = "\n".join(f"server {h} port {p} iburst minpoll -6 maxpoll -6"
                         for h, p in servers)
        conf += (f"\nport {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\ncmdport 0\n"
                 f"logdir {logdir}\n"
                 "log rawmeasurements measurements statistics tracking selection\n"
                 "logbanner 10\n")
        d = tockd(conf, args=["-d", "-x"], wait=r"serving NTP on 127.0.0.1")
        stop, counter = threading.Event(), [0]
        loader = threading.Thread(target=load_queries, args=(port, stop, counter))
        loader.start()
        try:
            assert wait_until(lambda: (logdir / "measurements.log").exists(), 10)
            for rnd in range(20):
                for kind in KINDS:
                    src = logdir / f"{kind}.log"
                    if src.exists():
                        os.rename(src, logdir / f"{kind}.log.{rnd}")
                time.sleep(0.15)  # tockd keeps writing into the renamed files
                if rnd % 2:
                    r = tockctl(d.socket, "cyclelogs")
                    assert r.returncode == 0 and r.stdout.strip() == "200 OK", r
                else:
                    d.proc.send_signal(signal.SIGHUP)
                time.sleep(0.15)
        finally:
            stop.set()
            loader.join(timeout=30)
        assert counter[0] > 100
        # Stop polling, let the last replies arrive, then count.
        r = tockctl(d.socket, "offline")
        assert r.returncode == 0, r
        time.sleep(1.5)
        total_rx = 0
        for host, _ in servers:
            r = tockctl(d.socket, "-j", "ntpdata", host)
            assert r.returncode == 0, r.stdout + r.stderr
            data = json.loads(r.stdout)
            entry = data[0] if isinstance(data, list) else data
            entry = entry.get("sources", [entry])[0] if "sources" in entry else entry
            total_rx += int(entry["total_rx"])
        lines = count_measurements(logdir)
        assert total_rx > 500, total_rx
        assert lines == total_rx, (lines, total_rx)
        assert d.log().count("log files reopened") == 20
        # each reopening started a new file, which then got lines of its own
        rotated = [n for n in os.listdir(logdir) if n.startswith("measurements.log.")]
        with_data = [n for n in rotated if data_lines(read_lines(logdir / n))]
        assert len(rotated) == 20 and len(with_data) >= 18, sorted(with_data)
        for kind in KINDS:
            for name in os.listdir(logdir):
                if name.startswith(kind):
                    read_lines(logdir / name)  # every file ends with a whole line


def test_packaged_logrotate_reopens(tockd, tmp_path):
    """The packaged logrotate policy (paths moved into the test's directory, run as root
    without `su`), forced twice: the postrotate `tockctl cyclelogs` makes tockd reopen,
    so new lines go to the new file and the rotated one stops growing."""
    if shutil.which("logrotate") is None:
        pytest.skip("logrotate not installed")
    if os.geteuid() != 0:
        pytest.skip("logrotate's create needs root")
    logdir = tmp_path / "logs"
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as server:
        d = tockd(client_config([("127.0.0.1", server.port)], logdir), args=["-d", "-x"])
        assert wait_until(lambda: (logdir / "measurements.log").exists(), 15)
        policy = (REPO / "packaging" / "logrotate.d" / "tock").read_text()
        policy = policy.replace("/var/log/tock", str(logdir))
        policy = policy.replace("/usr/bin/tockctl cyclelogs",
                                f"{TOCKCTL} -h {d.socket} cyclelogs")
        # The daemons' user (root, or the test user dropping from root) takes the place of
        # the package's tock user; logrotate's `su` is kept for a non-root owner.
        user, group = daemon_owner()
        if user == "root":
            policy = re.sub(r"^\s*su tock tock\n", "", policy, flags=re.M)
        policy = policy.replace("su tock tock", f"su {user} {group}")
        policy = policy.replace("create 0640 tock tock", f"create 0640 {user} {group}")
        conf = tmp_path / "logrotate.conf"
        conf.write_text(policy)
        for rnd in range(2):
            time.sleep(1.0)
            r = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"), str(conf)],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
            d.wait_log(r"log files reopened", 5)
        time.sleep(1.0)
        rotated = logdir / "measurements.log.1"
        size = rotated.stat().st_size
        time.sleep(1.5)
        assert rotated.stat().st_size == size  # tockd writes only to the new file
        assert (logdir / "measurements.log.2.gz").exists()  # compressed after a day's delay
        assert data_lines(read_lines(logdir / "measurements.log"))
        assert d.log().count("log files reopened") == 2
