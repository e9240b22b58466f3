"""NTS interoperability with chronyd (Debian 12's 4.3), both directions, on loopback.

tock's NTS building blocks (NTS-KE over TLS, cookies and key ring, NTS extension fields)
are driven by a small probe program (nts_probe.c, built here against the build's
libraries) until tockd itself serves NTS:

* tock client -> chronyd NTS server: NTS-KE (8 cookies, AEAD 15), NTS-protected NTP with and
  without placeholders (reply length = request length), an NTS NAK for a damaged cookie,
  and chronyd's own `ntskeys` file opening every cookie chronyd issued with tock's key ring.
* a key file written by tock (NKS0, the only form chrony 4.3 reads) and loaded by chronyd
  with `ntsrotate 0`: the cookies chronyd then issues open with tock's key ring, the
  deployment where separate NTS-KE and NTP servers share their keys.
* chronyd NTS client -> tock probe server: chronyd completes NTS-KE, authenticates our NTP
  replies (`chronyc authdata` shows NTS with cookies, no NAK) and selects the source.

Every chronyd runs with -x -u root and its own ports, pidfile, sockets and dump directory
in the test's temp dir, and is stopped by PID.
"""
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import time

import random

import pytest

# Self-contained (no conftest import): the paths and a free-port helper as conftest.py has.
REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("TOCK_BUILD", REPO / "build"))
CHRONYD = "/usr/sbin/chronyd"
CHRONYC = "/usr/bin/chronyc"


def free_port():
    """A random high port free for UDP and TCP on 127.0.0.1 (other daemons share this host)."""
    for _ in range(200):
        port = random.randint(20000, 60000)
        socks = []
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")


def require_tool(name):
    if shutil.which(name) is None:
        pytest.skip(f"{name} not installed")


def _skip_unless_ready():
    if not os.path.exists(CHRONYD) or shutil.which("chronyc") is None:
        pytest.skip("chronyd/chronyc not installed")
    require_tool("openssl")
    require_tool("cc")
    for lib in ("libtock.a", "libtockd.a"):
        if not (BUILD / lib).exists():
            pytest.skip(f"{BUILD / lib} missing (run make first)")


@pytest.fixture
def certs(tmp_path):
    d = tmp_path / "certs"
    subprocess.run(["sh", str(REPO / "tests/certs/make-test-certs.sh"), str(d)], check=True,
                   capture_output=True)
    return d


@pytest.fixture
def probe(tmp_path):
    _skip_unless_ready()
    out = tmp_path / "nts_probe"
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-g", "-I", str(REPO / "src"),
           str(REPO / "tests/integration/nts_probe.c"), str(BUILD / "libtockd.a"),
           str(BUILD / "libtock.a"), "-lssl", "-lcrypto", "-lnettle", "-lm", "-o", str(out)]
    if os.environ.get("TOCK_SAN") == "1":
        cmd[1:1] = ["-fsanitize=address,undefined"]
    subprocess.run(cmd, check=True)
    return out


class Proc:
    """A process this test started; stopped by PID."""

    def __init__(self, cmd, log_path):
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


@pytest.fixture
def procs():
    started = []
    yield started
    for p in started:
        p.stop()


def wait_tcp(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on TCP port {port}")


def start_chronyd(workdir, conf_text, procs):
    workdir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(workdir, 0o700)  # chronyd refuses a command socket in an open directory
    conf = workdir / "chrony.conf"
    conf.write_text(conf_text + f"""
cmdport 0
bindcmdaddress {workdir}/chronyd.sock
pidfile {workdir}/chronyd.pid
""")
    p = Proc([CHRONYD, "-x", "-u", "root", "-d", "-f", str(conf)], workdir / "chronyd.log")
    procs.append(p)
    return p


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)


def run_client(probe, ke_port, name, certs, keyfile):
    out = subprocess.run([str(probe), "client", "127.0.0.1", str(ke_port), name,
                          str(certs / "ca.pem"), str(keyfile)],
                         capture_output=True, text=True, timeout=60)
    lines = {l.split()[0] + (l.split()[1] if l.startswith("NTP") else ""): l
             for l in out.stdout.splitlines() if l.strip()}
    return out, lines


