#!/usr/bin/env bash
# Runs the test suite and the CLI checks under AddressSanitizer (with LeakSanitizer) and then
# under ThreadSanitizer, each in a build folder of its own (.build/asan, .build/tsan). About 8
# minutes each on two cores; CI's time goes to the ordinary tests instead.
#
#     scripts/sanitize.sh [address|thread ...]      # both by default
#
# OpenBLAS and oneDNN (and oneDNN's OpenMP runtime) are not instrumented: under TSan they run on
# one thread (OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1; our kernels still run on the worker
# pool) and scripts/tsan.supp names them; scripts/lsan.supp names the system libraries whose
# process-lifetime caches LeakSanitizer reports at exit (fontconfig, libcurl, XCTest) and Swift's
# weak-reference side tables, whose addresses it cannot see. A report is then about our code.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp:second_deadlock_stack=1"
for sanitizer in "${sanitizers[@]}"; do
    case "$sanitizer" in
        address) folder=.build/asan ;;
        thread) folder=.build/tsan; export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ;;
        *) echo "sanitize.sh: unknown sanitizer '$sanitizer' (address or thread)" >&2; exit 64 ;;
    esac
    echo "== $sanitizer: build"
    swift build --build-tests --sanitize="$sanitizer" --build-path "$folder"
    echo "== $sanitizer: swift test"
    swift test --skip-build --sanitize="$sanitizer" --build-path "$folder"
    echo "== $sanitizer: CLI checks"
    bash scripts/cli-checks.sh "$folder/debug/pdrop"
done
