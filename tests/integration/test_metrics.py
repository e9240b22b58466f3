"""The Prometheus endpoint (`metricsport`): scraped over HTTP/1.0, the exposition parses,
every family is typed once, and the values agree with `tockctl -j` for a tockd synchronised
to two chronyd servers; access follows cmdallow; the bounds hold (connections, request
size, timeout) and hostile requests get an HTTP error or a closed connection, never a
crash."""
import json
import math
import re
import socket
import subprocess
import threading
import time

from chronyd_util import chronyd
from conftest import TOCKCTL, free_udp_port
from tockutil import ntp_query, wait_until

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def http(port, request=b"GET /metrics HTTP/1.0\r\n\r\n", host="127.0.0.1", source=None,
         timeout=5):
    """Sends `request`, returns (status line, headers, body) or None if the connection was
    closed without a response."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert int(headers["Content-Length"]) == len(body)
    return lines[0], headers, body.decode()


def parse_exposition(text):
    """{name: [(labels dict, value)]}, checking the syntax and the grouping."""
    families, samples, current = {}, {}, None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in families, f"family {name} twice"
            assert kind in ("gauge", "counter")
            if kind == "counter":
                assert name.endswith("_total"), name
            families[name] = kind
            current = name
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"bad line {line!r}"
        assert m.group(1) == current, f"{m.group(1)} outside its family ({current})"
        labels = dict(LABEL_RE.findall(m.group(3) or ""))
        samples.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return families, samples


def scrape(port):
    status, headers, body = http(port)
    assert status == "HTTP/1.0 200 OK", status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse_exposition(body)[1]


def one(samples, metric, **labels):
    values = [v for lab, v in samples.get(metric, []) if all(lab.get(k) == w
                                                             for k, w in labels.items())]
    assert len(values) == 1, (metric, labels, samples.get(metric))
    return values[0]


def tockctl_json(sock, *args):
    r = subprocess.run([str(TOCKCTL), "-h", str(sock), "-j", *args], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_metrics_agree_with_tockctl(tockd):
    """Two chronyd servers, tockd synchronised to them and serving: after a burst of client
    requests, the scrape's reference, source and server values are tockctl's."""
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as a, \
            chronyd(["local stratum 8", "allow 127.0.0.1"], address="127.0.0.2") as b:
        port, mport = free_udp_port(), free_udp_port()
        conf = (f"server 127.0.0.1 port {a.port} iburst minpoll 0 maxpoll 0\n"
                f"server 127.0.0.2 port {b.port} iburst minpoll 0 maxpoll 0\n"
                f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\ncmdport 0\n"
                f"metricsport {mport}\n")
        d = tockd(conf, args=["-d", "-x"], wait=r"metrics on http://\[::1\]")

        def synced():
            t = tockctl_json(d.socket, "tracking")
            s = tockctl_json(d.socket, "sources")["sources"]
            return (t["stratum"] == 9 and len(s) == 2 and
                    all(x["reach"] == 0o377 for x in s) and t)
        assert wait_until(synced, 40), tockctl_json(d.socket, "sources")
        for _ in range(50):
            assert ntp_query("127.0.0.1", port) is not None
        # Stop polling so that nothing moves between the scrape and tockctl.
        subprocess.run([str(TOCKCTL), "-h", str(d.socket), "offline"], check=True,
                       capture_output=True, timeout=20)
        time.sleep(2.5)

        m = scrape(mport)
        t = tockctl_json(d.socket, "tracking")
        assert one(m, "tock_reference_stratum") == t["stratum"] == 9
        assert one(m, "tock_reference_synchronised") == 1
        assert one(m, "tock_reference_local") == 0
        info = m["tock_reference_info"][0][0]
        assert info["reference_id"] == t["reference_id"]
        assert info["address"] == t["address"] and info["leap"] == "normal"
        assert math.isclose(one(m, "tock_reference_time_seconds"), t["ref_time_unix"],
                            abs_tol=1e-6)
        for metric, key in (("tock_frequency_ppm", "frequency_ppm"),
                            ("tock_residual_frequency_ppm", "residual_frequency_ppm"),
                            ("tock_skew_ppm", "skew_ppm"),
                            ("tock_last_offset_seconds", "last_offset"),
                            ("tock_rms_offset_seconds", "rms_offset"),
                            ("tock_root_delay_seconds", "root_delay"),
                            ("tock_update_interval_seconds", "update_interval")):
            assert math.isclose(one(m, metric), t[key], rel_tol=1e-6, abs_tol=1e-9), metric
        # the remaining correction and root dispersion move with time: close, not equal
        assert abs(one(m, "tock_system_time_correction_seconds") -
                   t["system_time_correction"]) < 1e-4
        assert abs(one(m, "tock_root_dispersion_seconds") - t["root_dispersion"]) < 1e-4

        sources = {s["address"]: s for s in tockctl_json(d.socket, "sources")["sources"]}
        stats = {s["address"]: s for s in tockctl_json(d.socket, "sourcestats")["sources"]}
        assert sorted(sources) == ["127.0.0.1", "127.0.0.2"]
        states = set()
        for addr, s in sources.items():
            lab = {"address": addr, "name": addr}
            inf = [x for x, _ in m["tock_source_info"] if x["address"] == addr]
            assert inf and inf[0]["state"] == s["state"] and inf[0]["name"] == addr, inf
            states.add(inf[0]["state_char"])
            # (offline cleared the registers, as chronyd does; both see it)
            assert one(m, "tock_source_reachability", **lab) == s["reach"]
            assert one(m, "tock_source_reachability_ratio", **lab) == bin(s["reach"]).count(
                "1") / 8
            assert one(m, "tock_source_stratum", **lab) == s["stratum"] == 8
            assert one(m, "tock_source_poll_interval_seconds", **lab) == 2.0 ** s["poll"]
            assert one(m, "tock_source_selected", **lab) == (s["state"] == "selected")
            assert math.isclose(one(m, "tock_source_offset_seconds", **lab),
                                s["adjusted_offset"], abs_tol=1e-9)
            assert math.isclose(one(m, "tock_source_measured_offset_seconds", **lab),
                                s["measured_offset"], abs_tol=1e-9)
            assert math.isclose(one(m, "tock_source_offset_error_seconds", **lab),
                                s["error"], rel_tol=1e-6)
            assert abs(one(m, "tock_source_last_sample_age_seconds", **lab) -
                       s["last_rx"]) <= 1
            st = stats[addr]
            assert one(m, "tock_source_samples", **lab) == st["samples"]
            assert math.isclose(one(m, "tock_source_jitter_seconds", **lab), st["std_dev"],
                                rel_tol=1e-6)
            assert math.isclose(one(m, "tock_source_estimated_offset_seconds", **lab),
                                st["offset"], abs_tol=1e-7)  # predicted for "now"
            assert one(m, "tock_source_span_seconds", **lab) == st["span"]
            assert math.isclose(one(m, "tock_source_frequency_ppm", **lab),
                                st["frequency_ppm"], rel_tol=1e-6, abs_tol=1e-9)
            nd = tockctl_json(d.socket, "ntpdata", addr)["sources"][0]
            assert math.isclose(one(m, "tock_source_delay_seconds", **lab), nd["peer_delay"],
                                rel_tol=1e-6)
            assert one(m, "tock_source_requests_sent_total", **lab) == nd["total_tx"]
            assert one(m, "tock_source_replies_received_total", **lab) == nd["total_rx"]
            assert one(m, "tock_source_replies_good_total", **lab) == nd["total_good_rx"]
        assert states <= set("*+-?x~")
        act = tockctl_json(d.socket, "activity")
        assert one(m, "tock_sources", state="offline") == act["offline"] == 2
        assert one(m, "tock_sources", state="online") == act["online"] == 0

        ss = tockctl_json(d.socket, "serverstats")
        assert one(m, "tock_ntp_requests_total") == ss["ntp_packets_received"] >= 50
        assert one(m, "tock_ntp_dropped_total", reason="ratelimit") == \
            ss["ntp_packets_dropped"]
        assert one(m, "tock_ntp_rx_timestamps_total", source="kernel") == \
            ss["ntp_kernel_rx_timestamps"]
        assert one(m, "tock_nts_ke_connections_total") == ss["nts_ke_connections_accepted"]
        # tockctl's own requests come after the scrape
        assert one(m, "tock_command_requests_total") < ss["command_packets_received"]
        # client log: 127.0.0.1 is the only NTP client
        clients = tockctl_json(d.socket, "clients")["clients"]
        assert one(m, "tock_clientlog_records") == len(clients) == 1
        assert one(m, "tock_clientlog_max_records") == 4096
        assert one(m, "tock_metrics_scrapes_total") == 0  # counted after the answer
        assert one(scrape(mport), "tock_metrics_scrapes_total") == 1
        assert m["tock_build_info"][0][0]["version"]


def test_metrics_local_and_unsynchronised(tockd):
    """The reference states: the local reference, and no reference at all."""
    mport = free_udp_port()
    d = tockd(f"port 0\ncmdport 0\nlocal stratum 10\nmetricsport {mport}\n", args=["-d", "-x"],
              wait=r"metrics on http")
    m = scrape(mport)
    assert one(m, "tock_reference_local") == 1
    assert one(m, "tock_reference_synchronised") == 0
    assert one(m, "tock_reference_stratum") == 10
    assert m["tock_reference_info"][0][0]["reference_id"] == "7F7F0101"
    assert "tock_source_info" not in m
    assert d.stop() == 0

    mport = free_udp_port()
    tockd(f"port 0\ncmdport 0\nmetricsport {mport}\n", args=["-d", "-x"],
          wait=r"metrics on http")
    m = scrape(mport)
    assert one(m, "tock_reference_local") == 0
    assert one(m, "tock_reference_synchronised") == 0
    assert one(m, "tock_reference_stratum") == 0
    assert one(m, "tock_reference_leap_status") == 3


def test_metrics_access_follows_cmdallow(tockd):
    """Bound to every address: 127.0.0.1 and ::1 always may scrape, 127.0.0.2 only with a
    cmdallow rule; refused peers are disconnected without a response and counted."""
    mport = free_udp_port()
    d = tockd(f"port 0\ncmdport 0\nlocal stratum 10\nmetricsport {mport}\n"
              "bindmetricsaddress 0.0.0.0\n", args=["-d", "-x"], wait=r"metrics on http")
    assert http(mport, source="127.0.0.2") is None
    assert http(mport, host="127.0.0.2", source="127.0.0.2") is None
    assert http(mport)[0] == "HTTP/1.0 200 OK"
    assert one(scrape(mport), "tock_metrics_connections_rejected_total") == 2
    assert d.stop() == 0

    mport = free_udp_port()
    tockd(f"port 0\ncmdport 0\nlocal stratum 10\nmetricsport {mport}\n"
          "bindmetricsaddress 0.0.0.0\ncmdallow 127.0.0.2\n", args=["-d", "-x"],
          wait=r"metrics on http")
    assert http(mport, source="127.0.0.2")[0] == "HTTP/1.0 200 OK"
    assert http(mport, source="127.0.0.3") is None


def test_metrics_bounds_and_hostile_requests(tockd):
    """At most 4 connections at once; requests over 2048 bytes get 431; other paths 404,
    other methods 405, garbage 400; idle connections are cut after 10 s; tockd keeps
    answering NTP and scrapes throughout."""
    port, mport = free_udp_port(), free_udp_port()
    d = tockd(f"port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\ncmdport 0\n"
              f"local stratum 10\nmetricsport {mport}\n", args=["-d", "-x"],
              wait=r"metrics on http")
    assert http(mport, b"GET / HTTP/1.0\r\n\r\n")[0] == "HTTP/1.0 404 Not Found"
    assert http(mport, b"DELETE /metrics HTTP/1.1\r\n\r\n")[0].startswith("HTTP/1.0 405")
    assert http(mport, b"\x16\x03\x01\x00\xa5\x01\x00\x00")[0].startswith("HTTP/1.0 400")
    assert http(mport, b"GET /metrics\r\n\r\n")[0].startswith("HTTP/1.0 400")
    big = b"GET /metrics HTTP/1.0\r\nX-Pad: " + b"a" * 4000 + b"\r\n\r\n"
    assert http(mport, big)[0].startswith("HTTP/1.0 431")
    # the request may arrive in pieces
    with socket.create_connection(("127.0.0.1", mport), timeout=5) as s:
        for piece in (b"GET /met", b"rics HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            s.sendall(piece)
            time.sleep(0.05)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.0 200 OK\r\n")

    time.sleep(0.3)  # until tockd saw that client close (its slot is free again)
    # Four idle connections fill every slot: the fifth is closed at once.
    idle = [socket.create_connection(("127.0.0.1", mport), timeout=15) for _ in range(4)]
    time.sleep(0.3)
    assert http(mport) is None
    assert ntp_query("127.0.0.1", port) is not None  # the loop is not blocked
    # ... and the idle ones are cut after METRICS_TIMEOUT (10 s)
    start = time.monotonic()
    for s in idle:
        assert s.recv(10) == b""
    assert 8 < time.monotonic() - start < 14
    for s in idle:
        s.close()
    assert http(mport)[0] == "HTTP/1.0 200 OK"

    # Concurrent scrapers get whole, consistent answers.
    results, errors = [], []

    def scraper():
        try:
            for _ in range(20):
                r = http(mport)
                if r is not None:
                    parse_exposition(r[2])
                    results.append(r[0])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=scraper) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) >= 40 and set(results) == {"HTTP/1.0 200 OK"}
    assert d.alive()
