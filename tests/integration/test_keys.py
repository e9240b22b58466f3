"""Symmetric-key authentication with real clients (issue 4, "Proof").

  * tockd as a server: a client that computes the MAC itself (Python's hashlib and
    cryptography, independent of tock's code) for every key type and both MAC forms;
    chronyd -x clients with `server ... key N`; ntpdig -k KEYFILE -a N (ntpsec's keyfile
    format). Every bad MAC form gets no reply, is counted, and the server keeps serving.
  * tockd as a client: `server ... key N` against a chronyd -x server (authenticated,
    tockctl shows it), a wrong key (unusable), and a fake server whose replies carry a
    wrong MAC or none (rejected by tockd's client side).
  * the keyfile: permissions warning, and `tockctl keygen` lines loaded by tockd and
    chronyd alike.
"""
import hashlib
import os
import re
import socket
import struct
import subprocess
import threading
import time

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

from chronyd_util import chronyd
from conftest import TOCKCTL, free_udp_port, needs_root, share_with_test_user, require_tool
from nettopo import Topology
from serveutil import (drop_summary, serverstats, tockctl, tockctl_json, wait_until,
                       write_keyfiles)
from tockutil import parse, request, to_ntp

HASHES = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384",
          "SHA512": "sha512"}
DIGEST_LEN = {"MD5": 16, "SHA1": 20, "SHA256": 32, "SHA384": 48, "SHA512": 64,
              "AES128": 16, "AES256": 16}
KEY_LEN = {"MD5": 16, "SHA1": 20, "SHA256": 32, "SHA384": 48, "SHA512": 64, "AES128": 16,
           "AES256": 32}
# Key IDs used throughout: one per type.
KEYS = [(i + 1, t, bytes((17 * (i + 1) + 3 * j) & 0xFF for j in range(KEY_LEN[t])))
        for i, t in enumerate(["MD5", "SHA1", "SHA256", "SHA384", "SHA512", "AES128",
                               "AES256"])]
KEY_BY_TYPE = {t: (kid, key) for kid, t, key in KEYS}


def digest(ktype, key, data):
    """The full MAC digest, computed independently of tock (RFC 5905 / RFC 8573)."""
    if ktype.startswith("AES"):
        c = cmac.CMAC(algorithms.AES(key))
        c.update(data)
        return c.finalize()
    return hashlib.new(HASHES[ktype], key + data).digest()


def mac_field(ktype, kid, key, data, version):
    d = digest(ktype, key, data)
    if version == 4:
        d = d[:20]
    return struct.pack(">I", kid) + d


def signed_request(ktype, version=4, body=None):
    kid, key = KEY_BY_TYPE[ktype]
    pkt = body if body is not None else request(version=version)
    return pkt + mac_field(ktype, kid, key, pkt, version)


def keyfile_config(port, path, extra=""):
    return (f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 10\n"
            f"cmdport 0\nkeyfile {path}\n{extra}")


def query(port, payload, timeout=0.5):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recv(4096)
        except socket.timeout:
            return None


def test_server_answers_every_key_type_in_both_mac_forms(tockd, tmp_path):
    """NTPv4: key ID + digest truncated to 20 bytes; NTPv3: the full digest (what chronyd
    sends for keys whose digest is longer than 20 bytes); NTPv4 with the full digest (what
    ntpd and ntpsec send). The reply has the same form and length as the request and a MAC
    under the same key, over the reply's header."""
    chrony_keys, _ = write_keyfiles(tmp_path, KEYS)
    port = free_udp_port()
    d = tockd(keyfile_config(port, chrony_keys), wait=r"serving NTP on 127.0.0.1")
    assert "loaded 7 keys" in d.log()
    sent = 0
    for kid, ktype, key in KEYS:
        for version in (4, 3):
            req = signed_request(ktype, version)
            reply = query(port, req)
            sent += 1
            assert reply is not None, f"{ktype} v{version}: no reply"
            expect_mac = 4 + (min(DIGEST_LEN[ktype], 20) if version == 4 else DIGEST_LEN[ktype])
            assert len(reply) == 48 + expect_mac == len(req), (ktype, version, len(reply))
            assert reply[48:] == mac_field(ktype, kid, key, reply[:48], version)
            r = parse(reply[:48])
            assert r["version"] == version and r["stratum"] == 10
            assert r["origin"] == struct.unpack(">Q", req[40:48])[0]
    # ntpd/ntpsec's form for long keys: NTPv4 with the full digest (no RFC 7822 MAC, and
    # chronyd 4.3 drops it); tock answers in the same form and length.
    for ktype in ("SHA256", "SHA384", "SHA512"):
        kid, key = KEY_BY_TYPE[ktype]
        v4 = request(version=4)
        req = v4 + struct.pack(">I", kid) + digest(ktype, key, v4)
        reply = query(port, req)
        sent += 1
        assert reply is not None and len(reply) == len(req), ktype
        assert reply[48:] == struct.pack(">I", kid) + digest(ktype, key, reply[:48])
        assert parse(reply[:48])["version"] == 4
    # A valid extension field before the MAC: the MAC covers header and field; the reply
    # (no field echoed) carries its own MAC over its header.
    ef = request() + struct.pack(">HH", 0x2345, 28) + b"\0" * 24
    reply = query(port, signed_request("SHA1", body=ef))
    sent += 1
    assert reply is not None and len(reply) == 72
    assert reply[48:] == mac_field("SHA1", *KEY_BY_TYPE["SHA1"], reply[:48], 4)
    # Unauthenticated requests are still answered, without a MAC (as chronyd).
    plain = query(port, request())
    assert plain is not None and len(plain) == 48
    assert serverstats(d.socket)["authenticated_ntp_packets"] == sent


