"""Helpers for the access-control, rate-limiting and key tests: tockctl/chronyc reports
over tockd's Unix socket, tockd's exit summary of silent drops, raw NTP and chronyc
command packets, keyfiles in chrony's and ntpd's formats.

Reports are always requested with -n: the addresses in these tests exist only inside the
tests' namespaces, and a reverse lookup would leave the machine.
"""
import json
import os
import re
import socket
import struct
import subprocess

from conftest import TOCKCTL
from tockutil import wait_until  # noqa: F401  (re-exported for the tests)

CHRONYC = "/usr/bin/chronyc"


def tockctl(sock, *args, timeout=15):
    return subprocess.run([str(TOCKCTL), "-n", "-h", str(sock), *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


def tockctl_json(sock, *args):
    r = tockctl(sock, "-j", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def serverstats(sock):
    return tockctl_json(sock, "serverstats")


def clients(sock):
    """{address: client entry} from `tockctl -j clients`."""
    return {c["address"]: c for c in tockctl_json(sock, "clients")["clients"]}


def chronyc(sock_or_host, *args, port=None, timeout=30):
    host = ["-h", str(sock_or_host)] + (["-p", str(port)] if port else [])
    return subprocess.run([CHRONYC, "-n", *host, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def chronyc_clients_csv(sock):
    """{address: [fields...]} from the real chronyc's `clients` in CSV form: address, NTP
    hits, drops, interval, IntL, last, cmd hits, drops, interval, last."""
    r = chronyc(sock, "-c", "clients")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = {}
    for line in r.stdout.strip().splitlines():
        f = line.split(",")
        rows[f[0]] = f
    return rows


DROP_SUMMARY = re.compile(r"NTP server: (\d+) received, (\d+) rate-limited; silently dropped: "
                          r"(.*)$", re.M)


def drop_summary(log_text):
    """The counters of tockd's exit line about the NTP server: {"received": N,
    "rate_limited": N, reason: N...} (reasons as in server_stats.h)."""
    m = DROP_SUMMARY.search(log_text)
    assert m, f"no NTP server summary in the log:\n{log_text}"
    out = {"received": int(m.group(1)), "rate_limited": int(m.group(2))}
    for item in m.group(3).split():
        name, value = item.split("=")
        out[name] = int(value)
    return out


# ---- chronyc's command protocol (inventory 3.3-3.9) ----

REQ_TRACKING = 33
TRACKING_REQUEST_LEN = 104


def candm_request(command, length, sequence, version=6):
    """A request header padded with zeros to `length` bytes (the reply's length)."""
    head = struct.pack(">BBBBHHIII", version, 1, 0, 0, command, 0, sequence, 0, 0)
    return head + b"\0" * (length - len(head))


def candm_burst(server, port, n, source=None, timeout=1.0):
    """Sends n TRACKING requests at once from one socket; returns the sequences answered
    with status 0 (the replies that came back within `timeout` after the last one)."""
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    answered = set()
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        if source:
            s.bind((source, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        for seq in range(1, n + 1):
            s.sendto(candm_request(REQ_TRACKING, TRACKING_REQUEST_LEN, seq), (server, port))
        s.settimeout(timeout)
        try:
            while True:
                data = s.recv(2048)
                if len(data) >= 28 and data[1] == 2:
                    status = struct.unpack(">H", data[8:10])[0]
                    seq = struct.unpack(">I", data[16:20])[0]
                    if status == 0:
                        answered.add(seq)
        except socket.timeout:
            pass
    return answered


# ---- keys ----

# ntpsec's names (ntp.keys(5)): OpenSSL digest names, and AES128CMAC for AES-128-CMAC
# (ntpsec has no AES-256 CMAC).
NTPD_TYPE = {"MD5": "MD5", "SHA1": "SHA1", "SHA256": "SHA256", "SHA384": "SHA384",
             "SHA512": "SHA512", "AES128": "AES128CMAC", "AES256": "AES256CMAC"}


def write_keyfiles(directory, keys):
    """keys: [(id, type, key bytes)]. Writes chrony.keys in chrony's format (`ID TYPE
    HEX:KEY`, mode 0640) and ntp.keys in ntpd/ntpsec's (`ID TYPE KEY`: no HEX: prefix -
    ntpsec reads a key longer than 20 characters as hex, so keys here must be at least 11
    bytes - and its own type names). Returns both paths."""
    chrony = os.path.join(directory, "chrony.keys")
    ntpd = os.path.join(directory, "ntp.keys")
    with open(chrony, "w", encoding="ascii") as f:
        for kid, ktype, key in keys:
            f.write(f"{kid} {ktype} HEX:{key.hex().upper()}\n")
    with open(ntpd, "w", encoding="ascii") as f:
        for kid, ktype, key in keys:
            assert len(key) >= 11, "ntpsec would read a short hex key as ASCII"
            f.write(f"{kid} {NTPD_TYPE[ktype]} {key.hex()}\n")
    os.chmod(chrony, 0o640)
    os.chmod(ntpd, 0o600)
    return chrony, ntpd
