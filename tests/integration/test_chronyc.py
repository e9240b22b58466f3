"""The real chronyc (Debian 12's 4.3) against tockd, synchronised to two chronyd -x
servers: tracking, sources -v, sourcestats -v and activity over UDP; serverstats, clients,
ntpdata, makestep and cyclelogs through the Unix socket. chronyc's numbers are compared with
tockd's own state (`tockctl -j`); UDP refuses the privileged commands as chronyd does."""
import json
import os
import re
import subprocess
import time

import pytest

from chronyd_util import CHRONYC, chronyd
from conftest import TOCKCTL, Daemon, free_udp_port
from tockutil import ntp_query, wait_until


def run(*argv, timeout=30):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                       timeout=timeout, check=False)
    return r.returncode, r.stdout, r.stderr


class Tock:
    def __init__(self, daemon, sock, port, cmdport):
        self.daemon, self.socket, self.port, self.cmdport = daemon, sock, port, cmdport

    def chronyc(self, *args, udp=False):
        host = ["-h", "127.0.0.1", "-p", str(self.cmdport)] if udp else ["-h", str(self.socket)]
        return run(CHRONYC, *host, *args)

    def json(self, *args):
        rc, out, err = run(TOCKCTL, "-h", self.socket, "-j", *args)
        assert rc == 0, out + err
        return json.loads(out)


@pytest.fixture(scope="module")
def tock(tmp_path_factory):
    """tockd -x, client of two chronyd servers, serving NTP on 127.0.0.1, with a UDP
    command port and a Unix socket."""
    work = tmp_path_factory.mktemp("tockd")
    rundir = work / "run"
    rundir.mkdir(mode=0o770)
    os.chmod(rundir, 0o770)
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as a, \
            chronyd(["local stratum 8", "allow 127.0.0.1"], address="127.0.0.2") as b:
        port, cmdport = free_udp_port(), free_udp_port()
        conf = work / "tock.conf"
        conf.write_text(
            f"server 127.0.0.1 port {a.port} iburst minpoll 0 maxpoll 0\n"
            f"server 127.0.0.2 port {b.port} iburst minpoll 0 maxpoll 0\n"
            f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\n"
            f"cmdport {cmdport}\nbindcmdaddress 127.0.0.1\n"
            f"bindcmdaddress {rundir}/tockd.sock\npidfile {rundir}/tockd.pid\n"
            f"logdir {work}/logs\nlog tracking\n")
        d = Daemon(["-d", "-x", "-f", str(conf)], work)
        try:
            d.wait_log(r"command socket")
            t = Tock(d, rundir / "tockd.sock", port, cmdport)

            def synced():
                s = t.json("sources")["sources"]
                return (t.json("tracking")["stratum"] == 9 and len(s) == 2 and
                        all(x["reach"] == 0o377 for x in s))
            assert wait_until(synced, 40), t.json("sources")
            for _ in range(20):
                assert ntp_query("127.0.0.1", port) is not None
            yield t
        finally:
            rc = d.stop()
            d.check_sanitizers()
            assert rc == 0, d.log()


