#!/bin/sh
# make bench, NTS part (called by bench/run.sh): tockd and chronyd -x as NTS servers,
# configured alike, on loopback, in one run. For each server:
#   - NTS-protected replies per second: one NTS request (228 bytes, a cookie from a real
#     NTS-KE) replayed by bench/ntpload -n (both servers accept a reused cookie), next to
#     the plain rate on the same harness;
#   - NTS-KE server CPU per handshake: utime+stime of the main process and its helpers
#     (/proc/PID/stat) over BENCH_HANDSHAKES full TLS 1.3 exchanges;
#   - handshakes per second with 1 and 2 helper processes (informational: on 2 cores the
#     client, pinned to the other CPU, cannot saturate the server).
# Server on CPU 0, load on CPU 1. Bounded: every run has a fixed count or duration.
#
# Environment: BENCH_SECONDS (5), BENCH_SOCKETS (64), BENCH_WINDOW (4),
# BENCH_HANDSHAKES (1000), BENCH_KE_PARALLEL (4), BENCH_ROUNDS (3: servers measured
# alternately, the median of each figure is reported).
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
seconds=${BENCH_SECONDS:-5}
sockets=${BENCH_SOCKETS:-64}
window=${BENCH_WINDOW:-4}
handshakes=${BENCH_HANDSHAKES:-1000}
parallel=${BENCH_KE_PARALLEL:-4}
rounds=${BENCH_ROUNDS:-3}

command -v openssl >/dev/null 2>&1 || { echo "NTS bench: openssl not installed; skipped"; exit 0; }
mkdir -p "$build/bench"
cc -O2 -Wall -Wextra -o "$build/bench/ntpload" bench/ntpload.c || exit 1
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$build/bench/nts_probe" tests/integration/nts_probe.c \
    "$build/libtockd.a" "$build/libtock.a" -lssl -lcrypto -lnettle -lm || exit 1
work=$(mktemp -d /tmp/tock-ntsbench.XXXXXX)
chmod 700 "$work"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sh tests/certs/make-test-certs.sh "$work/certs" >/dev/null 2>&1 || { echo "cannot make certs"; exit 1; }
probe="$build/bench/nts_probe"
clk_tck=$(getconf CLK_TCK)

. bench/common.sh

# start NAME HELPERS: the server on CPU 0; sets server_pid, port, ke_port.
start() {
    port=$(free_port)
    ke_port=$(free_port)
    dump="$work/$1-dump"
    mkdir -p "$dump"
    conf="$work/$1.conf"
    {
        printf 'port %s\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 10\n' "$port"
        printf 'cmdport 0\nbindcmdaddress %s/%s.sock\npidfile %s/%s.pid\n' "$work" "$1" "$work" "$1"
        printf 'ntsservercert %s/certs/server.pem\nntsserverkey %s/certs/server.key\n' "$work" "$work"
        printf 'ntsport %s\nntsprocesses %s\nntsdumpdir %s\n' "$ke_port" "$2" "$dump"
    } >"$conf"
    if [ "$1" = tockd ]; then
        # -n (not -d): -d is the single-process mode, which has no helper processes.
        $(pin 0) "$build/tockd" -n -x -u "$(id -un)" -l "$work/tockd.log" -f "$conf" 2>>"$work/tockd.log" &
    else
        $(pin 0) chronyd -x -u root -d -f "$conf" 2>"$work/chronyd.log" &
    fi
    server_pid=$!
    tries=0
    while ! "$probe" keload 127.0.0.1 "$ke_port" localhost "$work/certs/ca.pem" 1 1 \
        >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -gt 50 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "$1 does not serve NTS-KE on port $ke_port" >&2
            cat "$work/$1.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

stop() {
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null
    server_pid=""
}

# CPU ticks (user + system) of the server and its child processes (helpers).
cpu_ticks() {
    total=0
    for p in "$server_pid" $(pgrep -P "$server_pid"); do
        t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "$total"
}

rate_of() { sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }

median() {
    sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# measure NAME: one round; appends "plain nts cpu ke1 ke2" to $work/NAME.results
measure() {
    s=$1
    start "$s" 1
    plain=$($(pin 1) "$build/bench/ntpload" -a 127.0.0.1 -p "$port" -s "$sockets" -w "$window" \
        -d "$seconds" | rate_of)
    "$probe" request 127.0.0.1 "$ke_port" localhost "$work/certs/ca.pem" "$work/$s.req" \
        >/dev/null || { echo "$s: no NTS request"; exit 1; }
    nts=$($(pin 1) "$build/bench/ntpload" -a 127.0.0.1 -p "$port" -s "$sockets" -w "$window" \
        -d "$seconds" -n "$work/$s.req" | rate_of)
    before=$(cpu_ticks)
    ke1=$($(pin 1) "$probe" keload 127.0.0.1 "$ke_port" localhost "$work/certs/ca.pem" \
        "$handshakes" "$parallel" | rate_of)
    after=$(cpu_ticks)
    stop
    start "$s" 2
    ke2=$($(pin 1) "$probe" keload 127.0.0.1 "$ke_port" localhost "$work/certs/ca.pem" \
        "$handshakes" "$parallel" | rate_of)
    stop
    cpu_ms=$(awk -v t=$((after - before)) -v h="$handshakes" -v c="$clk_tck" \
        'BEGIN { printf "%.3f", t * 1000 / c / h }')
    echo "  $s: plain=$plain/s nts=$nts/s ke_cpu=${cpu_ms}ms ke_rate_1helper=$ke1/s" \
        "ke_rate_2helpers=$ke2/s"
    echo "$plain $nts $cpu_ms $ke1 $ke2" >>"$work/$s.results"
}

echo
echo "make bench (NTS): $rounds rounds; ${seconds}s NTP runs, $sockets sockets x window" \
    "$window; $handshakes NTS-KE handshakes, $parallel at a time"
servers="tockd"
command -v chronyd >/dev/null 2>&1 && servers="tockd chronyd"
i=0
while [ $i -lt "$rounds" ]; do
    for s in $servers; do
        measure "$s"
    done
    i=$((i + 1))
done

echo
printf '%-9s %12s %12s %9s %14s %12s %12s\n' server "plain/s" "NTS/s" "NTS/plain" \
    "KE CPU ms/hs" "KE/s 1 hlp" "KE/s 2 hlp"
for s in $servers; do
    p=$(cut -d' ' -f1 "$work/$s.results" | median)
    n=$(cut -d' ' -f2 "$work/$s.results" | median)
    c=$(cut -d' ' -f3 "$work/$s.results" | median)
    k1=$(cut -d' ' -f4 "$work/$s.results" | median)
    k2=$(cut -d' ' -f5 "$work/$s.results" | median)
    eval "${s}_nts=$n ${s}_cpu=$c"
    awk -v s="$s" -v p="$p" -v n="$n" -v c="$c" -v k1="$k1" -v k2="$k2" \
        'BEGIN { printf "%-9s %12d %12d %9.2f %14.3f %12d %12d\n", s, p, n, n / p, c, k1, k2 }'
done
if [ -n "${chronyd_nts:-}" ]; then
    awk -v tn="$tockd_nts" -v cn="$chronyd_nts" -v tc="$tockd_cpu" -v cc="$chronyd_cpu" \
        'BEGIN { printf "ratio tockd/chronyd: NTS replies/s %.2f, NTS-KE CPU per handshake %.2f\n",
                 tn / cn, tc / cc }'
fi
