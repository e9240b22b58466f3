"""Access control with real clients on real (namespaced) subnets (issue 4, "Proof").

tockd runs on port 123 in a namespace of its own; every client host is another namespace
joined to it by a veth pair, with an address in one of the tutorial's subnets
(192.168.1.0/24, 10.0.0.0/8, 172.16.0.0/12) or just outside them. The clients are the
tools an operator would use: ntpdate -q and sntp (Debian 12: ntpsec's ntpdig underneath),
the real chronyc, and raw packets where a count must be exact.
"""
import re
import socket
import subprocess

from conftest import TOCKD, free_udp_port, needs_root, require_tool
from nettopo import Topology
from serveutil import (chronyc, chronyc_clients_csv, clients, drop_summary, serverstats,
                       tockctl, wait_until)
from tockutil import exchange, request

TUTORIAL_ALLOW = "allow 192.168.1.0/24\nallow 10.0.0.0/8\nallow 172.16.0.0/12\n"

# name, client address, server's address on that link, allowed by TUTORIAL_ALLOW
HOSTS = [
    ("lan", "192.168.1.10/24", "192.168.1.1", True),
    ("ten", "10.20.30.40/8", "10.0.0.1", True),
    ("corp", "172.31.200.9/12", "172.16.0.1", True),      # last /16 inside 172.16.0.0/12
    ("lan2", "192.168.2.10/24", "192.168.2.1", False),    # next /24
    ("past12", "172.32.0.5/16", "172.32.0.1", False),     # first address past the /12
    ("other", "198.51.100.7/24", "198.51.100.1", False),  # a subnet the config never names
]


def build(netns, hosts=HOSTS, v6=False):
    topo = Topology(netns)
    for i, (name, cidr, srv, _) in enumerate(hosts):
        if v6:
            topo.add_client(name, cidr, srv, f"fd00:{i + 1}::10/64", f"fd00:{i + 1}::1")
        else:
            topo.add_client(name, cidr, srv)
    return topo


def ntpdate(topo, c, server=None):
    return topo.run(c, ["ntpdate", "-q", server or c.server_addr])


def sntp(topo, c, server=None):
    return topo.run(c, ["sntp", "-t", "1", server or c.server_addr])


def served(result, server):
    """ntpdig's report line: '... +0.000012 +/- 0.000054 192.168.1.1 s10 no-leap'."""
    return result.returncode == 0 and re.search(rf"\s{re.escape(server)} s10 ", result.stdout)


@needs_root
def test_tutorial_allow_lines_serve_exactly_their_subnets(tockd, netns):
    require_tool("ntpdate")
    require_tool("sntp")
    topo = build(netns)
    d = tockd(f"port 123\n{TUTORIAL_ALLOW}local stratum 10\ncmdport 0\n", netns=topo.server,
              wait=r"serving NTP on 0\.0\.0\.0 port 123")
    for c, (_, _, _, allowed) in zip(topo.clients, HOSTS):
        for tool in (ntpdate, sntp):
            r = tool(topo, c)
            if allowed:
                assert served(r, c.server_addr), f"{tool.__name__} from {c.addr}: {r}"
            else:
                assert not served(r, c.server_addr), f"{c.addr} was served: {r.stdout}"
                assert r.returncode != 0

    # Counters: every request of an allowed host reached the server path ("received"),
    # each allowed host is in the client log with its own count, denied hosts are not.
    stats = serverstats(d.socket)
    table = clients(d.socket)
    allowed = [c for c, h in zip(topo.clients, HOSTS) if h[3]]
    denied = [c for c, h in zip(topo.clients, HOSTS) if not h[3]]
    assert set(table) == {c.addr for c in allowed}, table
    per_host = [table[c.addr]["ntp"]["hits"] for c in allowed]
    assert all(n >= 2 for n in per_host), per_host  # ntpdate + sntp
    assert stats["ntp_packets_received"] == sum(per_host)
    assert stats["ntp_packets_dropped"] == 0
    assert d.stop() == 0
    totals = drop_summary(d.log())
    assert totals["received"] == sum(per_host)
    # ntpdig sends one request per run and never retries: 2 runs per denied host.
    assert totals["denied"] == 2 * len(denied), totals


@needs_root
def test_deny_all_after_the_allow_lines_denies_everyone_and_says_so(tockd, netns, tmp_path):
    """The tutorial's "Deny all other access explicitly: deny all" after its allow lines:
    chrony's semantics (deny all wipes every narrower rule) are kept, and both -Q and
    start-up name the deny line, the allow lines it wipes, and the fix."""
    require_tool("ntpdate")
    conf_text = f"port 123\n{TUTORIAL_ALLOW}\ndeny all\nlocal stratum 10\ncmdport 0\n"
    conf = tmp_path / "tutorial.conf"
    conf.write_text(conf_text)
    q = subprocess.run([str(TOCKD), "-Q", "-f", str(conf)], capture_output=True, text=True,
                       timeout=20)
    assert q.returncode == 0, q.stderr  # a warning, not an error: chronyd accepts it too
    # Line 1 is `port`, the allow lines are 2-4, line 5 is blank, `deny all` is line 6.
    def warning(c):
        return (f"{c}:6: warning: deny all at {c}:6 denies everyone: it wipes the allow rules "
                f"at {c}:2, {c}:3, {c}:4 (drop the line: the default is already deny)")
    assert warning(conf) in q.stderr, q.stderr

    topo = build(netns, HOSTS[:3])
    d = tockd(conf_text, netns=topo.server, wait=r"NTP server off")
    log = d.log()
    assert warning(d.conf_path) in log, log
    assert "NTP server off (the access rules allow no address)" in log, log
    for c in topo.clients:
        assert not served(ntpdate(topo, c), c.server_addr)
    assert serverstats(d.socket)["ntp_packets_received"] == 0
    assert clients(d.socket) == {}


