#!/bin/sh
# Runs the integration tests (pytest from Debian) against the build in $TOCK_BUILD.
# Several tests need root (network namespaces, port 123): as non-root they are skipped
# with a reason.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${TOCK_BUILD:=$(pwd)/build}"
export TOCK_BUILD
if [ "${TOCK_SAN:-0}" = 1 ]; then
    # LeakSanitizer checks every tockd at exit, after the privilege drop and under the
    # seccomp filter (sanitizer builds only: harden.c and sandbox.c let its tracer work).
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs tests/integration "$@"
