"""A small routed-free test network made of network namespaces and veth pairs.

One "server" namespace and one namespace per client host. Each client is joined to the
server by its own veth pair; both ends get an address in the client's subnet, so no routing
is needed and every address exists only inside the test's namespaces (the veth ends are
created directly in their namespaces: nothing appears in the machine's own namespace).

    topo = Topology(netns)                     # netns: the conftest factory fixture
    c = topo.add_client("lan", "192.168.1.10/24", "192.168.1.1")
    topo.run(c, ["ntpdate", "-q", "192.168.1.1"])

IPv6 addresses are added with `nodad` so they are usable at once.
"""
import ipaddress
import subprocess


class Client:
    def __init__(self, name, ns, addr, server_addr, addr6=None, server_addr6=None):
        self.name = name
        self.ns = ns
        self.addr = addr
        self.server_addr = server_addr
        self.addr6 = addr6
        self.server_addr6 = server_addr6


def _ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=20)


class Topology:
    def __init__(self, netns_factory):
        self._make = netns_factory
        self.server = netns_factory()
        self.clients = []

    def add_client(self, name, cidr, server_addr, cidr6=None, server_addr6=None):
        """A client host with address `cidr` (e.g. "10.1.2.3/8"); the server's end of the
        link gets `server_addr` in the same subnet. Optionally IPv6 as well."""
        ns = self._make()
        idx = len(self.clients)
        srv_if, cli_if = f"tsrv{idx}", "eth0"
        _ip("link", "add", srv_if, "netns", self.server, "type", "veth", "peer", "name",
            cli_if, "netns", ns)
        prefix = ipaddress.ip_interface(cidr).network.prefixlen
        _ip("-n", self.server, "addr", "add", f"{server_addr}/{prefix}", "dev", srv_if)
        _ip("-n", ns, "addr", "add", cidr, "dev", cli_if)
        if cidr6:
            prefix6 = ipaddress.ip_interface(cidr6).network.prefixlen
            _ip("-n", self.server, "addr", "add", f"{server_addr6}/{prefix6}", "dev", srv_if,
                "nodad")
            _ip("-n", ns, "addr", "add", cidr6, "dev", cli_if, "nodad")
        _ip("-n", self.server, "link", "set", srv_if, "up")
        _ip("-n", ns, "link", "set", cli_if, "up")
        c = Client(name, ns, str(ipaddress.ip_interface(cidr).ip), server_addr,
                   str(ipaddress.ip_interface(cidr6).ip) if cidr6 else None, server_addr6)
        self.clients.append(c)
        return c

    @staticmethod
    def run(ns, argv, timeout=30):
        """Runs argv inside namespace ns (a Client or a namespace name)."""
        name = ns.ns if isinstance(ns, Client) else ns
        return subprocess.run(["ip", "netns", "exec", name, *argv], capture_output=True,
                              text=True, timeout=timeout, check=False)

    def python(self, ns, code, timeout=30):
        """Runs a Python snippet inside a namespace with tockutil importable."""
        import os
        here = os.path.dirname(os.path.abspath(__file__))
        prelude = f"import sys; sys.path.insert(0, {here!r})\n"
        return self.run(ns, ["/usr/bin/python3", "-c", prelude + code], timeout=timeout)