def bad_mac_packets():
    """(name, packet, reason tock counts it under). The reasons follow chronyd's parser
    (inventory 7.1): after an NTPv4 header, a remainder of 20..24 bytes is a MAC, a 4-byte
    zero word a crypto-NAK, anything else must be extension fields; in NTPv1-3 everything
    after the header is a MAC of 4 + 16..64 bytes."""
    out = []
    v4, v3 = request(version=4), request(version=3)
    sha1_id, sha1 = KEY_BY_TYPE["SHA1"]
    md5_id, md5 = KEY_BY_TYPE["MD5"]
    good = signed_request("SHA1")
    flipped = bytearray(good)
    flipped[-1] ^= 1
    out.append(("SHA1 MAC with one bit flipped", bytes(flipped), "bad_auth"))
    out.append(("MAC under a key ID not in the keyfile",
                v4 + struct.pack(">I", 99) + digest("SHA1", sha1, v4)[:20], "bad_auth"))
    out.append(("key ID 0", v4 + struct.pack(">I", 0) + digest("SHA1", sha1, v4)[:20],
                "bad_auth"))
    out.append(("right digest under another key's ID",
                v4 + struct.pack(">I", md5_id) + digest("SHA1", sha1, v4)[:16], "bad_auth"))
    out.append(("crypto-NAK", v4 + b"\0" * 4, "bad_auth"))
    out.append(("crypto-NAK in NTPv3", v3 + b"\0" * 4, "bad_auth"))
    # Every wrong MAC length, NTPv4: too short to be a MAC or a field...
    for n in (4, 8, 12, 16):
        out.append((f"v4 {n}-byte trailer", v4 + struct.pack(">I", sha1_id) + b"\x11" * (n - 4),
                    "bad_extension_field"))
    # ... MAC-sized but not the key's length (MD5 gives 20, SHA1 24)...
    out.append(("v4 SHA1 MAC cut to 16 bytes",
                v4 + struct.pack(">I", sha1_id) + digest("SHA1", sha1, v4)[:16], "bad_auth"))
    out.append(("v4 MD5 MAC padded to 20 bytes",
                v4 + struct.pack(">I", md5_id) + digest("MD5", md5, v4) + b"\0" * 4,
                "bad_auth"))
    # ... and longer. The full digest of a long key (ntpd/ntpsec's form) is answered (see
    # the test above), but not with a wrong digest, nor cut to a length no key gives, nor
    # with a key whose digest has another length.
    kid, key = KEY_BY_TYPE["SHA256"]
    full = bytearray(v4 + struct.pack(">I", kid) + digest("SHA256", key, v4))
    full[-1] ^= 1
    out.append(("v4 full SHA256 digest, one bit flipped", bytes(full), "bad_auth"))
    out.append(("v4 SHA256 digest cut to 28 bytes",
                v4 + struct.pack(">I", kid) + digest("SHA256", key, v4)[:28],
                "bad_extension_field"))
    kid, key = KEY_BY_TYPE["SHA512"]
    out.append(("v4 SHA256-length digest under the SHA512 key",
                v4 + struct.pack(">I", kid) + digest("SHA512", key, v4)[:32],
                "bad_extension_field"))
    # NTPv3: every length from 8 to 72 bytes but the key's own (SHA1: 24).
    for n in range(8, 73, 4):
        if n == 24:
            continue
        body = struct.pack(">I", sha1_id) + (digest("SHA512", sha1, v3) + b"\x22" * 8)[:n - 4]
        reason = "bad_auth" if 20 <= n <= 68 else "bad_extension_field"
        out.append((f"v3 SHA1 key, {n}-byte MAC", v3 + body, reason))
    # An oversized extension field before a MAC: its length runs past the end of the
    # packet (over the MAC), or to 64 KiB, or the packet is longer than any request.
    mac = mac_field("SHA1", sha1_id, sha1, v4, 4)
    for length in (64, 0xFFFC):
        ef = struct.pack(">HH", 0x2345, length) + b"\0" * 24
        out.append((f"extension field of length {length} before a MAC", v4 + ef + mac,
                    "bad_extension_field"))
    big = v4 + struct.pack(">HH", 0x2345, 1100) + b"\0" * 1096
    out.append(("1100-byte extension field before a MAC", big + mac_field(
        "SHA1", sha1_id, sha1, big, 4), "bad_length"))
    return out


