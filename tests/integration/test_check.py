"""`tockctl check` (a Nagios/Icinga plugin: one line, performance data, exit codes 0/1/2/3)
and `tockctl status` (ntpstat's report and exit codes 0/1/2) against a running tockd in each
state: synchronised, local reference only, no sources, high stratum, large offset, daemon
down; and the NTS certificate expiry read from tockd's configuration (-f), with real
certificates."""
import json
import os
import re
import subprocess

import pytest

from chronyd_util import chronyd
from conftest import REPO, TOCKCTL
from tockutil import wait_until

PERF = re.compile(r" \| offset=-?\d+\.\d{9}s;0\.1;1 stratum=\d+;5;15 sources=\d+;1: "
                  r"reach=\d;;;0;8( age=\d+s)?( cert_days=-?\d+\.\d;14;0)?$")


def ctl(sock, *args, timeout=30):
    r = subprocess.run([str(TOCKCTL), "-h", str(sock), *args], capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def check(sock, *args):
    rc, out, err = ctl(sock, *args, "check") if args and args[0] == "-f" else \
        ctl(sock, "check", *args)
    assert err == "" and out.count("\n") == 1, (out, err)
    return rc, out.rstrip("\n")


def client_of(tockd, server, extra="", args=("-d", "-x")):
    d = tockd(f"server 127.0.0.1 port {server.port} iburst minpoll 0 maxpoll 0\nport 0\n"
              f"cmdport 0\n{extra}", args=list(args), wait=r"command socket")

    def synced():
        rc, out, _ = ctl(d.socket, "-j", "tracking")
        return rc == 0 and json.loads(out)["leap_status"] == "normal" and \
            json.loads(out)["address"] == "127.0.0.1"
    assert wait_until(synced, 30), ctl(d.socket, "tracking")[1]
    return d


def test_synchronised(tockd):
    with chronyd(["local stratum 3", "allow 127.0.0.1"]) as server:
        d = client_of(tockd, server)
        rc, line = check(d.socket)
        assert rc == 0, line
        assert line.startswith("NTP OK: synchronised to 127.0.0.1 at stratum 4, offset ")
        assert PERF.search(line), line
        rc, out, _ = ctl(d.socket, "status")
        assert rc == 0
        assert re.fullmatch(r"synchronised to NTP server \(127\.0\.0\.1\) at stratum 4\n"
                            r"   time correct to within \d+ ms\n"
                            r"   polling server every 1 s\n", out), out
        rc, out, _ = ctl(d.socket, "-j", "check")
        j = json.loads(out)
        assert rc == 0 and j["state"] == "OK" and j["stratum"] == 4 and j["sources"] == 1
        # the thresholds: a tiny offset limit makes it CRITICAL
        rc, line = check(d.socket, "--warn-offset", "0", "--crit-offset", "0")
        assert rc == 2 and line.startswith("NTP CRITICAL: offset "), line


def test_high_stratum(tockd):
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as server:
        d = client_of(tockd, server)
        rc, line = check(d.socket)
        assert rc == 1, line
        assert line.startswith("NTP WARNING: stratum 9 above 5; synchronised to 127.0.0.1 at "
                               "stratum 9"), line
        rc, line = check(d.socket, "--crit-stratum", "8")
        assert rc == 2 and line.startswith("NTP CRITICAL: stratum 9 above 8"), line
        assert ctl(d.socket, "status")[0] == 0


@pytest.mark.parametrize("offset,state,code", [(0.3, "WARNING", 1), (2.0, "CRITICAL", 2)])
def test_large_offset(tockd, offset, state, code):
    """The clock starts `offset` s off (simulated clock, no makestep): while tockd slews it
    out, the remaining correction is reported."""
    with chronyd(["local stratum 3", "allow 127.0.0.1"]) as server:
        d = client_of(tockd, server, args=("-d", "--clock", f"sim:{offset}:0"))
        rc, line = check(d.socket)
        assert rc == code, line
        assert line.startswith(f"NTP {state}: offset "), line
        m = re.search(r"offset=(-?\d+\.\d+)s", line)
        assert abs(float(m.group(1))) > 0.8 * offset - 0.05, line
        # ntpstat's bound includes the correction still to be made
        rc, out, _ = ctl(d.socket, "status")
        bound = int(re.search(r"time correct to within (\d+) ms", out).group(1))
        assert rc == 0 and bound > 800 * offset - 50, out


def test_local_reference_only(tockd):
    d = tockd("port 0\ncmdport 0\nlocal stratum 10\n", args=["-d", "-x"],
              wait=r"command socket")
    rc, line = check(d.socket)
    assert rc == 1, line
    assert line.startswith("NTP WARNING: no time source, local reference only; stratum 10 "
                           "above 5; serving the local reference at stratum 10"), line
    assert PERF.search(line.replace("stratum=10;5;15", "stratum=10;5;15")), line
    rc, out, _ = ctl(d.socket, "status")
    assert (rc, out.splitlines()[0]) == (0, "synchronised to local net at stratum 10"), out


def test_no_sources_and_daemon_down(tockd):
    d = tockd("port 0\ncmdport 0\n", args=["-d", "-x"], wait=r"command socket")
    rc, line = check(d.socket)
    assert (rc, line.split(" |")[0]) == (2, "NTP CRITICAL: not synchronised"), line
    rc, out, _ = ctl(d.socket, "status")
    assert rc == 1 and out.startswith("unsynchronised\n"), out
    assert d.stop() == 0
    rc, line = check(d.socket)
    assert (rc, line) == (3, "NTP UNKNOWN: cannot talk to the daemon (506 Cannot talk to "
                             "daemon)")
    rc, out, err = ctl(d.socket, "status")
    assert (rc, out, err) == (2, "", "Unable to talk to NTP daemon. Is it running?\n")


def make_cert(path, days):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", str(days), "-subj",
                    "/CN=localhost", "-keyout", f"{path}.key", "-out", path],
                   check=True, capture_output=True, timeout=60)


