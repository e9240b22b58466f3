#!/bin/bash
# batch.sh NAME SEEDS [VAR=VALUE...]: runs tockd as the client for seeds 1..SEEDS (two at
# a time) in a scenario and prints the means (chronyd as a client needs clock control,
# which this machine's safety rules forbid: see run1.sh).
# Results go to $OUT/NAME (default /tmp/tock-sim/NAME).
here=$(cd "$(dirname "$0")" && pwd)
name=$1 seeds=$2
shift 2
out=${OUT:-/tmp/tock-sim}/$name
mkdir -p "$out"
for s in $(seq 1 "$seeds"); do echo "tockd $s"; done |
    xargs -P 2 -L 1 env "$@" bash -c '
        d=$0 s=$1
        SEED=$s '"$here"'/safe.sh '"$here"'/run1.sh $d '"$out"'/$d.$s > /dev/null 2>&1 ||
            echo "FAILED: $d seed $s" >&2
        '"$here"'/summ.sh '"$out"'/$d.$s > '"$out"'/$d.$s.sum'
for d in tockd; do
    cat "$out"/$d.*.sum | sed 's/[a-z]*=//g' | awk -v d=$d -v n="$name" '
        { r += $2; m += $3; if ($3 > mx) mx = $3; f += $4; p += $6; k++ }
        END { printf "%-14s %-7s rms %8.1f us  mean max %8.1f us  max %8.1f us  freq %7.4f ppm  %5.2f req/h  (%d seeds)\n",
              n, d, r / k * 1e6, m / k * 1e6, mx * 1e6, f / k * 1e6, p / k, k }'
done
