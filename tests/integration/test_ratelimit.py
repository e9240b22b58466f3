"""Rate limiting with real and raw clients (issue 4, "Proof").

The bounds are worked out from the algorithm (chronyd's clientlog.c, inventory 1.4), not
from observed runs:

  * a client's bucket starts full: `burst` requests are answered first, always;
  * the bucket refills one request's worth every 2^interval seconds, in 1/16 s ticks, and a
    leaked request empties it: a burst sent in well under 2^interval seconds gets no
    request's worth back from the refill;
  * every later request is answered ("leaked") with probability 1/2^leak, independently;
    with `kod K`, one that is not leaked gets a KoD RATE with probability 1/2^K, the rest
    are dropped - so leaks ~ Bin(n, 2^-leak), KoDs ~ Bin(n, (1 - 2^-leak) 2^-K);
  * the inversion for clients that hammer while dropped needs the client's rate after
    drops to exceed twice its rate after replies; in a back-to-back burst both intervals
    are 0-1 ticks, so it cannot trigger.

Each random count is checked against binomial bounds that fail with probability < 1e-9,
and the daemon's counters must account for every request exactly.
"""
import json
import math
import os
import re
import socket
import struct
import subprocess
import time

from chronyd_util import chronyd
from conftest import free_udp_port, needs_root
from nettopo import Topology
from serveutil import chronyc, clients, drop_summary, serverstats, tockctl
from tockutil import NTP_EPOCH, parse, to_ntp

RATE = 0x52415445


def binom_bounds(n, p, alpha=1e-9):
    """(lo, hi) with P(X < lo) <= alpha and P(X > hi) <= alpha for X ~ Bin(n, p)."""
    pmf = [math.comb(n, k) * p**k * (1 - p)**(n - k) for k in range(n + 1)]
    lo, acc = 0, 0.0
    while acc + pmf[lo] <= alpha:
        acc += pmf[lo]
        lo += 1
    hi, acc = n, 0.0
    while acc + pmf[hi] <= alpha:
        acc += pmf[hi]
        hi -= 1
    return lo, hi


def burst(port, n, source, poll=0, quiet=1.0):
    """Sends n client requests back to back from `source`, each with its own transmit
    timestamp; returns {request index: parsed reply} for the replies that arrived."""
    base = to_ntp(time.time())
    sent = {}
    replies = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        for i in range(n):
            tx = base + (i << 8)
            sent[tx] = i
            pkt = struct.pack(">BBbb", 0x23, 0, poll, -20) + b"\0" * 36 + struct.pack(">Q", tx)
            s.sendto(pkt, ("127.0.0.1", port))
        t_sent = time.time()
        s.settimeout(quiet)
        try:
            while True:
                data = s.recv(2048)
                r = parse(data)
                assert r["origin"] in sent, "reply to a request never sent"
                assert sent[r["origin"]] not in replies, "two replies to one request"
                r["t_sent"] = t_sent
                replies[sent[r["origin"]]] = r
        except socket.timeout:
            pass
    return replies


def limited_config(port, limit):
    return (f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 10\n"
            f"cmdport 0\n{limit}\n")


def test_burst_gets_exactly_what_bucket_and_leak_allow(tockd):
    """The tutorial's `ratelimit interval 1 burst 16` (leak 2): 200 back-to-back requests
    get the 16 of the burst, then about 1 in 4, and no KoD without `kod`."""
    port = free_udp_port()
    d = tockd(limited_config(port, "ratelimit interval 1 burst 16"),
              wait=r"serving NTP on 127.0.0.1")
    n, burst_size = 200, 16
    replies = burst(port, n, "127.0.0.5")
    assert all(i in replies for i in range(burst_size)), sorted(replies)[:20]
    leaked = len(replies) - burst_size
    lo, hi = binom_bounds(n - burst_size, 1 / 4)
    assert lo <= leaked <= hi, (leaked, lo, hi)
    for r in replies.values():
        assert r["stratum"] == 10 and r["refid"] != RATE  # never a KoD without `kod`
        assert r["poll"] == 1  # the request's poll 0 raised to the limit interval (2^1 s)
    stats = serverstats(d.socket)
    assert stats["ntp_packets_received"] == n
    assert stats["ntp_packets_dropped"] == n - len(replies)
    entry = clients(d.socket)["127.0.0.5"]
    assert entry["ntp"]["hits"] == n and entry["ntp"]["drops"] == n - len(replies)

    # A client that asks at a slower poll keeps its own poll in the reply.
    r = burst(port, 1, "127.0.0.6", poll=6)
    assert r[0]["poll"] == 6