@needs_root
def test_ipv6_rules_in_namespaces(tockd, netns):
    """The same with IPv6 subnets: an allowed /64 is served over IPv6, its neighbour is not,
    and an IPv4-only rule set never opens the IPv6 socket at all."""
    require_tool("ntpdate")
    hosts = HOSTS[:1] + HOSTS[3:4]
    topo = build(netns, hosts, v6=True)
    lan, lan2 = topo.clients
    d = tockd(f"port 123\n{TUTORIAL_ALLOW}allow fd00:1::/64\nlocal stratum 10\ncmdport 0\n",
              netns=topo.server, wait=r"serving NTP on :: port 123")
    assert served(ntpdate(topo, lan, lan.server_addr6), lan.server_addr6)
    assert not served(ntpdate(topo, lan2, lan2.server_addr6), lan2.server_addr6)
    assert served(ntpdate(topo, lan, lan.server_addr), lan.server_addr)
    table = clients(d.socket)
    assert set(table) == {lan.addr6, lan.addr}, table
    assert d.stop() == 0
    assert drop_summary(d.log())["denied"] == 1


@needs_root
def test_clients_report_lists_namespaced_clients_with_their_hits(tockd, netns):
    """`tockctl clients` and the real chronyc's `clients` over the Unix socket list each
    namespaced client with exactly the number of requests it sent."""
    topo = build(netns, HOSTS[:3])
    d = tockd(f"port 123\n{TUTORIAL_ALLOW}local stratum 10\ncmdport 0\n", netns=topo.server,
              wait=r"serving NTP on 0\.0\.0\.0 port 123")
    sent = {}
    for n, c in enumerate(topo.clients, start=1):
        code = (f"from tockutil import ntp_query\n"
                f"ok = sum(ntp_query({c.server_addr!r}, 123, poll=4) is not None "
                f"for _ in range({3 * n}))\nprint(ok)")
        r = topo.python(c, code)
        assert r.stdout.strip() == str(3 * n), r.stdout + r.stderr
        sent[c.addr] = 3 * n
    table = clients(d.socket)
    assert {a: e["ntp"]["hits"] for a, e in table.items()} == sent
    for e in table.values():
        assert e["ntp"]["drops"] == 0 and e["cmd"]["hits"] == 0
        assert e["ntp"]["last"] is not None and 0 <= e["ntp"]["last"] < 30

    # The text report, as an operator reads it.
    text = tockctl(d.socket, "clients")
    assert text.returncode == 0, text.stderr
    for addr, n in sent.items():
        assert re.search(rf"^{re.escape(addr)}\s+{n}\s+0\s", text.stdout, re.M), text.stdout

    # The real chronyc 4.3 over tockd's Unix socket: same addresses, same counts.
    rows = chronyc_clients_csv(d.socket)
    assert {a: int(f[1]) for a, f in rows.items()} == sent, rows
    assert all(f[2] == "0" for f in rows.values())

    # -r resets the counters after reporting them.
    assert chronyc(d.socket, "-c", "clients", "-r").returncode == 0
    after = chronyc_clients_csv(d.socket)
    assert all(f[1] == "0" for f in after.values()), after
    assert wait_until(lambda: d.alive(), 1)


def test_clientloglimit_bounds_the_log_and_counts_evictions(tockd):
    """A small `clientloglimit` holds few records; 200 distinct client addresses (127.0.1.x
    on loopback) all get answers, every address that found no room evicted a record and
    was counted in "Client log records dropped", and `clients` lists what is left."""
    port = free_udp_port()
    # 4096 bytes at 80 bytes a record, with room for a doubling: 2 slots of 16 records.
    d = tockd(f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 10\n"
              f"cmdport 0\nclientloglimit 4096\n", wait=r"serving NTP on 127.0.0.1")
    n = 200
    for i in range(n):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((f"127.0.1.{i + 1}", 0))
            s.settimeout(1.0)
            s.sendto(request(), ("127.0.0.1", port))
            assert len(s.recv(1024)) == 48
    stats = serverstats(d.socket)
    table = clients(d.socket)
    assert stats["ntp_packets_received"] == n
    assert len(table) <= 32, len(table)
    assert stats["client_log_records_dropped"] == n - len(table), (stats, len(table))
    assert all(e["ntp"]["hits"] == 1 for e in table.values())
    assert exchange("127.0.0.1", port, request()) is not None