def test_bad_macs_get_no_reply_and_are_counted(tockd, tmp_path):
    chrony_keys, _ = write_keyfiles(tmp_path, KEYS)
    port = free_udp_port()
    d = tockd(keyfile_config(port, chrony_keys), wait=r"serving NTP on 127.0.0.1")
    cases = bad_mac_packets()
    for name, pkt, _ in cases:
        assert len(pkt) % 4 == 0, name
        assert query(port, pkt, timeout=0.3) is None, f"tockd answered: {name}"
        assert d.alive(), f"tockd died on: {name}"
    # Still serving, authenticated and not.
    assert query(port, signed_request("SHA256", 3)) is not None
    assert query(port, request()) is not None
    stats = serverstats(d.socket)
    n_auth = sum(1 for _, _, reason in cases if reason == "bad_auth")
    # Requests that parse reach the client log ("received") even when their MAC is bad;
    # malformed ones do not. Only the two good MACs count as authenticated.
    assert stats["ntp_packets_received"] == n_auth + 2
    assert stats["authenticated_ntp_packets"] == 1
    assert d.stop() == 0
    totals = drop_summary(d.log())
    for reason in ("bad_auth", "bad_extension_field", "bad_length"):
        assert totals[reason] == sum(1 for c in cases if c[2] == reason), (reason, totals)


def chronyd_client_lines(port, kid, keyfile, poll=-1):
    return [f"server 127.0.0.1 port {port} key {kid} iburst minpoll {poll} maxpoll {poll}",
            f"keyfile {keyfile}"]


def ntpdata(client):
    r = client.chronyc("-n", "ntpdata")
    return r.stdout


