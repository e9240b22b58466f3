"""NTS in tockd (issue 5), end to end on loopback.

* chronyd -x syncs from tockd's NTS server (helper processes and main-process mode):
  `chronyc -N authdata` shows NTS with cookies, `sources` shows it selected; tockd restarted
  with the same ntsdumpdir keeps serving chronyd's old cookies without a new NTS-KE.
* tockd with `server ... nts` syncs from a chronyd -x NTS server, `tockctl -N authdata`
  shows NTS with cookies; its cookies are saved at exit and reused at the next start.
* Rejections, each with the RFC's answer or silence, counted, and tockd keeps serving:
  TLS 1.2, wrong ALPN, missing/duplicated/unknown critical records, oversized records and
  messages, a connection that sends nothing, garbage cookies, malformed NTS fields, a
  tampered authenticator, a replay with a cookie whose key rotated out.
* Client side: wrong certificate name, expired certificate (dates and local time logged),
  nocerttimecheck.
* Operations: helper crash replaced, `tockctl reload certs` and SIGHUP, SNI between two
  certificates, allow/deny, ntsratelimit, maxntsconnections, key file persistence (0600,
  NKS1) and `ntsrotate 0` with `tockctl rekey`, -d (single-process) under strace.

Every daemon runs with -x; chronyd through chronyd_util (own dir, ports, -x -u root).
"""
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import stat
import struct
import subprocess
import time
import uuid

import pytest

from chronyd_util import chronyd
from conftest import (BUILD, REPO, TOCKCTL, free_udp_port, give_to_test_user, require_tool,
                      share_with_test_user)
from tockutil import drop_nscd_probes, exchange, parse, request

NTSN = 0x4E54534E


# ---- helpers ----

def _needs_tools():
    if not os.path.exists("/usr/sbin/chronyd"):
        pytest.skip("chronyd not installed")
    require_tool("openssl")
    require_tool("cc")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    require_tool("openssl")
    d = tmp_path_factory.mktemp("ntscerts")
    subprocess.run(["sh", str(REPO / "tests/certs/make-test-certs.sh"), str(d)], check=True,
                   capture_output=True)
    return d


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    require_tool("cc")
    out = tmp_path_factory.mktemp("probe") / "nts_probe"
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-g", "-I", str(REPO / "src"),
           str(REPO / "tests/integration/nts_probe.c"), str(BUILD / "libtockd.a"),
           str(BUILD / "libtock.a"), "-lssl", "-lcrypto", "-lnettle", "-lm", "-o", str(out)]
    if os.environ.get("TOCK_SAN") == "1":
        cmd[1:1] = ["-fsanitize=address,undefined"]
    subprocess.run(cmd, check=True)
    return out


