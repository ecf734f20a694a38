#!/usr/bin/env bash
# Fuzzes Spindle's decoders with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGETs default to all of them (the executable
# targets of Fuzz/Package.swift). Builds the Fuzz package (scratch path Fuzz/.build),
# then runs each target in turn over its working corpus Fuzz/corpus-<TARGET>/ (not
# committed), which starts from the checked-in seeds in Fuzz/Corpus/<TARGET>/ and keeps
# what fuzzing adds. Prints, for each target, the executions and whether it crashed; a
# crash (a trap, a sanitizer report, an input that runs over 60 s or 2 GiB) keeps its
# input in Fuzz/crashes/<TARGET>/ and its log in Fuzz/logs/<TARGET>.log (both ignored by
# git), prints what went wrong with the stack, and makes the script exit 1. Reproduce one
# with Swift's backtrace:
#
#   SWIFT_BACKTRACE=enable=yes Fuzz/.build/release/<TARGET> Fuzz/crashes/<TARGET>/crash-<sha1>
#
# (AddressSanitizer may then report an "unknown-crash" inside the backtracer's own
# CrashHandlerLinux.cpp after the backtrace: that is the backtracer reading memory, not
# a second bug.)
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(FuzzOTLPProtobuf FuzzOTLPProtobufResponse FuzzOTLPJSON FuzzZipkinJSON FuzzJSONReader FuzzWALSegment FuzzBlock FuzzTraceQL FuzzQueryRegex)

seconds=60
if [[ $# -gt 0 ]]; then
    seconds=$1
    shift
fi
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz.sh: SECONDS_PER_TARGET must be a positive whole number, got '$seconds'" >&2
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (targets: ${all_targets[*]})" >&2
    exit 2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
    if ! [[ " ${all_targets[*]} " == *" $target "* ]]; then
        echo "fuzz.sh: unknown target '$target'; the targets are: ${all_targets[*]}" >&2
        exit 2
    fi
done

# Every module, Spindle's included, is built with libFuzzer's coverage instrumentation and
# AddressSanitizer. `--sanitize=fuzzer` makes SwiftPM link libFuzzer's `main` (instead of
# renaming the target's own); the sanitizers themselves come from `-Xswiftc
# -sanitize=fuzzer,address`, because swiftc keeps only the last `-sanitize=` it is given,
# so `--sanitize=fuzzer --sanitize=address` silently builds without coverage.
# `-assert-config Debug` keeps `assert` on in the optimized build, so the encoders'
# size-pass checks trap too.
build=(swift build --package-path Fuzz --scratch-path Fuzz/.build -c release --sanitize=fuzzer
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -assert-config -Xswiftc Debug)
echo "== building: ${build[*]}"
"${build[@]}"
bin=$("${build[@]}" --show-bin-path)

# Swift's crash backtracer would take SIGILL (what a Swift trap raises) before libFuzzer
# can, and libFuzzer leaves a handler it finds in place: the process would die without
# the crash input being saved. With it off, libFuzzer saves the input and prints the
# stack (demangled below). Rerun a crash input by hand to get Swift's own backtrace.
export SWIFT_BACKTRACE=enable=no

demangle() {
    if swift demangle --help >/dev/null 2>&1; then swift demangle --simplified; else cat; fi
}

mkdir -p Fuzz/logs
crashed=()
summary=()
for target in "${targets[@]}"; do
    corpus=Fuzz/corpus-$target
    crashes=Fuzz/crashes/$target
    log=Fuzz/logs/$target.log
    mkdir -p "$corpus" "$crashes"
    # Seed the working corpus; files already there (same name) are left alone.
    cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    dict=()
    if [[ -f Fuzz/Dictionaries/$target.dict ]]; then
        dict=(-dict=Fuzz/Dictionaries/$target.dict)
    fi
    before=$(find "$crashes" -type f | sort)

    echo "== $target: ${seconds}s over $corpus ($(find "$corpus" -type f | wc -l) inputs)"
    status=0
    "$bin/$target" "$corpus" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=60 \
        -artifact_prefix="$crashes/" -print_final_stats=1 "${dict[@]}" \
        >"$log" 2>&1 || status=$?

    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [[ -z $executions ]]; then
        # A crash ends the run before the final stats; take the last progress line.
        executions=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    fi
    new_artifacts=$(comm -13 <(echo "$before") <(find "$crashes" -type f | sort) | sed '/^$/d')
    if [[ $status -ne 0 || -n $new_artifacts ]]; then
        crashed+=("$target")
        summary+=("$(printf '%-26s %12s executions  CRASH (exit %s)' "$target" "${executions:-?}" "$status")")
        echo "!! $target crashed (exit $status); log: $log"
        for artifact in $new_artifacts; do
            echo "!! input: $artifact ($(wc -c <"$artifact") bytes)"
            echo "!! reproduce: SWIFT_BACKTRACE=enable=yes $bin/$target $artifact"
        done
        # The report: from the first line saying what went wrong, with the stack.
        first=$(grep -n -m1 -E 'FINDING|Fatal error|Fatal access|Simultaneous accesses|^==[0-9]+==ERROR|ERROR: libFuzzer|deadly signal' "$log" | cut -d: -f1 || true)
        sed -n "${first:-1},\$p" "$log" | head -80 | demangle
    elif grep -q 'Is the code instrumented for coverage' "$log"; then
        # libFuzzer fuzzing blind: no instrumentation, or every seed is rejected.
        echo "fuzz.sh: $target saw no coverage at all: built without instrumentation, or it rejects every seed (see $log)" >&2
        exit 1
    else
        summary+=("$(printf '%-26s %12s executions  ok' "$target" "${executions:-?}")")
        echo "   $target: ${executions:-?} executions, no crash; corpus now $(find "$corpus" -type f | wc -l) inputs"
    fi
done

echo
echo "== fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#crashed[@]} -gt 0 ]]; then
    echo "fuzz.sh: ${#crashed[@]} target(s) crashed: ${crashed[*]}; inputs in Fuzz/crashes/, logs in Fuzz/logs/" >&2
    exit 1
fi
