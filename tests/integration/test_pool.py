"""Pools: a name resolves to up to `maxsources` addresses, an unreachable member is
replaced by a new address. Names are given to namespaced chronyd servers through
/etc/netns/NAME/hosts (ip netns exec mounts it over /etc/hosts), never through real DNS."""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from chronyd_util import chronyd
from conftest import TOCKCTL, needs_root

POOL = "pool.tock.test"
ADDRS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


@pytest.fixture
def named_netns(netns):
    """A namespace whose /etc/hosts gives POOL the four addresses (and nothing else)."""
    ns = netns()
    etc = pathlib.Path("/etc/netns") / ns
    etc.mkdir(parents=True)
    lines = ["127.0.0.1 localhost"] + [f"{a} {POOL}" for a in ADDRS]
    (etc / "hosts").write_text("\n".join(lines) + "\n")
    yield ns
    shutil.rmtree(etc, ignore_errors=True)


def sources_json(sock):
    out = subprocess.run([str(TOCKCTL), "-h", str(sock), "-j", "sources"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)["sources"]


def addresses(sock):
    return sorted(s["address"] for s in sources_json(sock))


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


@needs_root
@pytest.mark.parametrize("mode", ["-d", "-n"])
def test_pool_resolves_and_replaces_an_unreachable_member(named_netns, tockd, mode):
    """-d resolves synchronously (single-process mode); -n uses the resolver helper."""
    ns = named_netns
    port = 12300
    servers = {}
    try:
        for a in ADDRS[:3]:
            cm = chronyd(["local stratum 8", "allow 127.0.0.0/8"], netns=ns, address=a,
                         port=port)
            servers[a] = (cm, cm.__enter__())
        # -n started as root needs a user that exists (only -d forgives a missing default
        # `tock`); TOCK_TEST_USER names one.
        user = "" if mode == "-d" or os.environ.get("TOCK_TEST_USER") else "user root\n"
        d = tockd(f"pool {POOL} port {port} iburst maxsources 3 minpoll 0 maxpoll 0\n"
                  f"port 0\ncmdport 0\n{user}", args=[mode, "-x"], netns=ns,
                  wait=r"tockd \S+ starting" if mode == "-d" else None)
        sock = d.socket
        assert wait_for(lambda: sock.exists(), 10)
        assert wait_for(lambda: addresses(sock) == ADDRS[:3], 15), sources_json(sock)
        assert wait_for(lambda: any(s["state"] == "selected" for s in sources_json(sock)), 20)
        # A fourth server appears at the last address, and the second member goes away.
        cm = chronyd(["local stratum 8", "allow 127.0.0.0/8"], netns=ns, address=ADDRS[3],
                     port=port)
        servers[ADDRS[3]] = (cm, cm.__enter__())
        cm, _ = servers.pop(ADDRS[1])
        cm.__exit__(None, None, None)
        # 8 polls without a reply (1 s each) make it unreachable; tockd then resolves the
        # pool again and takes the unused address.
        expected = [ADDRS[0], ADDRS[2], ADDRS[3]]
        assert wait_for(lambda: addresses(sock) == expected, 40), sources_json(sock)
        assert wait_for(lambda: all(s["reach"] > 0 for s in sources_json(sock)), 15), \
            sources_json(sock)
    finally:
        for cm, _ in servers.values():
            cm.__exit__(None, None, None)


@needs_root
def test_numeric_addresses_never_use_the_resolver(named_netns, tockd):
    """A literal address is used as is even when the resolver could not answer."""
    ns = named_netns
    d = tockd("server 127.0.0.9 port 12399 minpoll 0 maxpoll 0\nport 0\ncmdport 0\n",
              args=["-d", "-x"], netns=ns)
    assert wait_for(lambda: d.socket.exists(), 10)
    assert addresses(d.socket) == ["127.0.0.9"]
    assert "resolved" not in d.log()


@needs_root
def test_pool_with_fewer_addresses_than_maxsources(netns, tockd):
    """A pool that resolves to one address while maxsources is 2: the resolved member is
    polled and selected; the other waits for a name without busy-looping."""
    ns = netns()
    etc = pathlib.Path("/etc/netns") / ns
    etc.mkdir(parents=True)
    try:
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n127.0.0.2 {POOL}\n")
        with chronyd(["local stratum 8", "allow 127.0.0.0/8"], netns=ns, address="127.0.0.2",
                     port=12300):
            d = tockd(f"pool {POOL} port 12300 iburst maxsources 2 minpoll 0 maxpoll 0\n"
                      "port 0\ncmdport 0\n", args=["-d", "-x"], netns=ns)
            assert wait_for(lambda: any(s["state"] == "selected"
                                        for s in sources_json(d.socket)), 20), \
                sources_json(d.socket)
            stat = open(f"/proc/{d.proc.pid}/stat").read().rsplit(")", 1)[1].split()
            cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            assert cpu < 2.0, f"tockd used {cpu} s of CPU: a busy loop"
    finally:
        shutil.rmtree(etc, ignore_errors=True)
