"""A tiny NTP packet recorder for tests (no tcpdump on the test machines).

    ip netns exec NS /usr/bin/python3 ntpsniff.py IFACE OUTFILE SECONDS

Captures IPv4 UDP packets to or from port 123 on IFACE (an interface inside the test's
namespace: a veth end) for at most SECONDS, and writes one JSON object per packet to
OUTFILE: monotonic time, direction ("in" or "out" as seen from IFACE's host), addresses,
ports and the NTP header fields a test needs. Bounded in time and in packets (10000).
"""
import json
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def parse(frame):
    if len(frame) < 14 + 20 or struct.unpack(">H", frame[12:14])[0] != 0x0800:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17 or len(ip) < ihl + 8 + 48:
        return None
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
    if 123 not in (sport, dport):
        return None
    ntp = ip[ihl + 8:]
    first, stratum, poll = ntp[0], ntp[1], struct.unpack(">b", ntp[2:3])[0]
    refid, = struct.unpack(">I", ntp[12:16])
    origin, receive, transmit = struct.unpack(">QQQ", ntp[24:48])
    return {"src": src, "dst": dst, "sport": sport, "dport": dport,
            "leap": first >> 6, "version": (first >> 3) & 7, "mode": first & 7,
            "stratum": stratum, "poll": poll, "refid": refid, "origin": origin,
            "receive": receive, "transmit": transmit, "length": len(ntp)}


def main():
    iface, out_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    end = time.monotonic() + min(seconds, 600)
    n = 0
    with open(out_path, "w", encoding="ascii") as out:
        print("ready", flush=True)
        while n < 10000:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                frame, addr = s.recvfrom(65535)
            except socket.timeout:
                break
            rec = parse(frame)
            if rec is None:
                continue
            rec["t"] = time.monotonic()
            rec["dir"] = "out" if addr[2] == PACKET_OUTGOING else "in"
            out.write(json.dumps(rec) + "\n")
            out.flush()
            n += 1


if __name__ == "__main__":
    main()
