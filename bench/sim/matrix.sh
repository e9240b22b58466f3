#!/bin/bash
# The scenarios of doc/accuracy.md ("tockd vs chronyd under clknetsim"), tockd side. S seeds each.
here=$(cd "$(dirname "$0")" && pwd)
S=${S:-10}
L="LIMIT=100000 RESET=10000"
b() { "$here/batch.sh" "$@"; }
b jitter-10us $S $L JITTER=1e-5
b jitter-100us $S $L JITTER=1e-4
b jitter-1ms $S $L JITTER=1e-3
b jitter-10ms $S $L JITTER=1e-2
b wander-1e-8 $S $L JITTER=1e-4 WANDER=1e-8
b wander-1e-7 $S $L JITTER=1e-4 WANDER=1e-7
b false-3-1 $S $L JITTER=1e-4 SERVERS=3 FALSE=1
b false-5-2 $S $L JITTER=1e-4 SERVERS=5 FALSE=2
b outage-3h $S $L JITTER=1e-4 OUTAGE=40000:50800
b up-30min-day $S LIMIT=432000 RESET=86400 JITTER=1e-4 UPDAY=1800:86400