def test_tock_client_against_chronyd_server(tmp_path, certs, probe, procs):
    ntp_port, ke_port = free_port(), free_port()
    work = tmp_path / "chronyd"
    chronyd = start_chronyd(work, f"""
port {ntp_port}
ntsport {ke_port}
bindaddress 127.0.0.1
ntsservercert {certs}/server.pem
ntsserverkey {certs}/server.key
ntsdumpdir {work}
allow 127.0.0.1
local stratum 8
""", procs)
    wait_tcp(ke_port)
    keyfile = work / "ntskeys"
    deadline = time.monotonic() + 5
    while not keyfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    for name in ("localhost", "127.0.0.1"):
        out, lines = run_client(probe, ke_port, name, certs, keyfile)
        assert out.returncode == 0, out.stdout + out.stderr + chronyd.log()
        ke = fields(lines["KE"])
        assert ke["result"] == "ok" and ke["aead"] == "15" and ke["cookies"] == "8"
        assert ke["cookie_len"] == "100"  # chrony 4.3: AES-SIV-CMAC-256 cookies
        assert ke["port"] == str(ntp_port)  # Port Negotiation, as the port is not 123
        for i, placeholders in ((0, 0), (1, 1), (2, 0)):
            ntp = fields(lines[f"NTP{i}"])
            assert ntp["result"] == "ok"
            assert ntp["placeholders"] == str(placeholders)
            assert ntp["cookies"] == str(1 + placeholders)
            assert ntp["req_len"] == ntp["reply_len"]
        assert fields(lines["NTP0"])["req_len"] == "228"
        nak = fields(lines["NAK"])
        assert nak["result"] == "nak" and nak["stratum"] == "0"
        assert nak["reply_len"] == "84"  # header + the unique identifier only
        keys = fields(lines["KEYFILE"])
        assert keys["opened"] == keys["of"] == keys["match"] == "12"
    assert chronyd.stop() == 0


def test_chronyd_loads_tock_key_file(tmp_path, certs, probe, procs):
    ntp_port, ke_port = free_port(), free_port()
    work = tmp_path / "chronyd"
    work.mkdir(mode=0o700)
    keyfile = work / "ntskeys"
    subprocess.run([str(probe), "keyfile", str(keyfile), "nks0"], check=True)
    before = keyfile.read_text()
    assert before.startswith("NKS0\n15 ")
    chronyd = start_chronyd(work, f"""
port {ntp_port}
ntsport {ke_port}
bindaddress 127.0.0.1
ntsservercert {certs}/server.pem
ntsserverkey {certs}/server.key
ntsdumpdir {work}
ntsrotate 0
allow 127.0.0.1
local stratum 8
""", procs)
    wait_tcp(ke_port)
    out, lines = run_client(probe, ke_port, "localhost", certs, keyfile)
    assert out.returncode == 0, out.stdout + out.stderr + chronyd.log()
    keys = fields(lines["KEYFILE"])
    assert keys["opened"] == keys["of"] == keys["match"] == "12"
    assert chronyd.stop() == 0
    assert keyfile.read_text() == before  # with ntsrotate 0 chronyd never rewrites it


def test_chronyd_client_against_tock_server(tmp_path, certs, probe, procs):
    ntp_port, ke_port = free_port(), free_port()
    server = Proc([str(probe), "server", str(ke_port), str(ntp_port), str(certs / "server.pem"),
                   str(certs / "server.key"), "60"], tmp_path / "probe.log")
    procs.append(server)
    deadline = time.monotonic() + 10
    while "SERVER ready" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "SERVER ready" in server.log(), server.log()
    work = tmp_path / "client"
    chronyd = start_chronyd(work, f"""
server 127.0.0.1 port {ntp_port} nts ntsport {ke_port} iburst minpoll 0 maxpoll 0
ntstrustedcerts {certs}/ca.pem
nosystemcert
ntsdumpdir {work}
port 0
""", procs)
    sock = work / "chronyd.sock"
    deadline = time.monotonic() + 30
    auth = ""
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if not sock.exists():
            continue
        auth = subprocess.run([CHRONYC, "-h", str(sock), "-n", "-c", "authdata"],
                              capture_output=True, text=True, timeout=10).stdout
        sources = subprocess.run([CHRONYC, "-h", str(sock), "-n", "-c", "sources"],
                                 capture_output=True, text=True, timeout=10).stdout
        # CSV sources: mode, state ('*' selected, '+' combined), name, ...
        if auth.startswith("127.0.0.1,NTS,") and re.match(r"\^,[*+],127\.0\.0\.1,", sources):
            break
    else:
        pytest.fail(f"chronyd never authenticated/selected the tock server:\n{auth}\n"
                    f"{chronyd.log()}\n{server.log()}")
    # CSV authdata: name, mode, key id, AEAD id, key length (bits), last, attempts, NAKs,
    # cookies, cookie length.
    cols = auth.strip().split(",")
    assert cols[1] == "NTS" and cols[3] == "15" and cols[4] == "256"
    assert int(cols[7]) == 0  # no NAK
    assert int(cols[8]) > 0  # holds cookies
    assert cols[9] == "100"
    assert chronyd.stop() == 0
    assert server.stop() == 0
    served = fields([l for l in server.log().splitlines() if l.startswith("SERVED")][0])
    assert int(served["ke_ok"]) >= 1 and served["ke_failed"] == "0"
    assert int(served["ntp_ok"]) >= 2 and served["drop"] == "0" and served["nak"] == "0"
