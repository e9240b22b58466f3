"""Malformed and hostile command requests, sent to tockd and to a real chronyd 4.3 side by
side: short, long, wrong version, wrong type, unknown and obsolete commands, bad lengths,
bad indices, privileged commands over UDP, random garbage, and a flood from a remote
address (in a network namespace, with cmdallow and cmdratelimit). tockd gives chronyd's
status code or chronyd's silence, never a reply longer than the request, and stays up."""
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile

import pytest

from chronyd_util import chronyd
from conftest import TOCKCTL, free_udp_port, needs_root

HERE = os.path.dirname(os.path.abspath(__file__))

REQ_TRACKING, REQ_SOURCE_DATA, REQ_N_SOURCES, REQ_MAKESTEP = 33, 15, 14, 43
LENGTHS = {REQ_TRACKING: 104, REQ_SOURCE_DATA: 76, REQ_N_SOURCES: 32, REQ_MAKESTEP: 28}


def request(cmd, data=b"", length=None, version=6, pkt_type=1, res1=0, res2=0, seq=None):
    seq = random.getrandbits(32) if seq is None else seq
    pkt = struct.pack(">BBBBHHIII", version, pkt_type, res1, res2, cmd, 0, seq, 0, 0) + data
    length = LENGTHS.get(cmd, 28) if length is None else length
    return pkt.ljust(length, b"\0")[:max(length, 0)] if length >= len(pkt) else pkt[:length]


def parse_reply(data):
    version, pkt_type, res1, res2, cmd, reply, status = struct.unpack(">BBBBHHH", data[:10])
    return {"version": version, "pkt_type": pkt_type, "res": (res1, res2), "command": cmd,
            "reply": reply, "status": status, "seq": data[16:20], "length": len(data)}


def exchange(sock, addr, payload, timeout=0.3):
    sock.settimeout(timeout)
    sock.sendto(payload, addr)
    try:
        return sock.recv(4096)
    except socket.timeout:
        return None


# The catalogue: name -> request bytes.
def catalogue():
    big = request(REQ_TRACKING, length=200)
    return {
        "empty-ish (10 bytes)": request(REQ_TRACKING)[:10],
        "27 bytes": request(REQ_TRACKING)[:27],
        "861 bytes": request(REQ_TRACKING, length=861),
        "reply type": request(REQ_TRACKING, pkt_type=2),
        "res1 set": request(REQ_TRACKING, res1=1),
        "version 5": request(REQ_TRACKING, version=5),
        "version 4": request(REQ_TRACKING, version=4),
        "version 7": request(REQ_TRACKING, version=7),
        "unknown command 200": request(200, length=28),
        "obsolete ADD_SERVER 27": request(27, length=400),
        "tracking 28 bytes": request(REQ_TRACKING, length=28),
        "tracking 103 bytes": request(REQ_TRACKING, length=103),
        "tracking 200 bytes": big,
        "tracking 860 bytes": request(REQ_TRACKING, length=860),
        "source_data index 99": request(REQ_SOURCE_DATA, struct.pack(">i", 99)),
        "source_data index -1": request(REQ_SOURCE_DATA, struct.pack(">i", -1)),
        "makestep over UDP": request(REQ_MAKESTEP),
        "n_sources": request(REQ_N_SOURCES),
    }


def summary(reply):
    """What must agree with chronyd: silence, or the status and reply code (and that the
    reply is a valid reply)."""
    if reply is None:
        return None
    r = parse_reply(reply)
    return (r["version"], r["pkt_type"], r["status"], r["reply"] if r["status"] == 0 else 1)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """A tockd and a chronyd, each with a `local stratum 8` reference, a UDP command port
    on 127.0.0.1 and a Unix socket."""
    from conftest import Daemon
    work = tmp_path_factory.mktemp("tockd")
    rundir = work / "run"
    rundir.mkdir(mode=0o770)
    os.chmod(rundir, 0o770)
    cmdport = free_udp_port()
    conf = work / "tock.conf"
    conf.write_text(f"port 0\nlocal stratum 8\ncmdport {cmdport}\nbindcmdaddress 127.0.0.1\n"
                    f"bindcmdaddress {rundir}/tockd.sock\npidfile {rundir}/tockd.pid\n")
    d = Daemon(["-d", "-x", "-f", str(conf)], work)
    try:
        d.wait_log(r"command socket")
        with chronyd(["local stratum 8"]) as c:
            yield d, cmdport, str(rundir / "tockd.sock"), c
    finally:
        rc = d.stop()
        d.check_sanitizers()
        assert rc == 0, d.log()


def command_hits(tock_sock, c):
    """Command packets received by tockd and by chronyd (each query counts itself)."""
    r = subprocess.run([str(TOCKCTL), "-h", tock_sock, "-c", "serverstats"],
                       capture_output=True, text=True, timeout=10)
    t = int(r.stdout.split(",")[2])
    out = c.chronyc("-c", "serverstats").stdout
    return t, int(out.split(",")[2])


def test_catalogue_udp_matches_chronyd(both):
    d, cmdport, tock_sock, c = both
    before = command_hits(tock_sock, c)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for name, payload in catalogue().items():
            t = exchange(s, ("127.0.0.1", cmdport), payload)
            r = exchange(s, ("127.0.0.1", c.cmdport), payload)
            assert summary(t) == summary(r), (name, summary(t), summary(r))
            if t is not None:
                assert len(t) <= len(payload), name
                assert parse_reply(t)["seq"] == payload[8:12], name
        # NULL: tockd follows chrony 4.7+, which dropped it (4.3 still answers "200 OK")
        t = exchange(s, ("127.0.0.1", cmdport), request(0, length=28))
        assert summary(t) == (6, 2, 3, 1)
    finally:
        s.close()
    after = command_hits(tock_sock, c)
    # The same requests were counted (chronyd ignores the malformed ones before counting);
    # tockd also had the NULL request.
    assert after[0] - before[0] == after[1] - before[1] + 1, (before, after)
    assert d.alive()