def kv(out):
    """chronyc's "Label : value" reports."""
    return {k.strip(): v.strip() for k, v in
            (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def seconds(text):
    m = re.match(r"([-+]?\d+\.\d+) seconds( (slow|fast) of NTP time)?", text)
    assert m, text
    v = float(m.group(1))
    return -v if m.group(3) == "fast" else v


def test_tracking_udp(tock):
    rc, out, err = tock.chronyc("tracking", udp=True)
    t = tock.json("tracking")
    assert rc == 0, out + err
    r = kv(out)
    assert r["Reference ID"].startswith(t["reference_id"] + " ")
    assert r["Stratum"] == str(t["stratum"]) == "9"
    assert r["Leap status"] == "Normal"
    assert abs(float(r["Frequency"].split()[0]) * (1 if "fast" in r["Frequency"] else -1) -
               t["frequency_ppm"]) < 0.01
    assert abs(seconds(r["Root delay"]) - t["root_delay"]) < 1e-6
    assert abs(seconds(r["System time"]) - t["system_time_correction"]) < 1e-4
    assert abs(seconds(r["Last offset"]) - t["last_offset"]) < 1e-6
    assert abs(float(r["Update interval"].split()[0]) - t["update_interval"]) < 1.5
    ref = time.strptime(r["Ref time (UTC)"], "%a %b %d %H:%M:%S %Y")
    assert abs(time.mktime(ref) - time.timezone - t["ref_time_unix"]) < 2.5
    # chronyc -c: the same numbers with full precision
    rc, csv, _ = tock.chronyc("-c", "tracking", udp=True)
    f = csv.strip().split(",")
    assert rc == 0 and f[0] == tock.json("tracking")["reference_id"] and f[2] == "9"


def test_sources_v_udp(tock):
    rc, out, err = tock.chronyc("sources", "-v", udp=True)
    assert rc == 0, out + err
    lines = out.splitlines()
    assert "Source mode  '^' = server, '=' = peer, '#' = local clock." in lines[1]
    h = [i for i, line in enumerate(lines) if line.startswith("MS Name/IP address")]
    assert h == [9] and set(lines[10]) == {"="}, out  # after the 9-line legend
    rows = lines[11:]
    assert len(rows) == 2, out
    js = {s["address"]: s for s in tock.json("sources")["sources"]}
    seen = set()
    for row in rows:
        m = re.match(r"^\^([*+\-?x~]) (\S+)\s+(\d+)\s+(-?\d+)\s+([0-7]+)\s+(\S+)", row)
        assert m, row
        addr = "127.0.0.1" if m.group(2) == "localhost" else m.group(2)
        s = js[addr]
        seen.add(addr)
        assert m.group(1) == s["state_char"]
        assert int(m.group(3)) == s["stratum"] == 8
        assert int(m.group(4)) == s["poll"] == 0
        assert int(m.group(5), 8) == s["reach"] == 0o377
    assert seen == {"127.0.0.1", "127.0.0.2"}
    assert any(r.startswith("^*") for r in rows)


def test_sourcestats_v_udp(tock):
    rc, out, err = tock.chronyc("-n", "sourcestats", "-v", udp=True)
    assert rc == 0, out + err
    lines = out.splitlines()
    h = [i for i, line in enumerate(lines)
         if line.startswith("Name/IP Address            NP  NR  Span  Frequency")]
    assert len(h) == 1 and h[0] > 5 and set(lines[h[0] + 1]) == {"="}, out
    js = {s["address"]: s for s in tock.json("sourcestats")["sources"]}
    rows = lines[h[0] + 2:]
    assert len(rows) == 2
    for row in rows:
        f = row.split()
        s = js[f[0]]
        # NP/NR change with each sample (every second): close, not always equal
        assert abs(int(f[1]) - s["samples"]) <= 2 and int(f[1]) >= 3, (row, s)
        assert abs(float(f[4]) - s["frequency_ppm"]) < 1.0


def test_activity_udp(tock):
    rc, out, _ = tock.chronyc("activity", udp=True)
    a = tock.json("activity")
    assert rc == 0
    assert out == (f"200 OK\n{a['online']} sources online\n{a['offline']} sources offline\n"
                   f"{a['burst_online']} sources doing burst (return to online)\n"
                   f"{a['burst_offline']} sources doing burst (return to offline)\n"
                   f"{a['unresolved']} sources with unknown address\n")
    assert a["online"] == 2


@pytest.mark.parametrize("command", [["serverstats"], ["clients"], ["ntpdata"],
                                     ["makestep"], ["cyclelogs"], ["reload", "sources"]])
def test_udp_refuses_privileged(tock, command):
    rc, out, _ = tock.chronyc(*command, udp=True)
    assert rc == 1 and out.endswith("501 Not authorised\n"), out


def test_serverstats_unix(tock):
    rc, out, err = tock.chronyc("serverstats")
    s = tock.json("serverstats")
    assert rc == 0, out + err
    r = kv(out)
    assert len(out.splitlines()) == 11  # chronyc 4.3 asks for STATS3 and gets it
    assert int(r["NTP packets received"]) == s["ntp_packets_received"] >= 20
    assert int(r["NTP packets dropped"]) == s["ntp_packets_dropped"] == 0
    # our tockctl request came after chronyc's
    assert int(r["Command packets received"]) == s["command_packets_received"] - 1
    assert int(r["Client log records dropped"]) == s["client_log_records_dropped"]


def test_clients_unix(tock):
    rc, out, err = tock.chronyc("-n", "clients")
    c = tock.json("clients")["clients"]
    assert rc == 0, out + err
    rows = out.splitlines()[2:]
    assert len(rows) == len(c) == 1
    f = rows[0].split()
    assert f[0] == c[0]["address"] == "127.0.0.1"
    assert int(f[1]) == c[0]["ntp"]["hits"] >= 20
    assert int(f[2]) == c[0]["ntp"]["drops"]


def test_ntpdata_unix(tock):
    rc, out, err = tock.chronyc("ntpdata", "127.0.0.2")
    assert rc == 0, out + err
    r = kv(out)
    n = tock.json("ntpdata", "127.0.0.2")["sources"][0]
    assert r["Remote address"].startswith("127.0.0.2 (7F000002)")
    assert r["Remote port"] == str(n["remote_port"])
    assert r["Stratum"] == "8" and r["Mode"] == "Server" and r["Leap status"] == "Normal"
    assert r["Reference ID"].startswith("7F7F0101")
    assert abs(int(r["Total TX"]) - n["total_tx"]) <= 2
    assert abs(int(r["Total RX"]) - n["total_rx"]) <= 2
    assert r["NTP tests"] == "111 111 1111"
    assert r["Interleaved"] == "No" and r["Authenticated"] == "No"
    assert abs(float(r["Peer delay"].split()[0]) - n["peer_delay"]) < 1e-3
    # (chronyc 4.3 does not show the kernel timestamp counts of NTP_DATA2; tockctl does)
    assert 0 < n["total_kernel_rx"] <= n["total_valid_rx"]
    assert n["total_kernel_tx"] <= n["total_valid_rx"]
    assert n["rx_timestamping"] == "kernel"
    # all sources, and an unknown address
    rc, out, _ = tock.chronyc("ntpdata")
    assert rc == 0 and out.count("Remote address") == 2
    rc, out, _ = tock.chronyc("ntpdata", "192.0.2.55")
    assert rc == 1 and "503 No such source" in out


def test_makestep_and_cyclelogs_unix(tock):
    rc, out, _ = tock.chronyc("makestep")
    assert (rc, out) == (0, "200 OK\n")
    rc, out, _ = tock.chronyc("makestep", "0.1", "3")
    assert (rc, out) == (0, "200 OK\n")
    before = tock.daemon.log().count("log files reopened")
    rc, out, _ = tock.chronyc("cyclelogs")
    assert (rc, out) == (0, "200 OK\n")
    assert tock.daemon.log().count("log files reopened") == before + 1
    assert "makestep changed to 0.1 s, limit 3" in tock.daemon.log()