def test_chronyd_clients_with_keys_against_tockd(tockd, tmp_path):
    """chronyd -x with `server ... key N` for SHA1 (NTPv4, 24-byte MAC), SHA256 (chronyd
    switches to NTPv3 with the full 36-byte MAC) and AES128 (CMAC, 20-byte MAC): chronyd
    accepts tockd's authenticated replies; a chronyd with the wrong key value gets none."""
    chrony_keys, _ = write_keyfiles(tmp_path, KEYS)
    wrong_dir = tmp_path / "wrong"
    wrong_dir.mkdir()
    wrong_keys, _ = write_keyfiles(wrong_dir, [(2, "SHA1", b"\x55" * 20)])
    port = free_udp_port()
    d = tockd(f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 10\n"
              f"cmdport 0\nkeyfile {chrony_keys}\n", wait=r"serving NTP on 127.0.0.1")
    types = ["SHA1", "SHA256", "AES128"]
    with chronyd(chronyd_client_lines(port, KEY_BY_TYPE["SHA1"][0], chrony_keys),
                 address="127.0.0.2") as c1, \
         chronyd(chronyd_client_lines(port, KEY_BY_TYPE["SHA256"][0], chrony_keys),
                 address="127.0.0.3") as c2, \
         chronyd(chronyd_client_lines(port, KEY_BY_TYPE["AES128"][0], chrony_keys),
                 address="127.0.0.4") as c3, \
         chronyd(chronyd_client_lines(port, 2, wrong_keys), address="127.0.0.5") as bad:
        version = {"SHA1": "4", "SHA256": "3", "AES128": "4"}
        for t, c in zip(types, (c1, c2, c3)):
            def good(c=c):
                out = ntpdata(c)
                m = re.search(r"Total good RX\s*:\s*(\d+)", out)
                return m and int(m.group(1)) >= 3 and out
            out = wait_until(good, 30)
            assert out, f"{t}: chronyd got no good authenticated replies:\n{ntpdata(c)}" \
                        f"\n{c.read_log()}"
            assert re.search(r"Authenticated\s*:\s*Yes", out), out
            assert re.search(rf"^Version\s*:\s*{version[t]}$", out, re.M), out
            assert re.search(r"Stratum\s*:\s*10", out), out
            # chronyc prints chronyd's own type numbers: SHA1 2, SHA256 3, AES128 13.
            auth = c.chronyc("-n", "-c", "authdata").stdout.strip().split(",")
            assert auth[1] == "SK" and auth[3] == {"SHA1": "2", "SHA256": "3",
                                                   "AES128": "13"}[t], auth
        out = ntpdata(bad)
        assert re.search(r"Total RX\s*:\s*0\b", out), out
        assert re.search(r"Total TX\s*:\s*[1-9]", out), out
    stats = serverstats(d.socket)
    assert stats["authenticated_ntp_packets"] >= 9
    assert d.stop() == 0
    assert drop_summary(d.log())["bad_auth"] >= 1


@needs_root
def test_ntpdig_with_keys_against_tockd(tockd, netns, tmp_path):
    """ntpdig (ntpsec) -k KEYFILE -a N, with ntpsec's keyfile format (no HEX: prefix, key
    type names of its own), for SHA1, SHA256 and AES128; a wrong key value is refused by
    ntpdig itself (tockd does not answer a bad MAC)."""
    require_tool("ntpdig")
    chrony_keys, ntp_keys = write_keyfiles(tmp_path, KEYS)
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    _, bad_ntp_keys = write_keyfiles(bad_dir, [(2, "SHA1", b"\x66" * 20)])
    topo = Topology(netns)
    lan = topo.add_client("lan", "192.168.1.10/24", "192.168.1.1")
    d = tockd(f"port 123\nallow 192.168.1.0/24\nlocal stratum 10\ncmdport 0\n"
              f"keyfile {chrony_keys}\n", netns=topo.server,
              wait=r"serving NTP on 0\.0\.0\.0 port 123")
    for t in ("SHA1", "SHA256", "AES128"):
        kid = KEY_BY_TYPE[t][0]
        r = topo.run(lan, ["ntpdig", "-d", "-t", "2", "-k", ntp_keys, "-a", str(kid),
                           "192.168.1.1"])
        assert r.returncode == 0 and " s10 " in r.stdout, f"{t}: {r.stdout}\n{r.stderr}"
        assert "MAC verification on reply from 192.168.1.1 succeeded" in r.stderr, r.stderr
    r = topo.run(lan, ["ntpdig", "-t", "2", "-k", bad_ntp_keys, "-a", "2", "192.168.1.1"])
    assert r.returncode != 0
    assert serverstats(d.socket)["authenticated_ntp_packets"] == 3
    assert d.stop() == 0
    assert drop_summary(d.log())["bad_auth"] == 1


class FakeServer:
    """A UDP NTP server at `address` that answers each request with a stratum-1 reply
    whose MAC is made by `mac(reply_header) -> bytes` (b"" for none)."""

    def __init__(self, address, mac):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.address = address
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.mac = mac
        self.requests = 0
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            if len(data) < 48:
                continue
            self.requests += 1
            now = time.time()
            head = struct.pack(">BBBbII4s", (data[0] & 0x38) | 4, 1, data[2], -20, 0, 0,
                               b"GPS\0")
            head += struct.pack(">QQQQ", to_ntp(now - 1), struct.unpack(">Q", data[40:48])[0],
                                to_ntp(now), to_ntp(now))
            self.sock.sendto(head + self.mac(head), addr)

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


def ntp_report(sock, addr):
    sources = tockctl_json(sock, "ntpdata", addr)["sources"]
    assert len(sources) == 1, sources
    return sources[0]


