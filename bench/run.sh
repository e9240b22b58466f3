#!/bin/sh
# make bench: serving throughput of tockd against chronyd -x, configured alike, on loopback,
# in one run. Prints replies per second for each, their ratio, and each one's peak RSS.
# Server pinned to CPU 0, load generator to CPU 1 (2-core machines); bounded duration.
#
# Environment: BENCH_SECONDS (default 5), BENCH_SOCKETS (64), BENCH_WINDOW (4),
# BENCH_EXTRA_CONF (lines added to both configurations, e.g. a ratelimit),
# BENCH_ROUNDS (default 3: servers measured alternately, the median is reported),
# BENCH_MODE (closed, the default: every reply answered with a new request; flood: open
# loop, the generator keeps sending whatever the server answers - the way to measure a
# server that drops most requests, as with rate limiting).
#
# Besides replies/s, each run reads the server's own "NTP packets received" counter and
# its CPU time (user + system, /proc/PID/stat) around the load: "handled/s" is requests the
# server processed per second (answered, rate-limited or refused) and "us/req" the CPU
# microseconds it spent per processed request - the cost of a request whatever happens to
# it, and less sensitive to other load on the machine than throughput.
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
seconds=${BENCH_SECONDS:-5}
sockets=${BENCH_SOCKETS:-64}
window=${BENCH_WINDOW:-4}
rounds=${BENCH_ROUNDS:-3}
extra=${BENCH_EXTRA_CONF:-}
mode=${BENCH_MODE:-closed}
case "$mode" in
closed) load_opt="" ;;
flood) load_opt="-f" ;;
*)
    echo "BENCH_MODE must be closed or flood" >&2
    exit 2
    ;;
esac

mkdir -p "$build/bench"
cc -O2 -Wall -Wextra -o "$build/bench/ntpload" bench/ntpload.c || exit 1
work=$(mktemp -d /tmp/tock-bench.XXXXXX)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

. bench/common.sh

common_conf() {
    printf 'port %s\nbindaddress 127.0.0.1\nallow 127.0.0.0/8\nlocal stratum 10\ncmdport 0\n' "$1"
    printf 'bindcmdaddress %s/%s.sock\npidfile %s/%s.pid\n' "$work" "$2" "$work" "$2"
    [ -n "$extra" ] && printf '%s\n' "$extra"
}

# start NAME: starts the server pinned to CPU 0; sets server_pid and port.
start() {
    port=$(free_port)
    if [ "$1" = tockd ]; then
        common_conf "$port" tockd >"$work/tockd.conf"
        $(pin 0) "$build/tockd" -d -x -u "$(id -un)" -f "$work/tockd.conf" 2>"$work/tockd.log" &
    else
        common_conf "$port" chronyd >"$work/chronyd.conf"
        echo "dumpdir $work" >>"$work/chronyd.conf"
        # -x: chronyd never touches the clock; -u root: no privilege drop in a temp dir.
        $(pin 0) chronyd -x -u root -d -f "$work/chronyd.conf" 2>"$work/chronyd.log" &
    fi
    server_pid=$!
    # The server must answer at all (and be the one on this port) before the run; on a
    # busy machine start-up can take a few seconds.
    tries=0
    while :; do
        sleep 0.5
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$work/$1.log"
            exit 1
        fi
        if $(pin 1) "$build/bench/ntpload" -a 127.0.0.1 -p "$port" -s 4 -w 1 -d 0.3 |
            grep -qv 'replies=0 '; then
            break
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 20 ]; then
            echo "$1 does not answer on port $port" >&2
            exit 1
        fi
    done
}

stop() {
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null
    server_pid=""
}

# received NAME: the server's "NTP packets received" (its serverstats, over its Unix socket).
received() {
    if [ "$1" = tockd ]; then
        "$build/tockctl" -c -h "$work/tockd.sock" serverstats | cut -d, -f1
    else
        chronyc -c -h "$work/chronyd.sock" serverstats | cut -d, -f1
    fi
}

# cpu_ticks: user + system clock ticks of the server so far.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$server_pid/stat"
}

# measure NAME: one run; appends "rate rss handled_per_s us_per_req" to $work/NAME.results
measure() {
    start "$1"
    rx0=$(received "$1")
    cpu0=$(cpu_ticks)
    t0=$(date +%s.%N)
    out=$($(pin 1) "$build/bench/ntpload" -a 127.0.0.1 -p "$port" -s "$sockets" -w "$window" \
        -d "$seconds" $load_opt)
    t1=$(date +%s.%N)
    cpu1=$(cpu_ticks)
    rx1=$(received "$1")
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
    stop
    rate=$(echo "$out" | sed -n 's/.*rate=\([0-9]*\).*/\1/p')
    cost=$(awk -v r0="$rx0" -v r1="$rx1" -v c0="$cpu0" -v c1="$cpu1" -v hz="$(getconf CLK_TCK)" \
        -v t0="$t0" -v t1="$t1" 'BEGIN {
            n = r1 - r0; if (n < 1) n = 1
            printf "%.0f %.2f", n / (t1 - t0), (c1 - c0) / hz * 1e6 / n }')
    echo "  $1: $out peak_rss_kb=$rss handled_per_s=${cost% *} cpu_us_per_req=${cost#* }"
    echo "$rate $rss $cost" >>"$work/$1.results"
}

median() {
    sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

servers="tockd"
command -v chronyd >/dev/null 2>&1 && servers="tockd chronyd"
echo "make bench: $rounds rounds of ${seconds}s, $sockets client sockets x window $window" \
    "($mode loop)"
[ -n "$extra" ] && echo "extra configuration: $extra"
i=0
while [ $i -lt "$rounds" ]; do
    for s in $servers; do
        measure "$s"
    done
    i=$((i + 1))
done

echo
printf '%-10s %14s %14s %14s %10s\n' server "replies/s" "peak RSS kB" "handled/s" "us/req"
for s in $servers; do
    rate=$(cut -d' ' -f1 "$work/$s.results" | median)
    rss=$(cut -d' ' -f2 "$work/$s.results" | median)
    handled=$(cut -d' ' -f3 "$work/$s.results" | median)
    cost=$(cut -d' ' -f4 "$work/$s.results" | median)
    printf '%-10s %14s %14s %14s %10s\n' "$s" "$rate" "$rss" "$handled" "$cost"
    eval "${s}_rate=$rate ${s}_rss=$rss ${s}_cost=$cost"
done
if [ -n "${chronyd_rate:-}" ]; then
    awk -v t="$tockd_rate" -v c="$chronyd_rate" -v tr="$tockd_rss" -v cr="$chronyd_rss" \
        'BEGIN { printf "ratio tockd/chronyd: throughput %.2f, peak RSS %.2f", t / c, tr / cr }'
    awk -v t="$tockd_cost" -v c="$chronyd_cost" 'BEGIN { printf ", CPU per request %.2f\n", t / c }'
else
    echo "chronyd not installed: no comparison"
fi

# NTS: NTS-protected replies/s, NTS-KE CPU per handshake, handshakes/s (bench/nts.sh).
if [ "${BENCH_NTS:-1}" != 0 ]; then
    trap - EXIT INT TERM
    cleanup
    sh bench/nts.sh "$build"
fi
