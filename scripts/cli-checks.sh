#!/usr/bin/env bash
# Checks the pdrop CLI contract against the committed fixtures:
#   - `pdrop inspect` on good files and folders prints one line per tensor and a totals line;
#   - on every malformed file or folder of Tests/Fixtures/safetensors/malformed (and a missing path)
#     it prints nothing on stdout, exactly ONE line on stderr naming the path, and exits with 1;
#   - `pdrop bench` (tiny shapes) reports its paths, CPU flags and yardsticks, with --compute f32
#     and --vision, in text and JSON;
#   - `pdrop run --policy` runs every token policy on the tiny LLaVA and refuses bad budgets;
#   - a usage error exits with 64.
# Usage: bash scripts/cli-checks.sh PDROP_BINARY      (e.g. .build/debug/pdrop)
# Ends with "cli-checks: N passed, M failed" and exits non-zero if anything failed.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 PDROP_BINARY" >&2
    exit 64
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
case "$1" in
    /*) pdrop="$1" ;;
    *) pdrop="$(pwd)/$1" ;;
esac
fixtures="$root/Tests/Fixtures/safetensors"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }

if [ ! -x "$pdrop" ]; then
    fail "binary" "$pdrop is not an executable file (run swift build first)"
    echo "cli-checks: $passed passed, $failed failed"
    exit 1
fi

# run ARGS...: runs pdrop, leaving its stdout, stderr and status in $out, $err, $status.
run() {
    "$pdrop" "$@" >"$scratch/out" 2>"$scratch/err" </dev/null
    status=$?
    out="$(cat "$scratch/out")"
    err="$(cat "$scratch/err")"
}
# Number of lines, counting a last line without a newline.
lines() { awk 'END { print NR }' "$1"; }

# expect_inspect NAME PATH EXPECTED_STDOUT_FILE
expect_inspect() {
    local name="$1" path="$2" expected="$3"
    run inspect "$path"
    if [ "$status" -ne 0 ]; then
        fail "$name" "exit status $status, expected 0; stderr: $err"
    elif [ -n "$err" ]; then
        fail "$name" "unexpected stderr: $err"
    elif ! diff -u "$expected" "$scratch/out" >"$scratch/diff"; then
        fail "$name" "stdout differs from the expected listing:"
        sed 's/^/    /' "$scratch/diff"
    else
        pass "$name"
    fi
}

# expect_one_line_error NAME PATH: exit 1, empty stdout, one stderr line naming PATH.
expect_one_line_error() {
    local name="$1" path="$2"
    run inspect "$path"
    local n
    n="$(lines "$scratch/err")"
    if [ "$status" -ne 1 ]; then
        fail "$name" "exit status $status, expected 1; stderr: $err"
    elif [ -n "$out" ]; then
        fail "$name" "unexpected stdout: $out"
    elif [ "$n" -ne 1 ]; then
        fail "$name" "$n lines on stderr, expected exactly 1:"
        sed 's/^/    | /' "$scratch/err"
    elif [[ "$err" != *"$path"* ]]; then
        fail "$name" "the error does not name $path: $err"
    else
        pass "$name"
    fi
}

# --- good inputs ---------------------------------------------------------------------------------
tab=$'\t'
cat >"$scratch/mixed.expected" <<EOF
bf16${tab}BF16${tab}[2, 3]${tab}12
bool${tab}BOOL${tab}[3]${tab}3
empty${tab}F32${tab}[0, 3]${tab}0
empty_bf16${tab}BF16${tab}[2, 0]${tab}0
f16${tab}F16${tab}[5]${tab}10
f32${tab}F32${tab}[3, 2]${tab}24
f64${tab}F64${tab}[2]${tab}16
i16${tab}I16${tab}[2]${tab}4
i32${tab}I32${tab}[3]${tab}12
i64${tab}I64${tab}[4]${tab}32
i8${tab}I8${tab}[2]${tab}2
model.layers.0.self_attn.q_proj.weight${tab}F32${tab}[3, 4]${tab}48
scalar${tab}F32${tab}[]${tab}4
scalar_i64${tab}I64${tab}[]${tab}8
u8${tab}U8${tab}[3]${tab}3
15 tensors in 1 file(s), 50 elements, 178 bytes
EOF
expect_inspect "inspect python_mixed.safetensors (mixed dtypes, 0-dim, empty)" \
    "$fixtures/python_mixed.safetensors" "$scratch/mixed.expected"

cat >"$scratch/sharded.expected" <<EOF
embed.weight${tab}F32${tab}[3, 2]${tab}24
layers.0.norm.weight${tab}BF16${tab}[2]${tab}4
layers.1.norm.weight${tab}F16${tab}[2]${tab}4
lm_head.weight${tab}F32${tab}[3, 2]${tab}24
4 tensors in 2 file(s), 16 elements, 56 bytes
EOF
expect_inspect "inspect a sharded model folder" "$fixtures/sharded" "$scratch/sharded.expected"

ops_file="$root/Tests/Fixtures/ops/linear.safetensors"
run inspect "$ops_file"
if [ "$status" -eq 0 ] && [[ "$out" == *"w_bf16${tab}BF16${tab}[4, 5]${tab}40"* ]] \
    && [[ "$(tail -n 1 "$scratch/out")" =~ ^[0-9]+\ tensors\ in\ 1\ file\(s\),\ [0-9]+\ elements,\ [0-9]+\ bytes$ ]]; then
    pass "inspect ops/linear.safetensors"
else
    fail "inspect ops/linear.safetensors" "status $status, stdout: $(head -c 300 "$scratch/out"), stderr: $err"
fi

gguf_file="$root/Tests/Fixtures/gguf/tiny.gguf"
run inspect "$gguf_file"
if [ "$status" -eq 0 ] && [[ "$out" == *"test.array_string${tab}array[string]${tab}[\"a\", \"\", \"ünï\"]"* ]] \
    && [[ "$out" == *"quant.q8_0${tab}Q8_0${tab}[2, 64]${tab}136"* ]] \
    && [[ "$out" == *"quant.q5_k${tab}Q5_K${tab}[2, 256]${tab}352${tab}read as Q8_0"* ]] \
    && [[ "$(tail -n 1 "$scratch/out")" == "11 tensors, 3007 elements, 2232 bytes; 4 requantized to Q8_0 when loaded (Q4_1, Q5_0, Q5_1, Q5_K, Q8_K)" ]]; then
    pass "inspect gguf/tiny.gguf (metadata, tensors, formats requantized at load)"
else
    fail "inspect gguf/tiny.gguf" "status $status, stdout: $(head -c 300 "$scratch/out"), stderr: $err"
fi
mkdir -p "$scratch/pair" && cp "$root/Tests/Fixtures/gguf/llava/text-q4_0.gguf" "$root/Tests/Fixtures/gguf/llava/mmproj-f16.gguf" "$scratch/pair/"
run convert --from "$scratch/pair" --to "$scratch/pair-hf"
if [ "$status" -eq 0 ] && [ -f "$scratch/pair-hf/tokenizer.model" ] && [ -f "$scratch/pair-hf/config.json" ] \
    && "$pdrop" inspect "$scratch/pair-hf" | grep -q "language_model.model.layers.0.self_attn.q_proj.weight${tab}F16"; then
    pass "convert a GGUF pair folder to llava-hf (dequantized to F16, tokenizer.model)"
else
    fail "convert a GGUF pair folder to llava-hf" "status $status, stdout: $(head -c 300 "$scratch/out"), stderr: $err"
fi
printf 'GGUF\x03\x00\x00\x00' > "$scratch/short.gguf"
expect_one_line_error "inspect a truncated .gguf" "$scratch/short.gguf"

# --- malformed inputs: one line on stderr, exit status 1 ------------------------------------------
count=0
for entry in "$fixtures"/malformed/*; do
    expect_one_line_error "malformed $(basename "$entry")" "$entry"
    count=$((count + 1))
done
if [ "$count" -lt 12 ]; then
    fail "malformed corpus" "only $count entries in $fixtures/malformed"
fi
expect_one_line_error "a path that does not exist" "$scratch/does-not-exist.safetensors"
pushd "$fixtures" >/dev/null
expect_one_line_error "a relative path" "malformed/unknown_dtype.safetensors"
expect_one_line_error "a relative folder path" "malformed/index_tensor_in_two_shards"
popd >/dev/null

# --- bench (tiny shapes: the figures are meaningless in a debug build, the report's form is not) ----
# expect_bench NAME "ARGS" KEY...: exit 0, empty stderr, and every KEY on stdout.
expect_bench() {
    local name="$1" args="$2"
    shift 2
    # shellcheck disable=SC2086
    run bench $args
    if [ "$status" -ne 0 ]; then
        fail "$name" "exit status $status, expected 0; stderr: $err"
        return
    fi
    if [ -n "$err" ]; then
        fail "$name" "unexpected stderr: $err"
        return
    fi
    local key
    for key in "$@"; do
        if ! grep -qF -- "$key" "$scratch/out"; then
            fail "$name" "no '$key' in the output:"
            sed 's/^/    | /' "$scratch/out" | head -40
            return
        fi
    done
    pass "$name"
}
expect_bench "bench --compute f32 --json: paths, flags, yardsticks, decode bytes" \
    "--preset tiny --runs 1 --decode-tokens 2 --weights bf16 --compute f32 --json" \
    '"path": "f32"' '"prefill": "openblas f32' '"decode": "gemv ' '"cpu_flags"' '"avx512_bf16"' '"amx_bf16"' '"kernels"' \
    '"sgemm_gflops"' '"yardstick"' '"name": "openblas sgemm"' '"efficiency"' '"fallbacks"' '"bytes_per_step"' \
    '"stream_gbps"' '"stream_ratio"' '"stream_ratio_paired"' '"sgemv_gbps"' '"weights_stored": "bf16"'
expect_bench "bench text output names the yardstick, paths and flags" \
    "--preset tiny --runs 1 --decode-tokens 1 --compute f32" \
    "compute f32 (--compute f32)" "cpu: " "kernels " "yardstick: openblas sgemm at the model's GEMM shapes" \
    "full   prefill" "efficiency" "streaming read on" "peak RSS"
expect_bench "bench --vision --vision-layers 2 --json: the tower alone" \
    "--preset tiny --vision --vision-layers 2 --runs 1 --json" \
    '"vision"' '"layers": 2' '"tokens": 17' '"flops"' '"gflops"' '"bound_ratio"' '"yardstick"' '"cpu_flags"'
expect_bench "bench --vision text output" "--preset tiny --vision --vision-layers 1 --runs 1" \
    "tiny CLIP vision tower (synthetic): 1 of 4 layers" "yardstick: " "the time at the yardstick's rate"
if grep -qF '"variants"' "$scratch/out"; then fail "bench --vision runs only the tower" "variants in the output"; else pass "bench --vision runs only the tower"; fi
run bench --preset tiny --runs 1 --decode-tokens 1 --compute bf16 --json
if [ "$status" -eq 0 ] && [[ "$out" == *'"path": "bf16"'* ]] && [[ "$out" == *'"name": "onednn bf16 gemm"'* ]]; then
    pass "bench --compute bf16 measures against oneDNN's bf16 GEMM"
elif [ "$status" -eq 1 ] && [ "$(lines "$scratch/err")" -eq 1 ] && [[ "$err" == *"--compute bf16"* ]]; then
    pass "bench --compute bf16 without native bf16 is a one-line error"
else
    fail "bench --compute bf16" "status $status, stderr: $err"
fi
run bench --help
if [ "$status" -eq 0 ] && [[ "$out" == *--vision-layers* ]] && [[ "$out" == *"only the vision tower"* ]] && [[ "$out" == *--compute* ]]; then
    pass "bench --help documents --vision and --compute"
else
    fail "bench --help" "status $status"
fi
run bench --preset tiny --vision-layers 2
if [ "$status" -eq 64 ]; then pass "bench --vision-layers without --vision is a usage error (64)"; else fail "bench --vision-layers" "exit status $status, expected 64"; fi

# --- token policies -----------------------------------------------------------------------------
fixtures="$root/Tests/Fixtures"
llava="$fixtures/llava/tiny-llava-hf"
for policy in fastervlm visionzip divprune dart visionzip+pdrop; do
    run run --model "$llava" --image "$fixtures/llava/sample.png" --prompt "What is it?" --policy "$policy" --budget 16 --max-new-tokens 2 --json
    if [ "$status" -eq 0 ] && [[ "$out" == *'"name":"'"$policy"'"'* ]]; then pass "run --policy $policy --budget 16"; else fail "run --policy $policy" "status $status, stderr: $err"; fi
done
run run --model "$llava" --image "$fixtures/llava/sample.png" --prompt "x" --policy divprune --budget 65
if [ "$status" -eq 1 ] && [ "$(lines "$scratch/err")" -eq 1 ] && [[ "$err" == *"more than the 64 tokens"* ]]; then
    pass "run --policy divprune with a budget over the image is a one-line error"
else
    fail "run --policy divprune --budget 65" "status $status, stderr: $err"
fi
run run --model "$llava" --prompt "x" --policy magic
if [ "$status" -eq 64 ] && [[ "$err" == *"unknown policy 'magic'"* ]]; then pass "run --policy with an unknown name is a usage error (64)"; else fail "run --policy magic" "status $status, stderr: $err"; fi

# --- usage --------------------------------------------------------------------------------------
run inspect
if [ "$status" -eq 64 ]; then pass "inspect without a path is a usage error (64)"; else fail "usage error" "exit status $status, expected 64"; fi
run --help
if [ "$status" -eq 0 ] && [[ "$out" == *inspect* ]]; then pass "pdrop --help lists inspect"; else fail "pdrop --help" "status $status"; fi

echo "cli-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
