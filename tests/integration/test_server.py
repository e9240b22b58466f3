"""tockd as an NTP server: real clients get sane replies, bad input gets silence."""
import json
import shutil
import struct
import subprocess
import time

import pytest

from conftest import free_udp_port, needs_root, require_tool
from tockutil import exchange, ntp_query, request

LOCAL_REFID = 0x7F7F0101


def local_config(port, stratum=10, extra=""):
    return (f"port {port}\nbindaddress 127.0.0.1\nbindaddress ::1\nallow 127.0.0.1\n"
            f"allow ::1\nlocal stratum {stratum}\ncmdport 0\n{extra}")


def test_local_reference_reply_fields(tockd):
    port = free_udp_port()
    tockd(local_config(port, stratum=9), wait=r"serving NTP on 127.0.0.1")
    for addr in ("127.0.0.1", "::1"):
        r = ntp_query(addr, port, version=4, poll=7)
        assert r is not None, f"no reply on {addr}"
        assert r["mode"] == 4
        assert r["version"] == 4
        assert r["leap"] == 0
        assert r["stratum"] == 9
        assert r["refid"] == LOCAL_REFID
        assert r["root_delay"] == 0 and r["root_dispersion"] == 0
        assert r["poll"] == 7
        assert -30 <= r["precision"] <= -10
        assert r["origin"] == r["sent_transmit"]
        assert r["receive"] & 1 == 1 and r["transmit"] & 1 == 0
        # -x: tockd serves this machine's clock, which the test also reads.
        assert abs(r["offset"]) < 0.01
        assert 0 <= r["delay"] < 0.1
        assert r["length"] == 48


def test_version_is_echoed_and_poll_too(tockd):
    port = free_udp_port()
    tockd(local_config(port), wait=r"serving NTP on 127.0.0.1")
    for version in (1, 2, 3, 4):
        r = ntp_query("127.0.0.1", port, version=version, poll=-3)
        assert r is not None
        assert r["version"] == version
        assert r["poll"] == -3


def test_unsynchronised_without_local(tockd):
    port = free_udp_port()
    tockd(f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\ncmdport 0\n",
          wait=r"serving NTP on 127.0.0.1")
    r = ntp_query("127.0.0.1", port)
    assert r is not None
    assert r["leap"] == 3
    assert r["stratum"] == 0
    assert r["refid"] == 0
    assert r["root_delay"] == 1.0 and r["root_dispersion"] == 1.0
    assert r["ref"] == 0


def test_no_server_socket_without_allow(tockd):
    port = free_udp_port()
    d = tockd(f"port {port}\nbindaddress 127.0.0.1\nlocal stratum 10\ncmdport 0\n",
              wait=r"NTP server off \(no allow directive\)")
    assert ntp_query("127.0.0.1", port, timeout=0.5) is None
    assert d.alive()


def bad_packets():
    good = request()
    ef16 = good + struct.pack(">HH", 0x1234, 16) + b"\0" * 12
    ef_bad_len = good + struct.pack(">HH", 0x1234, 30) + b"\0" * 28
    ef_past_end = good + struct.pack(">HH", 0x1234, 64) + b"\0" * 28
    return {
        "empty": b"",
        "one byte": b"\x23",
        "47 bytes": good[:47],
        "49 bytes": good + b"\0",
        "50 bytes": good + b"\0\0",
        "version 0": bytes([0x03]) + good[1:],
        "version 5": bytes([0x2B]) + good[1:],
        "version 7": bytes([0x3B]) + good[1:],
        "mode 6 (ntpq readstat)": bytes([0x16, 0x01, 0x00, 0x01]) + b"\0" * 8,
        "mode 6 padded": bytes([0x16, 0x02, 0x00, 0x01]) + b"\0" * 44,
        "mode 7 (ntpdc monlist)": bytes([0x17, 0x00, 0x03, 0x2A]) + b"\0" * 44,
        "mode 4 (server)": bytes([0x24]) + good[1:],
        "mode 5 (broadcast)": bytes([0x25]) + good[1:],
        "mode 0": bytes([0x20]) + good[1:],
        "lone 16-byte extension field": ef16,
        "extension length not multiple of 4": ef_bad_len,
        "extension past end": ef_past_end,
        "8 trailing bytes": good + b"\x01" * 8,
        "unknown key MAC": good + struct.pack(">I", 77) + b"\x55" * 16,
        "crypto-NAK": good + b"\0" * 4,
        "oversized": good + b"\0" * 2000,
    }


def test_bad_input_gets_silence_and_server_keeps_serving(tockd):
    port = free_udp_port()
    d = tockd(local_config(port), wait=r"serving NTP on 127.0.0.1")
    for name, payload in bad_packets().items():
        assert exchange("127.0.0.1", port, payload, timeout=0.3) is None, \
            f"tockd answered {name}"
        assert d.alive(), f"tockd died on {name}"
    # A 28-byte unknown extension field is valid and ignored; the reply stays 48 bytes.
    ef28 = request() + struct.pack(">HH", 0x2345, 28) + b"\0" * 24
    reply = exchange("127.0.0.1", port, ef28)
    assert reply is not None and len(reply) == 48
    r = ntp_query("127.0.0.1", port)
    assert r is not None and r["stratum"] == 10