def test_kod_rate_only_with_kod_and_well_formed(tockd):
    port = free_udp_port()
    d = tockd(limited_config(port, "ratelimit interval 1 burst 16 kod 1"),
              wait=r"serving NTP on 127.0.0.1")
    n, burst_size = 200, 16
    replies = burst(port, n, "127.0.0.7")
    assert all(i in replies and replies[i]["stratum"] == 10 for i in range(burst_size))
    kods = {i: r for i, r in replies.items() if r["stratum"] == 0}
    normal = len(replies) - len(kods)
    m = n - burst_size
    lo, hi = binom_bounds(m, 1 / 4)
    assert lo <= normal - burst_size <= hi
    lo, hi = binom_bounds(m, 3 / 4 * 1 / 2)
    assert lo <= len(kods) <= hi, (len(kods), lo, hi)
    dropped = n - len(replies)
    assert lo <= dropped <= hi  # dropped ~ Bin(m, 3/8) too
    for i, k in kods.items():
        # RFC 5905 KoD: LI 3, stratum 0, refid "RATE", the request's transmit as origin,
        # poll raised to the limit interval, real timestamps.
        assert k["leap"] == 3 and k["mode"] == 4 and k["version"] == 4
        assert k["refid"] == RATE and k["poll"] == 1 and k["length"] == 48
        assert i >= burst_size
        for field in ("receive", "transmit"):
            t = (k[field] >> 32) - NTP_EPOCH + (k[field] & 0xFFFFFFFF) / 2**32
            assert abs(t - k["t_sent"]) < 2.0
    stats = serverstats(d.socket)
    # KoD replies are neither answers nor drops in chronyd's counters: received counts all,
    # dropped only the silent ones.
    assert stats["ntp_packets_received"] == n
    assert stats["ntp_packets_dropped"] == dropped


def test_no_ratelimit_answers_everything(tockd):
    port = free_udp_port()
    d = tockd(limited_config(port, ""), wait=r"serving NTP on 127.0.0.1")
    replies = burst(port, 100, "127.0.0.8", poll=0)
    assert len(replies) == 100
    assert all(r["poll"] == 0 for r in replies.values())
    assert serverstats(d.socket)["ntp_packets_dropped"] == 0


def sniff(ns, iface, out, seconds):
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3",
                             os.path.join(here, "ntpsniff.py"), iface, str(out), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@needs_root
def test_chronyd_client_backs_off_on_kod_rate(tockd, netns, tmp_path):
    """A chronyd -x client polling every 0.5 s that gets KoD RATE logs it and waits an
    extra 4 poll intervals before its next request; after a silent drop it does not."""
    topo = Topology(netns)
    c = topo.add_client("lan", "192.168.1.10/24", "192.168.1.1")
    tockd("port 123\nallow 192.168.1.0/24\nlocal stratum 10\ncmdport 0\n"
          "ratelimit interval 3 burst 1 leak 4 kod 1\n", netns=topo.server,
          wait=r"serving NTP on 0\.0\.0\.0 port 123")
    capture = tmp_path / "capture.jsonl"
    window = 20
    proc = sniff(topo.server, "tsrv0", capture, window)
    with chronyd(["server 192.168.1.1 minpoll -1 maxpoll -1"], netns=c.ns,
                 address=c.addr) as client:
        proc.wait(timeout=window + 10)
        log = client.read_log()
    assert "Received KoD RATE from 192.168.1.1" in log, log

    packets = [json.loads(line) for line in capture.read_text().splitlines()]
    requests = [p for p in packets if p["dir"] == "in" and p["mode"] == 3]
    replies = {p["origin"]: p for p in packets if p["dir"] == "out" and p["mode"] == 4}
    assert len(requests) >= 5, packets
    after_kod, after_drop = [], []
    for req, nxt in zip(requests, requests[1:]):
        gap = nxt["t"] - req["t"]
        reply = replies.get(req["transmit"])
        if reply is None:
            after_drop.append(gap)
        elif reply["stratum"] == 0:
            assert reply["refid"] == RATE and reply["poll"] == 3 and reply["leap"] == 3
            after_kod.append(gap)
    assert len(after_kod) >= 2, (after_kod, after_drop)
    assert after_drop, (after_kod, after_drop)
    # Poll 2^-1 s plus 4 x 2^-1 s of back-off after a KoD; the poll alone after a drop.
    assert min(after_kod) > 2.0, after_kod
    assert max(after_drop) < 1.25, after_drop


