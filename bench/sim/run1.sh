#!/bin/bash
# One clknetsim run: chronyd -x server(s) and one tockd client. Uses an installed
# clknetsim (CLKNETSIM_PATH: the directory with the clknetsim binary and clknetsim.so, built
# from github.com/mlichvar/clknetsim); this script contains none of its code. Run it through
# safe.sh (no CAP_SYS_TIME, no network).
#
# This machine's safety rules forbid starting chronyd without -x, simulator or not, so
# chronyd only serves here (a server needs no clock control); the chronyd-as-client column
# of doc/accuracy.md comes from the evaluation's own runs of chrony, not from this script.
#
#   run1.sh tockd OUTDIR
#
# Environment (defaults = chrony's own simulation tests): JITTER (mean of the exponential
# one-way jitter, s; 1e-4), BASE (fixed one-way delay, s; 1e-4), WANDER (sd of the
# per-second frequency random-walk step; 1e-9), FREQ (initial frequency error; 1e-4),
# OFFSET (initial time error, s; 0.1), LIMIT (simulated seconds; 10000), RESET (start of
# the measured window, s; 2000), SERVERS (1), FALSE (how many of the servers are
# falsetickers, server i being i seconds off; 0), OUTAGE=from:to (link down between),
# UPDAY=up:period (link up only the first `up` s of every period), CLIENT_OPTS (options
# of the server lines), CLIENT_CONF (extra client directives), SEED (1).
set -u
daemon=$1 dir=$2
if [ "$daemon" != tockd ]; then
    echo "run1.sh: only tockd runs as the simulated client (chronyd needs clock control for" \
         "that, and is never started without -x here)" >&2
    exit 2
fi
CLKNETSIM_PATH=${CLKNETSIM_PATH:-/tmp/clknetsim}
TOCKD=${TOCKD:-$(cd "$(dirname "$0")/../.." && pwd)/build/tockd}
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}
JITTER=${JITTER:-1e-4} BASE=${BASE:-1e-4} WANDER=${WANDER:-1e-9} FREQ=${FREQ:-1e-4}
OFFSET=${OFFSET:-0.1} LIMIT=${LIMIT:-10000} RESET=${RESET:-2000} SERVERS=${SERVERS:-1}
FALSE=${FALSE:-0} CLIENT_OPTS=${CLIENT_OPTS:-} CLIENT_CONF=${CLIENT_CONF:-} SEED=${SEED:-1}
rm -rf "$dir"
mkdir -p "$dir"
n=$((SERVERS + 1))
c=$n

# A negative delay drops the packet: that is how outages are made.
drop=""
if [ -n "${OUTAGE:-}" ]; then
    of=${OUTAGE%:*} ot=${OUTAGE#*:}
    drop=" (* -1 (max (min (+ time -$of) 1) 0) (max (min (+ $ot (* -1 time)) 1) 0))"
fi
if [ -n "${UPDAY:-}" ]; then
    up=${UPDAY%:*} per=${UPDAY#*:}
    drop=" (* -1 (equal 0.1 (min (% time $per) $up) $up))"
fi
delay="(+ $BASE (* $JITTER (exponential))$drop)"
{
    for i in $(seq 1 $n); do
        for j in $(seq 1 $n); do
            [ $i -eq $j ] || echo "node${i}_delay${j} = $delay"
        done
    done
    for i in $(seq 1 $SERVERS); do
        [ $i -le $FALSE ] && echo "node${i}_offset = $i.0" || echo "node${i}_offset = 0.0"
    done
    echo "node${c}_freq = (+ $FREQ (sum (* $WANDER (normal))))"
    echo "node${c}_offset = $OFFSET"
} > "$dir/conf"

srvconf="local stratum 1
allow
pidfile $dir/pid.%N"
cliconf=""
for i in $(seq 1 $SERVERS); do cliconf+="server 192.168.123.$i $CLIENT_OPTS"$'\n'; done
cliconf+="pidfile $dir/pid.$c
$CLIENT_CONF"

pids=""
start() { # node daemon config
    local node=$1 bin=$2 conf=$3 args
    printf '%s\n' "${conf//%N/$node}" > "$dir/conf.$node"
    case $bin in
    chronyd) args=("$CHRONYD" -x -d -u root -f "$dir/conf.$node") ;;
    tockd) args=("$TOCKD" -d -f "$dir/conf.$node") ;;
    esac
    CLKNETSIM_RANDOM_SEED=$SEED LD_PRELOAD=$CLKNETSIM_PATH/clknetsim.so CLKNETSIM_NODE=$node \
        CLKNETSIM_SOCKET=$dir/sock "${args[@]}" > "$dir/log.$node" 2>&1 &
    pids+=" $!"
}
for i in $(seq 1 $SERVERS); do start $i chronyd "$srvconf"; done
start $c "$daemon" "$cliconf"
CLKNETSIM_RANDOM_SEED=$SEED "$CLKNETSIM_PATH/clknetsim" -s "$dir/sock" -o "$dir/log.offset" \
    -f "$dir/log.freq" -p "$dir/log.packets" -r "$RESET" -l "$LIMIT" "$dir/conf" $n \
    > "$dir/stats" 2> "$dir/log"
rc=$?
# The simulator ends every client with SIGTERM; wait for them (3 s at most), by PID.
for p in $pids; do
    for k in $(seq 30); do kill -0 $p 2> /dev/null || break; sleep 0.1; done
    kill $p 2> /dev/null
done
exit $rc