def run_probe(probe, *args, timeout=30):
    r = subprocess.run([str(probe), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout)
    return r


def free_port():
    """A port free for UDP and TCP on 127.0.0.1 and ::1."""
    return free_udp_port()


def tockctl(sock, *args, timeout=10):
    return subprocess.run([str(TOCKCTL), "-h", str(sock), *args], capture_output=True,
                          text=True, timeout=timeout)


class NtsServer:
    """A tockd NTS server started through the conftest factory."""

    def __init__(self, tockd, tmp_path, certs, helpers=1, extra="", cert="server",
                 dumpdir=None, log_level="-1", share_certs=True):
        self.ntp_port = free_port()
        self.ke_port = free_port()
        self.dumpdir = dumpdir or (tmp_path / f"ntsdump-{uuid.uuid4().hex[:6]}")
        self.dumpdir.mkdir(exist_ok=True)
        # As an operator prepares them for tockd's user (TOCK_TEST_USER mode).
        give_to_test_user(self.dumpdir)
        if share_certs:
            share_with_test_user(certs)
        self.logfile = tmp_path / f"tockd-{uuid.uuid4().hex[:8]}.log"
        self.helpers = helpers
        if isinstance(cert, str):
            cert = [cert]
        pairs = "".join(f"ntsservercert {certs}/{c}.pem\nntsserverkey {certs}/{c}.key\n"
                        for c in cert)
        self.config = (f"port {self.ntp_port}\nbindaddress 127.0.0.1\nbindaddress ::1\n"
                       f"allow 127.0.0.1\nallow ::1\nlocal stratum 5\ncmdport 0\n"
                       f"{pairs}ntsport {self.ke_port}\nntsprocesses {helpers}\n"
                       f"ntsdumpdir {self.dumpdir}\n{extra}\n")
        # Helpers need the multi-process mode (-n); its log goes to a file (-l).
        args = (["-n", "-x", "-L", log_level, "-l", str(self.logfile)] if helpers
                else ["-d", "-x", "-L", log_level])
        self.d = tockd(self.config, args=args, expect_running=False)
        self.wait_log(r"serving NTS-KE on 127\.0\.0\.1")
        wait_tcp(self.ke_port)

    def log(self):
        text = self.d.log()
        if self.helpers and self.logfile.exists():
            text += self.logfile.read_text(errors="replace")
        return text

    def wait_log(self, pattern, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if re.search(pattern, text):
                return text
            assert self.d.alive(), f"tockd exited:\n{text}"
            time.sleep(0.05)
        raise AssertionError(f"log never matched {pattern!r}:\n{self.log()}")

    def ctl(self, *args):
        return tockctl(self.d.socket, *args)

    def counters(self):
        """tock's NTS counters, logged by `tockctl dump` (the last such line)."""
        if self.helpers:
            time.sleep(0.6)  # helpers report their counts every 0.25 s
        before = len(re.findall(r"NTS-KE: \d+ accepted", self.log()))
        r = self.ctl("dump")
        assert r.returncode == 0, r.stdout + r.stderr
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            lines = re.findall(r"NTS-KE: \d+ accepted.*", self.log())
            if len(lines) > before:
                break
            time.sleep(0.05)
        line = lines[-1]
        out = {}
        for value, name in re.findall(r"(\d+) ([a-zA-Z -]+?)(?=[,;]|$)", line):
            out[name.strip()] = int(value)
        return out

    def helper_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.d.proc.pid)], capture_output=True,
                             text=True).stdout.split()
        return [int(p) for p in out]


