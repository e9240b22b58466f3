#!/bin/sh
# Runs every cmocka unit-test program given on the command line, prints each one's summary
# line and a total, and exits non-zero if any failed.
build=$1
shift
pass=0
fail=0
failed=""
for t in "$@"; do
    name=$(basename "$t")
    out=$("$t" 2>&1)
    rc=$?
    summary=$(printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED)  \]' | tr '\n' ' ')
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "unit $name: ok $summary"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        printf '%s\n' "$out" | tail -n 40
        echo "unit $name: FAILED (exit $rc) $summary"
    fi
done
echo "unit tests ($build): $pass programs passed, $fail failed${failed:+:$failed}"
[ $fail -eq 0 ]