def test_reply_never_longer_than_request(tockd):
    port = free_udp_port()
    tockd(local_config(port), wait=r"serving NTP on 127.0.0.1")
    for extra in (0, 28, 100, 400):
        payload = request() + (struct.pack(">HH", 0x2345, extra) + b"\0" * (extra - 4)
                               if extra else b"")
        reply = exchange("127.0.0.1", port, payload)
        assert reply is not None
        assert len(reply) <= len(payload)


def test_ntplib_gets_sane_replies(tockd):
    ntplib = pytest.importorskip("ntplib")
    port = free_udp_port()
    tockd(local_config(port, stratum=10), wait=r"serving NTP on 127.0.0.1")
    client = ntplib.NTPClient()
    for addr in ("127.0.0.1", "::1"):
        r = client.request(addr, port=port, version=4, timeout=2)
        assert r.stratum == 10
        assert r.leap == 0
        assert r.ref_id == LOCAL_REFID
        assert abs(r.offset) < 0.01
        assert 0 <= r.delay < 0.1
        assert -30 <= r.precision <= -10


def test_port_in_use_is_a_loud_error(tockd, tmp_path):
    port = free_udp_port()
    first = tockd(local_config(port), wait=r"serving NTP on 127.0.0.1")
    second = tockd(local_config(port), expect_running=False)
    assert second.proc.wait(10) == 1
    assert "already in use" in second.log()
    assert first.alive()


def test_second_instance_on_same_pidfile_refused(tockd, tmp_path):
    pidfile = tmp_path / "shared.pid"
    port1, port2 = free_udp_port(), free_udp_port()
    first = tockd(local_config(port1, extra=f"pidfile {pidfile}\n"),
                  wait=r"serving NTP on 127.0.0.1")
    assert int(pidfile.read_text()) == first.proc.pid
    second = tockd(local_config(port2, extra=f"pidfile {pidfile}\n"), expect_running=False)
    assert second.proc.wait(10) == 1
    assert f"already running (pid {first.proc.pid}" in second.log()


def test_sigterm_exits_cleanly_and_removes_pidfile(tockd):
    port = free_udp_port()
    d = tockd(local_config(port), wait=r"serving NTP on 127.0.0.1")
    pidfile = d.workdir / "run" / "tockd.pid"
    assert pidfile.exists()
    t0 = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - t0 < 2.0
    assert not pidfile.exists()


@needs_root
def test_ntpdig_sntp_ntpdate_on_port_123_in_a_namespace(netns, tockd):
    """ntpdig (and Debian 12's ntpdate and sntp wrappers around it) only query port 123:
    run tockd on port 123 inside a network namespace of our own."""
    require_tool("ntpdig")
    ns = netns()
    tockd("port 123\nallow 127.0.0.1\nallow ::1\nlocal stratum 10\ncmdport 0\n", netns=ns,
          wait=r"serving NTP on 0\.0\.0\.0 port 123")
    out = subprocess.run(["ip", "netns", "exec", ns, "ntpdig", "-j", "-t", "2", "127.0.0.1"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["stratum"] == 10
    assert abs(float(result["offset"])) < 0.01
    assert result["leap"] in ("no-leap", 0)
    if shutil.which("ntpdate"):
        out = subprocess.run(["ip", "netns", "exec", ns, "ntpdate", "-q", "127.0.0.1"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "stratum 10" in out.stdout or "s10" in out.stdout, out.stdout
    if shutil.which("sntp"):
        out = subprocess.run(["ip", "netns", "exec", ns, "sntp", "127.0.0.1"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "s10" in out.stdout, out.stdout
    out = subprocess.run(["ip", "netns", "exec", ns, "ntpdig", "-j", "-t", "2", "::1"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stratum"] == 10


@needs_root
def test_quickstart_serves_on_11123(netns, tockd, tmp_path):
    """make run's embedded configuration, in a namespace so the fixed port cannot clash."""
    import subprocess as sp
    from conftest import Daemon
    ns = netns()
    work = tmp_path / "qs"
    work.mkdir()
    d = Daemon(["-d", "-x", f"--quickstart={work}/run"], work, netns=ns)
    try:
        d.wait_log(r"serving NTP on ::1 port 11123")
        code = ("import sys; sys.path.insert(0, %r); from tockutil import ntp_query; "
                "r = ntp_query('127.0.0.1', 11123); print(r['stratum'], hex(r['refid']))"
                % str(__import__('pathlib').Path(__file__).parent))
        out = sp.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code],
                     capture_output=True, text=True, timeout=20)
        assert out.stdout.split() == ["10", "0x7f7f0101"], out.stdout + out.stderr
        assert (work / "run" / "tockd.pid").exists()
    finally:
        assert d.stop() == 0
        d.check_sanitizers()