def unix_client(path_dir):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(os.path.join(path_dir, f"client.{os.getpid()}.sock"))
    return s


def test_catalogue_unix_matches_chronyd(both):
    d, _, tock_sock, c = both
    with tempfile.TemporaryDirectory() as tmp:
        s = unix_client(tmp)
        try:
            for name, payload in catalogue().items():
                if name == "makestep over UDP":
                    continue  # allowed here; chronyd -x refuses to step, tockd -x does not
                t = exchange(s, tock_sock, payload)
                r = exchange(s, c.socket, payload)
                assert summary(t) == summary(r), (name, summary(t), summary(r))
                if t is not None:
                    assert len(t) <= len(payload), name
        finally:
            s.close()
    assert d.alive()


def test_random_garbage_never_amplifies(both):
    """1500 random datagrams (a valid header more often than not, random command, length
    and bytes): every reply is a reply to that request and no longer than it."""
    d, cmdport, tock_sock, _ = both
    rng = random.Random(6)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    replies = 0
    try:
        for i in range(1500):
            n = rng.choice([rng.randint(0, 40), rng.randint(20, 600), rng.randint(500, 1100)])
            data = bytearray(rng.getrandbits(8) for _ in range(n))
            if n >= 20 and rng.random() < 0.7:
                data[0:4] = bytes([6, 1, 0, 0])
                data[4:6] = struct.pack(">H", rng.randint(0, 80))
            s.settimeout(0.01 if i % 50 else 0.5)
            s.sendto(bytes(data), ("127.0.0.1", cmdport))
            try:
                while True:
                    reply = s.recv(4096)
                    replies += 1
                    r = parse_reply(reply)
                    assert r["version"] == 6 and r["pkt_type"] == 2
                    assert len(reply) <= max(n, 28) and n >= 28, (n, len(reply))
                    s.settimeout(0.001)
            except socket.timeout:
                pass
    finally:
        s.close()
    assert replies > 100
    assert d.alive()
    r = subprocess.run([str(TOCKCTL), "-h", tock_sock, "tracking"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0 and "Stratum         : 8" in r.stdout


FLOOD = r"""
import json, socket, struct, sys, time
targets = json.loads(sys.argv[1])
src, n = sys.argv[2], int(sys.argv[3])
out = {}
for name, (addr, port) in targets.items():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    got = 0
    for i in range(n):
        pkt = struct.pack(">BBBBHHIII", 6, 1, 0, 0, 33, 0, i, 0, 0).ljust(104, b"\0")
        s.sendto(pkt, (addr, port))
        time.sleep(0.002)
        try:
            while True:
                data = s.recv(4096)
                assert len(data) <= 104
                got += 1
        except BlockingIOError:
            pass
    time.sleep(0.5)
    try:
        while True:
            s.recv(4096)
            got += 1
    except BlockingIOError:
        pass
    out[name] = got
print(json.dumps(out))
"""


def ns_run(ns, *argv, timeout=60):
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                          timeout=timeout)


@needs_root
def test_remote_flood_rate_limited_like_chronyd(tockd, netns):
    """From 192.0.2.2 (a non-loopback address) in a namespace: 400 TRACKING requests in
    about a second to tockd and to chronyd, both with `cmdallow 192.0.2.0/24` and the
    default `cmdratelimit`. Both answer a small, similar share (the rest is dropped
    silently); tockd counts every request as answered or dropped. An address outside
    cmdallow gets nothing from either."""
    ns = netns()
    for addr in ("192.0.2.1/24", "192.0.2.2/24", "198.51.100.9/32"):
        subprocess.run(["ip", "-n", ns, "addr", "add", addr, "dev", "lo"], check=True)
    cmdport = free_udp_port()
    d = tockd(f"port 0\nlocal stratum 8\ncmdport {cmdport}\nbindcmdaddress 192.0.2.1\n"
              "cmdallow 192.0.2.0/24\ncmdratelimit\n", netns=ns, wait=r"command socket")
    with chronyd(["local stratum 8", "cmdallow 192.0.2.0/24", "cmdratelimit"], netns=ns,
                 address="192.0.2.1") as c:
        targets = {"tock": ["192.0.2.1", cmdport], "chrony": ["192.0.2.1", c.cmdport]}
        n = 400
        r = ns_run(ns, sys.executable, "-c", FLOOD, json.dumps(targets), "192.0.2.2", str(n))
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        # 1/16 s interval, burst 8, leak 2: roughly 8 + 16/s + a quarter of the rest
        assert 8 <= got["tock"] < n / 2, got
        assert 8 <= got["chrony"] < n / 2, got
        assert 0.5 < got["tock"] / got["chrony"] < 2.0, got
        # every request is either answered or counted as dropped
        stats = json.loads(ns_run(ns, str(TOCKCTL), "-h", str(d.socket), "-j",
                                  "serverstats").stdout)
        assert stats["command_packets_dropped"] == n - got["tock"], (stats, got)
        clients = json.loads(ns_run(ns, str(TOCKCTL), "-h", str(d.socket), "-j",
                                    "clients", "-k").stdout)["clients"]
        row = [x for x in clients if x["address"] == "192.0.2.2"]
        assert row, clients
        # the outsider: silence from both
        r = ns_run(ns, sys.executable, "-c", FLOOD, json.dumps(targets), "198.51.100.9", "20")
        assert json.loads(r.stdout) == {"tock": 0, "chrony": 0}, r.stdout + r.stderr
    assert d.alive()
    assert d.stop() == 0  # before the namespace goes