def test_tockd_client_authenticates_chronyd_servers(tockd, tmp_path):
    """tockd with `server ... key N` against chronyd -x servers, one per key type (SHA1,
    SHA256 - tockd sends NTPv3 with the full digest, as chronyd does - and AES128): every
    reply authenticated, the source selected; tockctl authdata and ntpdata say so."""
    chrony_keys, _ = write_keyfiles(tmp_path, KEYS)
    types = ("SHA1", "SHA256", "AES128")
    addrs = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    with chronyd(["local stratum 8", "allow 127.0.0.0/8", f"keyfile {chrony_keys}"],
                 address=addrs[0]) as s1, \
         chronyd(["local stratum 8", "allow 127.0.0.0/8", f"keyfile {chrony_keys}"],
                 address=addrs[1]) as s2, \
         chronyd(["local stratum 8", "allow 127.0.0.0/8", f"keyfile {chrony_keys}"],
                 address=addrs[2]) as s3:
        lines = "".join(f"server {a} port {s.port} key {KEY_BY_TYPE[t][0]} iburst minpoll -1 "
                        f"maxpoll -1\n" for t, a, s in zip(types, addrs, (s1, s2, s3)))
        d = tockd(f"{lines}port 0\ncmdport 0\nkeyfile {chrony_keys}\n")

        def all_good():
            reps = [ntp_report(d.socket, a) for a in addrs]
            return all(r["total_good_rx"] >= 3 for r in reps) and reps
        reps = wait_until(all_good, 30)
        assert reps, [ntp_report(d.socket, a) for a in addrs]
        for t, r in zip(types, reps):
            assert r["authenticated"] is True, (t, r)
            assert r["total_valid_rx"] == r["total_rx"], (t, r)
            assert r["version"] == (3 if t == "SHA256" else 4), (t, r)
            assert r["stratum"] == 8
        auth = {a["address"]: a for a in tockctl_json(d.socket, "authdata")["sources"]}
        for t, a in zip(types, addrs):
            kid, key = KEY_BY_TYPE[t]
            assert auth[a]["mode"] == "symmetric_key" and auth[a]["key_id"] == kid
            assert auth[a]["key_length"] == 8 * len(key)
        sources = tockctl(d.socket, "sources").stdout
        assert re.search(r"^\^[*+] 127\.0\.0\.[123]\s+8\s", sources, re.M), sources
        # chronyd, as the server, counted the authenticated requests.
        for s in (s1, s2, s3):
            out = s.chronyc("serverstats").stdout
            m = re.search(r"Authenticated NTP packets\s*:\s*(\d+)", out)
            assert m and int(m.group(1)) >= 3, out


def test_tockd_client_rejects_wrong_keys_and_bad_macs(tockd, tmp_path):
    """A source is unusable when the key does not match: chronyd (key 20 differs) never
    answers; a server that answers with a MAC under the wrong key, or without a MAC, is
    heard (total RX) but never valid, never selected. A server with the right MAC (the
    same fake server) is used: the rejection is the MAC's doing."""
    chrony_keys, _ = write_keyfiles(tmp_path, [(20, "SHA1", b"\x88" * 20)])
    tock_dir = tmp_path / "tock"
    tock_dir.mkdir()
    key21 = b"\x21" * 20
    tock_keys, _ = write_keyfiles(tock_dir, [(20, "SHA1", b"\x77" * 20), (21, "SHA1", key21)])

    def mac_under(key):
        return lambda head: struct.pack(">I", 21) + hashlib.sha1(key + head).digest()

    fakes = [FakeServer("127.0.0.2", mac_under(b"\x99" * 20)),  # wrong key
             FakeServer("127.0.0.3", lambda head: b""),           # no MAC
             FakeServer("127.0.0.4", mac_under(key21))]           # right key
    try:
        with chronyd(["local stratum 8", "allow 127.0.0.1", f"keyfile {chrony_keys}"]) as srv:
            lines = f"server 127.0.0.1 port {srv.port} key 20 iburst minpoll -1 maxpoll -1\n"
            lines += "".join(f"server {f.address} port {f.port} key 21 iburst minpoll -1 "
                             f"maxpoll -1\n" for f in fakes)
            d = tockd(f"{lines}port 0\ncmdport 0\nkeyfile {tock_keys}\n")

            def honest_good():
                r = ntp_report(d.socket, "127.0.0.4")
                return r["total_good_rx"] >= 3 and r
            assert wait_until(honest_good, 30), ntp_report(d.socket, "127.0.0.4")
            time.sleep(1)
            assert ntp_report(d.socket, "127.0.0.4")["authenticated"] is True
            chrony = ntp_report(d.socket, "127.0.0.1")
            assert chrony["total_tx"] >= 3 and chrony["total_rx"] == 0, chrony
            for addr in ("127.0.0.2", "127.0.0.3"):
                r = ntp_report(d.socket, addr)
                assert r["total_rx"] >= 3 and r["total_valid_rx"] == 0, r
                assert r["total_good_rx"] == 0 and r["authenticated"] is False, r
            sources = tockctl(d.socket, "-c", "sources").stdout
            states = {f.split(",")[2]: f.split(",")[1] for f in sources.strip().splitlines()}
            assert states["127.0.0.4"] == "*", sources
            for addr in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
                assert states[addr] == "?", sources
            # chronyd received tockd's requests with a MAC it cannot verify, and sent nothing.
            stats = srv.chronyc("serverstats").stdout
            m = re.search(r"NTP packets received\s*:\s*(\d+)", stats)
            assert m and int(m.group(1)) >= 3, stats
    finally:
        for f in fakes:
            f.close()