def wait_tcp(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on TCP port {port}")


def rec(rtype, body=b"", critical=True):
    return struct.pack(">HH", (0x8000 if critical else 0) | rtype, len(body)) + body


GOOD_REQUEST = rec(1, b"\0\0") + rec(4, b"\0\x0f") + rec(0)


def parse_records(data):
    out, pos = [], 0
    while pos + 4 <= len(data):
        t, n = struct.unpack(">HH", data[pos:pos + 4])
        out.append((bool(t & 0x8000), t & 0x7FFF, data[pos + 4:pos + 4 + n]))
        pos += 4 + n
    return out


def ke_raw(port, payload, ca, alpn=("ntske/1",), tls12=False, timeout=5.0):
    """One NTS-KE exchange with Python's TLS client: returns the response bytes (b"" when
    the server closed without answering). Raises ssl.SSLError when the handshake fails."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca))
    ctx.set_alpn_protocols(list(alpn))
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(payload)
            while True:
                try:
                    chunk = s.recv(4096)
                except (ssl.SSLError, ConnectionResetError, socket.timeout):
                    break
                if not chunk:
                    break
                data += chunk
    return data


def wait_until(pred, timeout=30.0, step=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def authdata_row(text, name="localhost"):
    for line in text.splitlines():
        if line.startswith(name):
            return line.split()
    return None


# ---- interop with chronyd ----

@pytest.mark.parametrize("helpers", [1, 0])
def test_chronyd_syncs_from_tockd_nts(tockd, tmp_path, certs, helpers):
    _needs_tools()
    srv = NtsServer(tockd, tmp_path, certs, helpers=helpers)
    conf = [f"server localhost port {srv.ntp_port} nts ntsport {srv.ke_port} iburst "
            f"minpoll -2 maxpoll -2", f"ntstrustedcerts {certs}/ca.pem"]
    (tmp_path / "chc").mkdir()
    with chronyd(conf + ["ntsdumpdir " + str(tmp_path / "chc")]) as c:

        def selected():
            out = c.chronyc("-N", "sources").stdout
            return "^* localhost" in out and out

        wait_until(selected, what="chronyd to select tockd")
        auth = authdata_row(c.chronyc("-N", "authdata").stdout)
        assert auth and auth[1] == "NTS", auth
        # KeyID Type KLen Last Atmp NAK Cook CLen
        assert auth[3] == "15" and auth[4] == "256" and auth[7] == "0"
        assert int(auth[8]) >= 1 and auth[9] == "100", auth
        stats = srv.ctl("serverstats").stdout
        # chronyd's connection (and this test's probe of the port)
        assert re.search(r"NTS-KE connections accepted: [12]\b", stats), stats
        n_auth = int(re.search(r"Authenticated NTP packets\s*: (\d+)", stats).group(1))
        assert n_auth >= 3, stats
        k = srv.counters()
        assert k["cookies sent"] == 1 and k["authenticated"] >= 3, k
        if helpers:
            assert re.search(r"nks#1: NTS-KE client 127\.0\.0\.1 port \d+: cookies sent",
                             srv.log())
            return
        # A restart with the same ntsdumpdir: chronyd's cookies still open.
        keyfile = srv.dumpdir / "ntskeys"
        assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
        assert keyfile.read_text().startswith("NKS1\n")
        assert srv.d.stop() == 0
        # The same ports and ntsdumpdir.
        d3 = tockd(srv.config, args=["-d", "-x", "-L", "-1"], expect_running=False)
        d3.wait_log(r"loaded NTS server keys")
        wait_tcp(srv.ke_port)

        def served_without_ke():
            s = tockctl(d3.socket, "serverstats").stdout
            m = re.search(r"Authenticated NTP packets\s*: (\d+)", s)
            return m and int(m.group(1)) >= 2 and s

        wait_until(served_without_ke, what="chronyd's requests with old cookies")
        assert "cookies sent" not in d3.log() and "NAK" not in d3.log()


def test_tockd_syncs_from_chronyd_nts(tockd, tmp_path, certs):
    _needs_tools()
    ke_port = free_port()
    server_dump = tmp_path / "srvdump"
    server_dump.mkdir()
    conf = ["local stratum 3", "allow 127.0.0.1", f"ntsservercert {certs}/server.pem",
            f"ntsserverkey {certs}/server.key", f"ntsport {ke_port}", f"ntsdumpdir {server_dump}",
            "ntsprocesses 1"]
    with chronyd(conf) as c:
        wait_tcp(ke_port)
        dump = tmp_path / "clientdump"
        dump.mkdir()
        give_to_test_user(dump)
        config = (f"server localhost port {c.port} nts ntsport {ke_port} iburst minpoll -2 "
                  f"maxpoll -2\nntstrustedcerts {certs}/ca.pem\nntsdumpdir {dump}\ncmdport 0\n")
        d = tockd(config)

        def selected():
            out = tockctl(d.socket, "-N", "sources").stdout
            return "^* localhost" in out and out

        wait_until(selected, what="tockd to select chronyd")
        auth = authdata_row(tockctl(d.socket, "-N", "authdata").stdout)
        assert auth and auth[1] == "NTS" and auth[3] == "15" and auth[4] == "256", auth
        assert int(auth[8]) >= 1 and auth[9] == "100" and auth[7] == "0", auth
        assert "NTS-KE with localhost: 8 cookies of 100 bytes, AEAD 15" in d.log()
        assert d.stop() == 0
        files = list(dump.glob("*.nts"))
        assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
        assert files[0].read_text().startswith("TNC1\nlocalhost ")
        # The next start uses the saved cookies: no second NTS-KE at chronyd.
        def accepted():
            stats = c.chronyc("serverstats").stdout
            return int(re.search(r"NTS-KE connections accepted: (\d+)", stats).group(1))

        before = accepted()
        d2 = tockd(config)
        d2.wait_log(r"NTS cookies loaded from .* \(no NTS-KE needed\)")
        def selected2():
            out = tockctl(d2.socket, "-N", "sources").stdout
            return "^* localhost" in out and out

        wait_until(selected2, what="tockd to select chronyd again")
        assert accepted() == before
        assert not list(dump.glob("*.nts")), "cookie file must be consumed when loaded"


# ---- server-side rejections ----

@pytest.mark.parametrize("helpers", [1, 0])
def test_ntske_rejections(tockd, tmp_path, certs, probe, helpers):
    srv = NtsServer(tockd, tmp_path, certs, helpers=helpers)
    ca = certs / "ca.pem"
    with pytest.raises(ssl.SSLError):
        ke_raw(srv.ke_port, GOOD_REQUEST, ca, tls12=True)
    with pytest.raises(ssl.SSLError):
        ke_raw(srv.ke_port, GOOD_REQUEST, ca, alpn=("http/1.1",))

    def error_code(payload):
        recs = parse_records(ke_raw(srv.ke_port, payload, ca))
        assert recs[-1] == (True, 0, b""), recs
        errs = [body for crit, t, body in recs if t == 2 and crit]
        assert len(errs) == 1 and len(recs) == 2, recs
        return struct.unpack(">H", errs[0])[0]

    # Missing critical records (nothing but End of Message), or no AEAD record: bad request.
    assert error_code(rec(0)) == 1
    assert error_code(rec(1, b"\0\0") + rec(0)) == 1
    # Duplicated critical records.
    assert error_code(rec(1, b"\0\0") + rec(1, b"\0\0") + rec(4, b"\0\x0f") + rec(0)) == 1
    assert error_code(rec(1, b"\0\0") + rec(4, b"\0\x0f") + rec(4, b"\0\x0f") + rec(0)) == 1
    # An unrecognised critical record.
    assert error_code(rec(1, b"\0\0") + rec(4, b"\0\x0f") + rec(0x4321, b"x") + rec(0)) == 0
    # An oversized record body (more than 256 bytes of AEAD ids).
    assert error_code(rec(1, b"\0\0") + rec(4, b"\0\x0f" * 200) + rec(0)) == 1
    # A message larger than 16384 bytes: the connection is closed without an answer.
    big = rec(0x1234, b"\0" * 16000, critical=False) + rec(0x1234, b"\0" * 1000, False)
    assert ke_raw(srv.ke_port, big + GOOD_REQUEST, ca) == b""
    # A connection that sends nothing is closed after the 2-second timeout.
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", srv.ke_port), 10) as s:
        s.settimeout(10)
        assert s.recv(100) == b""
    assert 1.5 < time.monotonic() - t0 < 5
    # A good request still gets cookies: tockd keeps serving.
    recs = parse_records(ke_raw(srv.ke_port, GOOD_REQUEST, ca))
    assert [t for _, t, _ in recs] == [1, 4, 7] + [5] * 8 + [0], recs
    assert all(len(b) == 100 for _, t, b in recs if t == 5)
    assert struct.unpack(">H", recs[2][2])[0] == srv.ntp_port
    k = srv.counters()
    assert k["TLS failed"] >= 2 and k["refused"] >= 6, k
    assert k["bad message"] >= 1 and k["timed out"] >= 1 and k["cookies sent"] >= 1, k
    assert run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", ca).returncode == 0


def nts_request(uid, cookie, auth_body=None):
    def ef(t, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack(">HH", t, 4 + len(body)) + body
    auth_body = auth_body if auth_body is not None else (struct.pack(">HH", 16, 16)
                                                         + os.urandom(32))
    return (request() + ef(0x0104, uid) + ef(0x0204, cookie) + ef(0x0404, auth_body))


def test_nts_ntp_rejections(tockd, tmp_path, certs, probe):
    srv = NtsServer(tockd, tmp_path, certs, helpers=0, extra="ntsrotate 1")
    # Garbage cookie: NTS NAK (KoD NTSN) with only the Unique Identifier, never longer than
    # the request.
    uid = os.urandom(32)
    req = nts_request(uid, os.urandom(100))
    reply = exchange("127.0.0.1", srv.ntp_port, req, timeout=2)
    assert reply is not None
    p = parse(reply)
    assert p["leap"] == 3 and p["stratum"] == 0 and p["refid"] == NTSN and p["mode"] == 4
    assert len(reply) == 48 + 36 and reply[48:52] == b"\x01\x04\x00\x24" and reply[52:84] == uid
    # Malformed NTS fields (an identifier without cookie or authenticator): silence.
    bad = request() + struct.pack(">HH", 0x0104, 36) + uid
    assert exchange("127.0.0.1", srv.ntp_port, bad, timeout=1) is None
    # A tampered authenticator gets a NAK; the same valid request replayed after the
    # cookie's key left the ring (ntsrotate 1, 3 rotations) gets a NAK too.
    r = run_probe(probe, "attack", "127.0.0.1", srv.ke_port, "localhost", certs / "ca.pem", 4.5)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TAMPER result=nak reply_len=84 stratum=0" in r.stdout
    assert re.search(r"VALID result=ok reply_len=(\d+) req_len=\1", r.stdout), r.stdout
    assert "REPLAY result=nak reply_len=84 stratum=0" in r.stdout, r.stdout
    # Still serving, and everything counted.
    r = run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", certs / "ca.pem")
    assert r.returncode == 0, r.stdout
    k = srv.counters()
    assert k["NAK cookie"] >= 3 and k["NAK auth"] >= 1 and k["malformed"] >= 1, k
    assert k["authenticated"] >= 4, k
    assert "NTS server keys rotated" in srv.log()


# ---- client-side certificate checks ----

def test_client_certificate_failures(tockd, tmp_path, certs):
    bad_name = NtsServer(tockd, tmp_path, certs, helpers=0, cert="wrong")
    expired = NtsServer(tockd, tmp_path, certs, helpers=0, cert="expired")
    cfg = (f"server localhost port {bad_name.ntp_port} nts ntsport {bad_name.ke_port} iburst "
           f"minpoll -2\nserver 127.0.0.1 port {expired.ntp_port} nts ntsport {expired.ke_port} "
           f"iburst minpoll -2\nntstrustedcerts {certs}/ca.pem\ncmdport 0\n")
    d = tockd(cfg)
    text = d.wait_log(r"NTS-KE with 127\.0\.0\.1 .*failed")
    text = d.wait_log(r"NTS-KE with localhost .*failed")
    assert re.search(r"NTS-KE with localhost \(127\.0\.0\.1 port \d+\) failed: TLS handshake "
                     r"failed: (hostname mismatch|certificate verify failed)", text), text
    m = re.search(r"NTS-KE with 127\.0\.0\.1 .*failed: .*certificate has expired: the "
                  r"certificate is valid from 2020-01-01 \S+ UTC to 2020-0[12]-\d\d \S+ UTC and the "
                  r"local time is 20\d\d-\d\d-\d\d", text)
    assert m, text
    assert "retrying in 8 s" in text
    auth = tockctl(d.socket, "-N", "authdata").stdout
    assert authdata_row(auth, "localhost")[8] == "0"
    # nocerttimecheck: dates ignored while the clock is unsynchronised (logged).
    d2 = tockd(f"server 127.0.0.1 port {expired.ntp_port} nts ntsport {expired.ke_port} iburst "
               f"minpoll -2\nntstrustedcerts {certs}/ca.pem\nnocerttimecheck 1\ncmdport 0\n")
    d2.wait_log(r"certificate validity dates NOT checked \(nocerttimecheck")
    d2.wait_log(r"NTS-KE with 127\.0\.0\.1: 8 cookies")


def test_tockd_pool_nts_from_tockd(tockd, tmp_path, certs):
    """`pool NAME nts`: each member makes its own NTS-KE with the pool's name (SNI, the
    certificate's DNS name), tockd to tockd."""
    srv = NtsServer(tockd, tmp_path, certs, helpers=1)
    d = tockd(f"pool localhost port {srv.ntp_port} nts ntsport {srv.ke_port} iburst minpoll -2 "
              f"maxpoll -2 maxsources 1\nntstrustedcerts {certs}/ca.pem\ncmdport 0\n")
    d.wait_log(r"NTS-KE with localhost: 8 cookies of 100 bytes, AEAD 15")

    def synced():
        out = tockctl(d.socket, "-N", "sources").stdout
        return re.search(r"^\^\* localhost", out, re.M) and out

    wait_until(synced, what="the pool member to be selected")
    rows = [line.split() for line in tockctl(d.socket, "-N", "authdata").stdout.splitlines()
            if line.startswith("localhost")]
    assert rows and all(r[1] == "NTS" for r in rows), rows
    assert any(int(r[8]) >= 1 for r in rows), rows
    assert srv.counters()["cookies sent"] == len(rows)


def test_client_rekeys_after_nak(tockd, tmp_path, certs):
    """Cookies outlived by the server's keys (ntsrotate 1 and a 4 s poll): the server
    answers with NTS NAKs, the client drops its cookies and makes a new NTS-KE."""
    srv = NtsServer(tockd, tmp_path, certs, helpers=0, extra="ntsrotate 1")
    d = tockd(f"server localhost port {srv.ntp_port} nts ntsport {srv.ke_port} minpoll 2 "
              f"maxpoll 2\nntstrustedcerts {certs}/ca.pem\ncmdport 0\n")
    d.wait_log(r"source localhost: NTS NAK \(the server cannot open our cookie\): new NTS-KE",
               timeout=30)
    d.wait_log(r"(?s)NTS NAK.*NTS-KE with localhost: 8 cookies", timeout=20)
    k = srv.counters()
    assert k["NAK cookie"] >= 1 and k["cookies sent"] >= 2, k


# ---- operations ----

def test_helper_crash_is_replaced(tockd, tmp_path, certs, probe):
    srv = NtsServer(tockd, tmp_path, certs, helpers=2)
    srv.wait_log(r"nks#2: NTS-KE helper ready")
    pids = srv.helper_pids()
    assert len(pids) == 2, pids
    # SIGKILL: a crash that no handler (not even the sanitizers') can turn into an exit.
    os.kill(pids[0], signal.SIGKILL)
    srv.wait_log(r"NTS-KE helper nks#\d \(pid %d\) was killed by signal 9" % pids[0])
    srv.wait_log(r"NTS-KE helper nks#\d restarted")
    wait_until(lambda: len(srv.helper_pids()) == 2, timeout=10, step=0.1, what="2 helpers")
    for _ in range(3):
        r = run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", certs / "ca.pem")
        assert r.returncode == 0, r.stdout
    assert srv.counters()["helpers restarted"] == 1


@pytest.mark.parametrize("helpers", [1, 0])
def test_reload_certs(tockd, tmp_path, certs, probe, helpers):
    live = tmp_path / f"live{helpers}"
    live.mkdir()
    for ext in ("pem", "key"):
        shutil.copy(certs / f"server.{ext}", live / f"cert.{ext}")
    srv = NtsServer(tockd, tmp_path, live, helpers=helpers, cert="cert")
    ca = certs / "ca.pem"
    assert run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", ca).returncode == 0
    for ext in ("pem", "key"):
        shutil.copy(certs / f"wrong.{ext}", live / f"cert.{ext}")
    if helpers:
        r = srv.ctl("reload", "certs")
        assert r.returncode == 0 and "200 OK" in r.stdout, r.stdout + r.stderr
        srv.wait_log(r"nks#1: certificates reloaded|certificates reloaded")
    else:
        srv.d.proc.send_signal(signal.SIGHUP)
        srv.wait_log(r"NTS-KE certificates reloaded")
    r = run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", ca)
    assert r.returncode != 0 and "KE error" not in r.stdout
    assert run_probe(probe, "client", "127.0.0.1", srv.ke_port, "wrong.example",
                     ca).returncode == 0
    # A broken certificate file: the reload fails and the old certificate stays.
    (live / "cert.pem").write_text("not a certificate\n")
    r = srv.ctl("reload", "certs")
    assert "NOT reloaded" in srv.wait_log(r"NOT reloaded")
    assert run_probe(probe, "client", "127.0.0.1", srv.ke_port, "wrong.example",
                     ca).returncode == 0


def test_sni_selects_certificate(tockd, tmp_path, certs, probe):
    own = tmp_path / "sni-certs"
    own.mkdir()
    for name in ("wrong.pem", "wrong.key", "server.pem", "server.key"):
        shutil.copy(certs / name, own / name)
        os.chmod(own / name, 0o600)
    srv = NtsServer(tockd, tmp_path, own, helpers=0, cert=["wrong", "server"],
                    extra="ntsntpserver 127.0.0.1\nuser nobody", share_certs=False)
    ca = certs / "ca.pem"
    # The keys are 0600 root: `user` could not reload them after the privilege drop.
    assert re.search(r"warning: \S+/server\.key is not readable by user nobody, .*\(fix: chgrp "
                     r"\d+ \S+/server\.key && chmod g\+r", srv.log()), srv.log()
    for name in ("localhost", "wrong.example"):
        r = run_probe(probe, "client", "127.0.0.1", srv.ke_port, name, ca)
        assert r.returncode == 0, r.stdout
        assert f"port={srv.ntp_port} server=127.0.0.1" in r.stdout


def test_access_ratelimit_and_connection_limit(tockd, tmp_path, certs):
    srv = NtsServer(tockd, tmp_path, certs, helpers=0,
                    extra="deny 127.0.0.2\nmaxntsconnections 2\n"
                          "ntsratelimit interval 4 burst 4")
    # Denied: closed at once, without TLS.
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", srv.ke_port))
        t0 = time.monotonic()
        assert s.recv(10) == b"" and time.monotonic() - t0 < 1
    # Two idle connections fill the pool; a third is closed at once.
    idle = [socket.create_connection(("127.0.0.1", srv.ke_port), 5) for _ in range(2)]
    time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", srv.ke_port), 5) as s:
        s.settimeout(5)
        t0 = time.monotonic()
        assert s.recv(10) == b"" and time.monotonic() - t0 < 1
    for s in idle:
        s.close()
    # Rate limit: a burst of connections from one address; the excess is dropped.
    for _ in range(12):
        with socket.create_connection(("127.0.0.1", srv.ke_port), 5):
            pass
    # Every connection handled (one accept per wake-up): the port probe, 2 idle, the third
    # and the 12 of the burst passed allow/deny (the denied one did not).
    def stats():
        text = srv.ctl("serverstats").stdout
        return {k: int(v) for k, v in re.findall(r"NTS-KE connections (\w+)\s*: (\d+)", text)}

    wait_until(lambda: stats().get("accepted") == 16, timeout=10, step=0.2,
               what="all connections accepted")
    k = srv.counters()
    assert k["denied"] == 1 and k["too many"] >= 1 and k["rate-limited"] >= 1, k
    assert stats()["dropped"] == k["rate-limited"], (stats(), k)


def test_keyfile_external_management(tockd, tmp_path, certs, probe):
    dump = tmp_path / "ext"
    dump.mkdir()
    keyfile = dump / "ntskeys"
    assert run_probe(probe, "keyfile", keyfile, "nks1").returncode == 0
    original = keyfile.read_text()
    srv = NtsServer(tockd, tmp_path, certs, helpers=0, dumpdir=dump, extra="ntsrotate 0")
    srv.wait_log(r"loaded NTS server keys from")
    ca = certs / "ca.pem"
    r = run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", ca, keyfile)
    assert r.returncode == 0 and "KEYFILE opened=12 match=12 of=12" in r.stdout, r.stdout
    # New keys from outside, picked up by rekey.
    assert run_probe(probe, "keyfile", keyfile, "nks0").returncode == 0
    new = keyfile.read_text()
    assert srv.ctl("rekey").returncode == 0
    r = run_probe(probe, "client", "127.0.0.1", srv.ke_port, "localhost", ca, keyfile)
    assert r.returncode == 0 and "KEYFILE opened=12" in r.stdout, r.stdout
    assert srv.d.stop() == 0
    assert keyfile.read_text() == new != original  # never written by tockd


def test_single_process_mode_under_strace(tmp_path, certs, probe):
    """tockd -d with an NTS server configured (ntsprocesses 4) keeps to the simulator rules:
    no fork, one task, no forbidden calls, while serving an NTS-KE and NTS requests."""
    require_tool("strace")
    from test_simulation_rules import FORBIDDEN_FLAGS, FORBIDDEN_SYSCALLS, run_under_strace
    port, ke_port = free_port(), free_port()
    proc, trace = run_under_strace(
        tmp_path, f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 10\n"
                  f"cmdport 0\nbindcmdaddress {tmp_path}/tockd.sock\n"
                  f"pidfile {tmp_path}/tockd.pid\nntsservercert {certs}/server.pem\n"
                  f"ntsserverkey {certs}/server.key\nntsport {ke_port}\nntsprocesses 4\n"
                  f"ntsdumpdir {tmp_path}\n")
    try:
        wait_tcp(ke_port, timeout=20)
        r = run_probe(probe, "client", "127.0.0.1", ke_port, "localhost", certs / "ca.pem")
        assert r.returncode == 0, r.stdout
    finally:
        pidfile = tmp_path / "tockd.pid"
        deadline = time.monotonic() + 5
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        else:
            proc.kill()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "-d: NTS-KE runs in the main process (ntsprocesses 4 ignored" in err
    text = drop_nscd_probes(trace.read_text())
    calls = set(re.findall(r"^\d+\s+([a-z0-9_]+)\(", text, re.M))
    assert "accept" in calls and not calls & FORBIDDEN_SYSCALLS, calls & FORBIDDEN_SYSCALLS
    for flag in FORBIDDEN_FLAGS:
        assert flag not in text, flag
    assert len(set(re.findall(r"^(\d+)\s", text, re.M))) == 1


CLKNETSIM = pathlib.Path(os.environ.get("CLKNETSIM_PATH", "/nonexistent"))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (unshare -n)")
@pytest.mark.skipif(not (CLKNETSIM / "clknetsim").exists() or
                    not (CLKNETSIM / "clknetsim.so").exists(),
                    reason="clknetsim not built (set CLKNETSIM_PATH, see doc/accuracy.md)")
@pytest.mark.skipif(bool(os.environ.get("TOCK_SAN")),
                    reason="an ASan binary cannot run under another LD_PRELOAD library")
def test_nts_under_clknetsim(tmp_path):
    """tockd -d as an NTS server and tockd -d as its NTS client, both unmodified under
    clknetsim (simulated clocks from 2010, simulated UDP and TCP): NTS-KE in the server's
    main process, NTS-protected NTP, and the client converges. Run without CAP_SYS_TIME in
    a new network namespace (bench/sim/safe.sh)."""
    require_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "30", "-subj", "/CN=192.168.123.1", "-addext",
                    "subjectAltName=IP:192.168.123.1", "-addext",
                    "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
    (tmp_path / "conf").write_text(
        "node1_delay2 = (+ 1e-4 (* 1e-4 (exponential)))\n"
        "node2_delay1 = (+ 1e-4 (* 1e-4 (exponential)))\n"
        "node1_offset = 0.0\nnode2_freq = (+ 1e-4 (sum (* 1e-9 (normal))))\n"
        "node2_offset = 0.1\n")
    (tmp_path / "conf.1").write_text(
        f"local stratum 1\nallow\nntsservercert {cert}\nntsserverkey {key}\n"
        f"ntsdumpdir {tmp_path}\npidfile {tmp_path}/pid.1\n")
    # The simulated clock starts in 2010, before the certificate: nocerttimecheck.
    (tmp_path / "conf.2").write_text(
        f"server 192.168.123.1 nts iburst minpoll 4 maxpoll 6\nntstrustedcerts {cert}\n"
        f"nocerttimecheck 1\npidfile {tmp_path}/pid.2\n")
    script = tmp_path / "run.sh"
    script.write_text(f"""#!/bin/bash
d={tmp_path}
pids=""
for n in 1 2; do
  CLKNETSIM_RANDOM_SEED=1 LD_PRELOAD={CLKNETSIM}/clknetsim.so CLKNETSIM_NODE=$n \\
    CLKNETSIM_SOCKET=$d/sock {BUILD}/tockd -d -L -1 -f $d/conf.$n > $d/log.$n 2>&1 &
  pids+=" $!"
done
CLKNETSIM_RANDOM_SEED=1 {CLKNETSIM}/clknetsim -s $d/sock -o $d/log.offset -r 1000 -l 4000 \\
    $d/conf 2 > $d/stats 2> $d/log
rc=$?
for p in $pids; do
  for k in $(seq 30); do kill -0 $p 2> /dev/null || break; sleep 0.1; done
  kill $p 2> /dev/null
done
exit $rc
""")
    script.chmod(0o755)
    res = subprocess.run([str(REPO / "bench/sim/safe.sh"), str(script)], timeout=300,
                         capture_output=True, text=True)
    server, client = (tmp_path / "log.1").read_text(), (tmp_path / "log.2").read_text()
    assert res.returncode == 0, (tmp_path / "log").read_text() + server + client
    for log in (server, client):
        # A TCP disconnect (type 4) that reaches a connection already closed after both
        # close_notify alerts is dropped by the simulator: benign. Any other drop means a
        # socket was read without poll() reporting it.
        drops = [line for line in log.splitlines() if line.startswith("clknetsim:")
                 and not re.match(r"clknetsim: dropped packet of type 4 ", line)]
        assert not drops and "Assertion" not in log, log
        assert "tockd exiting" in "".join(log.splitlines()[-2:]), log
    assert "certificate validity dates NOT checked (nocerttimecheck" in client
    assert "NTS-KE with 192.168.123.1: 8 cookies of 100 bytes, AEAD 15" in client
    m = re.search(r"NTS-NTP: (\d+) authenticated, 0 NAK cookie, 0 NAK auth", server)
    assert m and int(m.group(1)) >= 20, server
    node2 = (tmp_path / "stats").read_text().split("Node 2")[1]
    rms = float(re.search(r"RMS offset:\s+(\S+)", node2).group(1))
    assert rms < 1e-3, node2
