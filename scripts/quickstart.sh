#!/bin/sh
# make run: starts tockd in the foreground on its embedded quick-start configuration.
build=${1:-build}
dir=./run
cat <<MSG
tockd: serving this machine's clock (local stratum 10) on 127.0.0.1 and ::1 port 11123.
Query it from another terminal:
    $build/tockctl -h $(pwd)/run/tockd.sock tracking
    chronyd -x -Q -t 10 'server 127.0.0.1 port 11123 iburst'
    /usr/bin/python3 -c "import ntplib; print(ntplib.NTPClient().request('127.0.0.1', port=11123).offset)"
Stop it with Ctrl-C.
MSG
exec "$build/tockd" -d -x --quickstart="$dir"
