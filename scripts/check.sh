#!/bin/sh
# make check: installs missing packages (as root), then builds normally and with ASan+UBSan
# and runs every unit and integration test in both builds (the normal build's integration
# tests with TOCK_TEST_USER=nobody: privilege drop and seccomp under real traffic). Prints
# the runners' summary lines and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1

scripts/deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
status=0
summary=""

run_build() {
    label=$1
    shift
    echo "== $label: build"
    if ! make -j"$jobs" WERROR=1 "$@" all shim >/dev/null; then
        make WERROR=1 "$@" all shim 2>&1 | tail -n 30
        summary="$summary\n$label: BUILD FAILED"
        status=1
        return
    fi
    echo "== $label: unit tests"
    out=$(make -s WERROR=1 "$@" unit 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^unit test_.*: ok'
    line=$(printf '%s\n' "$out" | grep '^unit tests' | tail -n 1)
    summary="$summary\n$label: $line"
    [ $rc -eq 0 ] || status=1
    echo "== $label: integration tests${test_user:+ (every tockd drops root to $test_user, seccomp on)}"
    out=$(TOCK_TEST_USER="$test_user" make -s WERROR=1 "$@" integration 2>&1)
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '(passed|failed|error|skipped)' | tail -n 1)
    summary="$summary\n$label: integration: $line"
    [ $rc -eq 0 ] || status=1
}

# The normal build's integration pass runs every daemon as root dropping to an unprivileged
# user with the seccomp filter on (conftest.py, TOCK_TEST_USER), so the release build's
# filter and privilege drop are proven by the whole suite's traffic; the sanitizer pass runs
# the daemons as started (root, or the user a test names).
test_user=""
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null 2>&1; then
    test_user=nobody
fi
# The sources stay as .clang-format says (make format applies it).
echo "== format"
if make -s format-check >/dev/null 2>&1; then
    summary="$summary\nformat: clang-format clean"
else
    make -s format-check 2>&1 | grep -m 20 'warning:'
    summary="$summary\nformat: FAILED (run make format)"
    status=1
fi
run_build "normal build"
test_user=""
run_build "ASan+UBSan build" SAN=1 BUILD=build/asan

echo "== summary"
printf "$summary\n" | sed '/^$/d'
if [ $status -eq 0 ]; then
    echo "make check: all passed"
else
    echo "make check: FAILED"
fi
exit $status
