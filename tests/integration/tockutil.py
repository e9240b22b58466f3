"""Small NTP helpers for the integration tests (no dependency beyond the standard library)."""
import re
import socket
import struct
import time

NTP_EPOCH = 2208988800


def to_ntp(t):
    sec = int(t)
    frac = int((t - sec) * 2**32) & 0xFFFFFFFF
    return ((sec + NTP_EPOCH) & 0xFFFFFFFF) << 32 | frac


def from_ntp(v):
    return (v >> 32) - NTP_EPOCH + (v & 0xFFFFFFFF) / 2**32


def request(version=4, mode=3, poll=6, transmit=None):
    if transmit is None:
        transmit = to_ntp(time.time())
    first = (0 << 6) | (version << 3) | mode
    return struct.pack(">BBbb", first, 0, poll, -20) + b"\0" * 36 + struct.pack(">Q", transmit)


def parse(data):
    first, stratum, poll, precision = struct.unpack(">BBbb", data[:4])
    root_delay, root_disp, refid = struct.unpack(">III", data[4:16])
    ref, org, rx, tx = struct.unpack(">QQQQ", data[16:48])
    return {
        "leap": first >> 6, "version": (first >> 3) & 7, "mode": first & 7,
        "stratum": stratum, "poll": poll, "precision": precision,
        "root_delay": root_delay / 65536.0, "root_dispersion": root_disp / 65536.0,
        "refid": refid, "ref": ref, "origin": org, "receive": rx, "transmit": tx,
        "length": len(data),
    }


def exchange(addr, port, payload, timeout=1.0):
    """Sends payload, returns the reply bytes or None after timeout."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(payload, (addr, port))
        try:
            data, _ = s.recvfrom(4096)
            return data
        except socket.timeout:
            return None


def ntp_query(addr, port, version=4, poll=6, timeout=1.0):
    """One client exchange; returns the parsed reply plus offset and delay, or None."""
    t1 = time.time()
    req = request(version=version, poll=poll, transmit=to_ntp(t1))
    reply = exchange(addr, port, req, timeout)
    t4 = time.time()
    if reply is None:
        return None
    r = parse(reply)
    t2, t3 = from_ntp(r["receive"]), from_ntp(r["transmit"])
    r["offset"] = ((t2 - t1) + (t3 - t4)) / 2
    r["delay"] = (t4 - t1) - (t3 - t2)
    r["sent_transmit"] = struct.unpack(">Q", req[40:48])[0]
    return r


def drop_nscd_probes(trace):
    """An strace -f log without glibc's probes of nscd: getpwnam() and friends first try
    nscd's socket (SOCK_NONBLOCK, through libc-internal calls) before reading /etc/passwd.
    tockd looks users up (the privilege drop, -Q's file checks); the probe sends nothing
    anywhere, and under the simulator getpwnam() is faked so it never happens there."""
    lines = trace.splitlines(keepends=True)
    drop = set()
    for i, line in enumerate(lines):
        m = re.match(r"^(\d+)\s+socket\(AF_UNIX, SOCK_STREAM\|SOCK_CLOEXEC\|SOCK_NONBLOCK, 0\)"
                     r" = (\d+)$", line.rstrip("\n"))
        if not m:
            continue
        pid, fd = m.groups()
        later = [j for j in range(i + 1, len(lines)) if re.match(rf"^{pid}\s", lines[j])]
        if later and re.match(rf'^{pid}\s+connect\({fd}, \{{sa_family=AF_UNIX, '
                              r'sun_path="/var/run/nscd/socket"\}', lines[later[0]]):
            drop.update((i, later[0]))
            if len(later) > 1 and re.match(rf"^{pid}\s+close\({fd}\)", lines[later[1]]):
                drop.add(later[1])
    return "".join(line for i, line in enumerate(lines) if i not in drop)


def wait_until(predicate, timeout, step=0.2):
    """Calls predicate until it returns a true value or `timeout` seconds have passed;
    returns its last value (one more call at the deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()
