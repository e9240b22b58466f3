#!/bin/sh
# make fuzz: builds every tests/fuzz/fuzz_*.c as a libFuzzer target (clang, ASan+UBSan)
# against the pure modules, and runs each for SECONDS on a scratch copy of its committed
# corpus (tests/fuzz/corpus/NAME). Fails on the first crash, leak or timeout.
set -u
cd "$(dirname "$0")/.." || exit 1
seconds=${1:-30}
out=build/fuzz
mkdir -p "$out/obj"
CC=${FUZZ_CC:-clang}
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"

pure=$(ls src/util/*.c src/proto/*.c src/conf/*.c src/sync/*.c src/serve/*.c src/crypto/*.c \
       src/monitor/*.c src/ops/*.c 2>/dev/null)
objs=""
for src in $pure; do
    obj="$out/obj/$(echo "$src" | tr / _).o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" | head -n 1)" ]; then
        $CC $CFLAGS -c "$src" -o "$obj" || exit 1
    fi
    objs="$objs $obj"
done

status=0
for target in tests/fuzz/fuzz_*.c; do
    [ -f "$target" ] || continue
    name=$(basename "$target" .c)
    name=${name#fuzz_}
    bin="$out/fuzz_$name"
    $CC $CFLAGS -fsanitize=fuzzer "$target" $objs -o "$bin" -lssl -lcrypto -lnettle -lm || {
        status=1
        continue
    }
    work="$out/corpus-$name"
    rm -rf "$work"
    mkdir -p "$work"
    [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
    echo "== fuzz $name for ${seconds}s"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/$name-" "$work" >"$out/$name.log" 2>&1; then
        grep -E '^(#[0-9]+\s+DONE|Done)' "$out/$name.log" | tail -n 1
        echo "fuzz $name: ok ($(ls "$work" | wc -l) corpus entries)"
    else
        tail -n 40 "$out/$name.log"
        echo "fuzz $name: FAILED (artifacts in $out/$name-*)"
        status=1
    fi
done
exit $status
