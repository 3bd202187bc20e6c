#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/, with PDROP_FUZZ=1 and -sanitize=fuzzer,address, into
# .build/fuzz) and runs each for SECONDS_PER_TARGET seconds (default 30) from a corpus seeded with
# the committed fixtures, each input limited to 1 s and 512 MB. Prints executions, coverage and
# crashes per target; exits non-zero when any target crashed, leaked, hung or ran out of memory
# (the reproducer is left in .build/fuzz-artifacts/TARGET/).
#
#     scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]     # targets: gguf safetensors json sentencepiece tokenizer-json image
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf safetensors json sentencepiece tokenizer-json image)

fixtures=Tests/Fixtures
seeds() {   # the committed files a target's corpus starts from
    case "$1" in
        gguf) echo "$fixtures/gguf/tiny.gguf" ;;
        safetensors) find "$fixtures/ops" "$fixtures/safetensors" -name '*.safetensors' -size -64k 2>/dev/null ;;
        json) find "$fixtures" -name 'config.json' -size -16k | head -40 ;;
        sentencepiece) find "$fixtures/tokenizer" -name 'tokenizer.model' -size -600k ;;
        tokenizer-json) find "$fixtures/tokenizer" "$fixtures/llava" -name 'tokenizer.json' -size -64k | head -20 ;;
        image) find "$fixtures" \( -name '*.png' -o -name '*.jpg' -o -name '*.bmp' -o -name '*.gif' \) -size -64k | head -30 ;;
    esac
}

failed=0
for target in "${targets[@]}"; do
    if ! PDROP_FUZZ=1 swift build -c release --build-path .build/fuzz -Xswiftc -sanitize=fuzzer,address \
        --product "fuzz-$target" > ".build/fuzz-build-$target.log" 2>&1; then
        echo "fuzz-$target: build failed (.build/fuzz-build-$target.log)"
        failed=1
        continue
    fi
    corpus=".build/fuzz-corpus/$target" artifacts=".build/fuzz-artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    seeds "$target" | while read -r seed; do cp "$seed" "$corpus/seed-$(basename "$(dirname "$seed")")-$(basename "$seed")"; done
    log=".build/fuzz-$target.log"
    ".build/fuzz/release/fuzz-$target" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=1 -rss_limit_mb=512 \
        -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$artifacts/" > "$log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    crashes=$(find "$artifacts" -type f | wc -l)
    echo "fuzz-$target: ${runs:-0} executions, coverage ${coverage:-0}, $crashes crash/leak/timeout files, status $status"
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY' "$log" | head -n 3
        failed=1
    fi
done
exit "$failed"