@needs_root
def test_cmdratelimit_on_a_remote_command_client(tockd, netns):
    """cmdallow opens the command port to one namespaced subnet; cmdratelimit limits a
    burst from it exactly as the bucket allows; loopback is never limited; a host outside
    cmdallow gets nothing and is not even counted."""
    topo = Topology(netns)
    lan = topo.add_client("lan", "192.168.1.10/24", "192.168.1.1")
    other = topo.add_client("other", "198.51.100.7/24", "198.51.100.1")
    d = tockd("port 123\nallow 192.168.1.0/24\nlocal stratum 10\ncmdport 323\n"
              "bindcmdaddress 0.0.0.0\n"
              "cmdallow 192.168.1.0/24\ncmdratelimit interval 2 burst 4 leak 2\n",
              netns=topo.server, wait=r"command port on 0\.0\.0\.0 port 323")
    code = ("from serveutil import candm_burst\n"
            "print(len(candm_burst({srv!r}, 323, {n}, timeout=1.0)))")

    # The real chronyc from the allowed host: a monitoring command works.
    r = topo.run(lan, ["chronyc", "-n", "-h", "192.168.1.1", "-p", "323", "tracking"])
    assert r.returncode == 0 and "Stratum         : 10" in r.stdout, r.stdout + r.stderr
    time.sleep(4.5)  # chronyc's request was one token; let the bucket refill (1 per 4 s)

    n = 60
    got = topo.python(lan, code.format(srv="192.168.1.1", n=n))
    answered = int(got.stdout.strip() or -1)
    lo, hi = binom_bounds(n - 4, 1 / 4)
    assert 4 + lo <= answered <= 4 + hi, (answered, got.stderr)

    denied = topo.python(other, code.format(srv="198.51.100.1", n=10))
    assert denied.stdout.strip() == "0", denied.stderr
    local = topo.python(topo.server, code.format(srv="127.0.0.1", n=n))
    assert local.stdout.strip() == str(n), local.stderr

    # What is not a command request (too short, a reply, reserved bytes set) is dropped
    # before the client log: neither counted nor charged to the bucket.
    before = clients(d.socket)["192.168.1.10"]["cmd"]["hits"]
    junk = ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for p in (b'\\x06\\x01' + bytes(8), bytes([6, 2]) + bytes(102),"
            " bytes([6, 1, 1, 0]) + bytes(100), bytes([6, 1]) + bytes(900)):\n"
            "    s.sendto(p, ('192.168.1.1', 323))\n")
    assert topo.python(lan, junk).returncode == 0
    time.sleep(0.3)
    assert clients(d.socket)["192.168.1.10"]["cmd"]["hits"] == before

    stats = serverstats(d.socket)
    # The denied host is not counted at all; loopback is never limited.
    assert stats["command_packets_dropped"] == n - answered
    table = clients(d.socket)
    assert "198.51.100.7" not in table
    assert table["192.168.1.10"]["cmd"]["hits"] >= n + 1
    assert table["192.168.1.10"]["cmd"]["drops"] == n - answered
    assert table["127.0.0.1"]["cmd"]["drops"] == 0
    # The refused command packets are not NTP drops.
    assert d.stop() == 0
    assert drop_summary(d.log())["denied"] == 0


def test_noclientlog_serves_without_records_and_refuses_rate_limits(tockd):
    """`noclientlog`: requests are answered and counted in serverstats, but no record is
    kept (`clients` gets chrony's 519 from both tockctl and chronyc); together with a
    `ratelimit` it is refused at start-up with both lines."""
    port = free_udp_port()
    d = tockd(limited_config(port, "noclientlog"), wait=r"serving NTP on 127.0.0.1")
    assert len(burst(port, 20, "127.0.0.9")) == 20
    assert serverstats(d.socket)["ntp_packets_received"] == 20
    for r in (tockctl(d.socket, "clients"), chronyc(d.socket, "clients")):
        assert r.returncode != 0
        assert "519 Client logging is not active in the daemon" in r.stdout + r.stderr
    bad = tockd(limited_config(free_udp_port(), "noclientlog\nratelimit interval 1"),
                expect_running=False)
    assert bad.proc.wait(10) == 1
    assert re.search(r"tock\.conf:6: error: noclientlog: rate limiting cannot be enabled "
                     r"with noclientlog: ratelimit at \S+tock\.conf:7", bad.log()), bad.log()
