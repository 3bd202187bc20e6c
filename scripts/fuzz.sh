#!/usr/bin/env bash
# Builds `pdrop-fuzz` (Fuzz/, with PDROP_FUZZ=1, -sanitize=fuzzer,address for Swift and
# -fsanitize=fuzzer-no-link,address for the C code, into .build/fuzz) and runs each target for
# SECONDS_PER_TARGET seconds (default 30) with its dictionary, from a corpus seeded with the
# committed fixtures and Fuzz/Regressions/TARGET, each input limited to 1 s and 512 MB. Prints
# executions, coverage, the slowest input, peak RSS and findings per target; exits non-zero
# when any target crashed, leaked, hung or ran out of memory (the reproducer is left in
# .build/fuzz-artifacts/TARGET/DATE-TIME/).
#
#     scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET[:SECONDS] ...]
#
# Targets: gguf safetensors torch json sentencepiece tokenizer-json tokenizer-text image chat-request (all by
# default); TARGET:SECONDS gives one target its own time. FUZZ_BUILD=debug builds unoptimized
# (a faster build, fewer executions per second).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf safetensors torch json sentencepiece tokenizer-json tokenizer-text image chat-request)
configuration="${FUZZ_BUILD:-release}"

fixtures=Tests/Fixtures
seeds() {   # the committed files a target's corpus starts from
    case "$1" in
        gguf) find "$fixtures/gguf" -name '*.gguf' -size -256k ;;
        safetensors) find "$fixtures/ops" "$fixtures/safetensors" -name '*.safetensors' -size -64k 2>/dev/null ;;
        torch) find "$fixtures/torch" -name '*.bin' -size -64k ;;
        json) find "$fixtures" -name 'config.json' -size -16k | head -40 ;;
        sentencepiece) find "$fixtures/tokenizer" -name 'tokenizer.model' -size -600k ;;
        tokenizer-json) find "$fixtures/tokenizer" "$fixtures/llava" -name 'tokenizer.json' -size -64k | head -20 ;;
        image) find "$fixtures" \( -name '*.png' -o -name '*.jpg' -o -name '*.bmp' -o -name '*.gif' \) -size -64k | head -40 ;;
        chat-request) find Fuzz/Seeds/chat-request -type f ;;
        tokenizer-text) find Fuzz/Seeds/tokenizer-text -type f ;;
    esac
    [ -d "Fuzz/Regressions/$1" ] && find "Fuzz/Regressions/$1" -type f
}

max_length() {   # bytes an input may have: files up to 64 KB; text up to 1 KB (four times the BPE word cache's limit:
    # longer text only repeats its words, and each input is encoded, decoded and streamed by three tokenizers)
    case "$1" in
        tokenizer-text) echo 1024 ;;
        *) echo 65536 ;;
    esac
}

build_log=.build/fuzz-build.log
mkdir -p .build
if ! PDROP_FUZZ=1 swift build -c "$configuration" --build-path .build/fuzz --product pdrop-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address > "$build_log" 2>&1; then
    echo "pdrop-fuzz: build failed ($build_log)"
    tail -n 20 "$build_log"
    exit 1
fi
fuzzer=".build/fuzz/$configuration/pdrop-fuzz"

# ASan's quarantine (256 MB by default) and its cached free chunks count in the RSS libFuzzer
# checks against 512 MB: a small quarantine, returned to the system, keeps that check about the
# inputs rather than about what ASan holds back from many inputs' freed memory.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32:allocator_release_to_os_interval_ms=100}"

failed=0
for spec in "${targets[@]}"; do
    target="${spec%%:*}" budget="$seconds"
    [ "$spec" != "$target" ] && budget="${spec#*:}"
    # A folder of its own for each run's findings, so that earlier ones are kept but not counted.
    corpus=".build/fuzz-corpus/$target" artifacts=".build/fuzz-artifacts/$target/$(date +%Y%m%d-%H%M%S)"
    mkdir -p "$corpus" "$artifacts"
    seeds "$target" | while read -r seed; do cp "$seed" "$corpus/seed-$(basename "$(dirname "$seed")")-$(basename "$seed")"; done
    dictionary=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dictionary=(-dict="Fuzz/Dictionaries/$target.dict")
    log=".build/fuzz-$target.log"
    "$fuzzer" "$target" "$corpus" "${dictionary[@]}" -max_total_time="$budget" -max_len="$(max_length "$target")" -timeout=1 \
        -rss_limit_mb=512 -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$artifacts/" > "$log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    slowest=$(grep -o 'stat::slowest_unit_time_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$')
    findings=$(find "$artifacts" -type f | wc -l)
    echo "fuzz $target: ${runs:-0} executions, coverage ${coverage:-0}, slowest input ${slowest:-?} s, peak RSS ${rss:-?} MB, $findings findings, status $status"
    if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 4
        failed=1
    fi
done
exit "$failed"