def test_keyfile_readable_by_others_is_warned(tockd, tmp_path):
    """The tutorial's chmod 640 keyfile is quiet; one readable or writable by others gets a
    warning with the fix (chronyd 4.4+'s rule: execute permission alone is harmless)."""
    chrony_keys, _ = write_keyfiles(tmp_path, KEYS[:2])
    for mode, warned in ((0o640, None), (0o641, None), (0o644, "readable"),
                         (0o642, "writable"), (0o600, None)):
        os.chmod(chrony_keys, mode)
        port = free_udp_port()
        d = tockd(keyfile_config(port, chrony_keys), wait=r"serving NTP on 127.0.0.1")
        log = d.log()
        assert "loaded 2 keys" in log, log
        if warned:
            assert (f"keyfile {chrony_keys} is {warned} by others (mode {mode:04o}): run "
                    f"chmod 640 {chrony_keys}") in log, log
        else:
            assert "by others" not in log, (oct(mode), log)
        assert d.stop() == 0


def test_keygen_lines_load_in_tockd_and_chronyd(tockd, tmp_path):
    """`tockctl keygen [ID [TYPE [BITS]]]` prints keyfile lines in chronyc's format that
    both tockd and chronyd load, and with which they authenticate each other."""
    specs = [(), ("5", "SHA256"), ("6", "AES128"), ("7", "SHA512", "256")]
    lines = []
    for spec in specs:
        r = subprocess.run([str(TOCKCTL), "keygen", *spec], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 0, r.stderr
        lines.append(r.stdout.strip())
    # chronyc's lengths: default SHA1 160 bits, SHA256 160 bits unless told, AES128 exactly
    # 128, SHA512 with BITS 256.
    expect = [("1", "SHA1", 40), ("5", "SHA256", 40), ("6", "AES128", 32),
              ("7", "SHA512", 64)]
    for line, (kid, ktype, hexlen) in zip(lines, expect):
        m = re.fullmatch(r"(\d+) (\S+) HEX:([0-9A-F]+)", line)
        assert m and m.group(1) == kid and m.group(2) == ktype, line
        assert len(m.group(3)) == hexlen, line
    assert len({line.split(":")[1] for line in lines}) == 4  # fresh randomness each time
    keyfile = tmp_path / "generated.keys"
    keyfile.write_text("\n".join(lines) + "\n")
    os.chmod(keyfile, 0o640)
    share_with_test_user(keyfile)
    port = free_udp_port()
    d = tockd(f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 10\n"
              f"cmdport 0\nkeyfile {keyfile}\n", wait=r"serving NTP on 127.0.0.1")
    assert "loaded 4 keys" in d.log() and "warning" not in d.log().lower(), d.log()
    with chronyd(chronyd_client_lines(port, 5, keyfile), address="127.0.0.2") as c5, \
         chronyd(chronyd_client_lines(port, 6, keyfile), address="127.0.0.3") as c6:
        for c in (c5, c6):
            def good(c=c):
                out = ntpdata(c)
                m = re.search(r"Total good RX\s*:\s*(\d+)", out)
                return m and int(m.group(1)) >= 2 and out
            out = wait_until(good, 30)
            assert out and re.search(r"Authenticated\s*:\s*Yes", out), ntpdata(c)
    assert serverstats(d.socket)["authenticated_ntp_packets"] >= 4
