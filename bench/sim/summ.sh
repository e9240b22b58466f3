#!/bin/bash
# summ.sh OUTDIR: one line for the client node of a run1.sh run: RMS and maximum time
# error and RMS frequency error over the measured window (clknetsim's statistics), and
# the client's requests over the whole run (from clknetsim's packet log).
dir=$1
node=$(awk 'END {print NF}' "$dir/log.offset")
st() { grep "^$1:" "$dir/stats" | cut -f2 | sed -n "${node}p"; }
pk=$(awk -v n="$node" '$2 == n' "$dir/log.packets" | wc -l)
secs=$(wc -l < "$dir/log.offset")
printf "%s rms=%s max=%s rmsfreq=%s pkts=%d perhour=%.2f\n" "$(basename "$dir")" \
    "$(st 'RMS offset')" "$(st 'Maximum absolute offset')" "$(st 'RMS frequency')" "$pk" \
    "$(echo "$pk * 3600 / $secs" | bc -l)"