def test_nts_certificate_expiry(tockd, tmp_path):
    """check -f CONF reads the ntsservercert files of that configuration: a certificate
    valid for a year is fine, one expiring in 10 days gives a WARNING (14 days before), an
    expired one CRITICAL; the first to expire counts."""
    if subprocess.run(["which", "openssl"], capture_output=True).returncode:
        pytest.skip("openssl not installed")
    certs = tmp_path / "certs"
    subprocess.run(["sh", str(REPO / "tests" / "certs" / "make-test-certs.sh"), str(certs)],
                   check=True, capture_output=True, timeout=120)
    make_cert(str(tmp_path / "soon.pem"), 10)
    d = tockd("port 0\ncmdport 0\nlocal stratum 3\n", args=["-d", "-x"], wait=r"command socket")

    def conf(*names):
        path = tmp_path / f"tock-{'-'.join(os.path.basename(n) for n in names)}.conf"
        path.write_text("".join(f"ntsservercert {n}\nntsserverkey {n}.key\n" for n in names) +
                        "local stratum 3\n")
        return str(path)

    rc, line = check(d.socket, "-f", conf(str(certs / "server.pem")))
    assert rc == 1, line  # only the local reference: WARNING, but nothing about the cert
    assert "NTS certificate" not in line and re.search(r" cert_days=3[56]\d\.\d;14;0$", line)
    rc, line = check(d.socket, "-f", conf(str(certs / "server.pem"), str(tmp_path / "soon.pem")))
    assert rc == 1 and re.search(r"NTS certificate \S+/soon\.pem expires in (9\.\d|10\.0) days "
                                 r"\(<= 14\)", line), line
    rc, line = check(d.socket, "-f", conf(str(certs / "expired.pem")))
    assert rc == 2 and re.match(r"NTP CRITICAL: no time source, local reference only; NTS "
                                r"certificate \S+/expired\.pem expired \d+\.\d days ago",
                                line), line
    rc, line = check(d.socket, "-f", conf(str(tmp_path / "missing.pem")))
    assert rc == 1 and "cannot read NTS certificate" in line, line
    rc, line = check(d.socket, "-f", str(tmp_path / "no-such.conf"))
    assert rc == 3 and line.startswith("NTP UNKNOWN: cannot read the configuration"), line
