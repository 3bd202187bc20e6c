#!/usr/bin/env python3
"""Writes the committed test fixtures of Tests/Fixtures (run by hand; the outputs are committed).

    /work/venv/bin/python Tests/Fixtures/ops/make_ops_fixtures.py            # (re)write everything
    /work/venv/bin/python Tests/Fixtures/ops/make_ops_fixtures.py --check F  # load F with safetensors

Needs torch, transformers, safetensors and numpy (CPU). Everything is deterministic (fixed seeds,
fixed values), so re-running rewrites identical files.

Outputs
- ops/*.safetensors: inputs and expected outputs computed with torch / transformers for the ops of
  Sources/Tensors (linear, matmul, rmsNorm, layerNorm, softmax, activations, RoPE, f16/bf16 conversion).
- safetensors/python_mixed.safetensors (+ .expected.json): a file written by the `safetensors`
  library with mixed dtypes, a 0-dim tensor and empty tensors; the JSON lists each tensor's dtype,
  shape, values and exact bytes (hex).
- safetensors/sharded/: a good two-shard model folder with model.safetensors.index.json.
- safetensors/malformed/: a corpus of malformed files and folders, one per failure mode; the Swift
  test (MalformedCorpusTests) states which WeightIOError each must raise, and scripts/cli-checks.sh
  checks that `pdrop inspect` reports each in one line.
"""

import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import LlamaConfig
from transformers.activations import ACT2FN
from transformers.models.llama.modeling_llama import (LlamaRMSNorm, LlamaRotaryEmbedding,
                                                      apply_rotary_pos_emb)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
# One key only: the library writes __metadata__ from a hash map, so with several keys their order
# (and the file's bytes) changes from run to run. python_mixed uses two keys on purpose.
META = {"format": "pt"}
MIXED_META = {"format": "pt", "producer": "make_ops_fixtures.py"}


def save(name, tensors):
    path = os.path.join(HERE, name)
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=META)
    print(f"wrote {os.path.relpath(path, FIXTURES)} ({os.path.getsize(path)} bytes)")


# MARK: - ops

def linear():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 5, generator=g)
    w = torch.randn(4, 5, generator=g)
    b = torch.randn(4, generator=g)
    x3 = torch.randn(2, 2, 5, generator=g)
    out = {"x": x, "w": w, "b": b, "x3": x3,
           "y_bias": F.linear(x, w, b), "y_nobias": F.linear(x, w), "y3_bias": F.linear(x3, w, b)}
    for tag, dt in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        wr = w.to(dt)                      # the stored 16-bit weight
        out[f"w_{tag}"] = wr
        out[f"y_{tag}_bias"] = F.linear(x, wr.float(), b)    # expected from the rounded weight
        out[f"y_{tag}_nobias"] = F.linear(x, wr.float())
    # More output rows than GEMM.weightTileRows (1024): the 16-bit path converts the weight in tiles.
    xt = torch.randn(2, 8, generator=g)
    wt = torch.randn(1100, 8, generator=g)
    bt = torch.randn(1100, generator=g)
    out.update({"xt": xt, "wt": wt, "bt": bt, "yt": F.linear(xt, wt, bt)})
    for tag, dt in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        wr = wt.to(dt)
        out[f"wt_{tag}"] = wr
        out[f"yt_{tag}"] = F.linear(xt, wr.float(), bt)
    save("linear.safetensors", out)


def matmul():
    g = torch.Generator().manual_seed(2)
    a = torch.randn(3, 4, generator=g)
    b = torch.randn(4, 5, generator=g)
    c = torch.randn(7, 33, generator=g)
    d = torch.randn(2, 33, generator=g)
    save("matmul.safetensors", {
        "a": a, "b": b, "a_t": a.t().contiguous(), "b_t": b.t().contiguous(), "ab": a @ b,
        "c": c, "d": d, "c_dT": c @ d.t(),
    })


def rms_norm():
    g = torch.Generator().manual_seed(3)
    x = torch.stack([
        torch.randn(16, generator=g),
        torch.randn(16, generator=g) * 100,
        torch.randn(16, generator=g) * 1e-3,
        torch.zeros(16),
        torch.randn(16, generator=g) + 40,
    ])
    x3 = torch.randn(2, 3, 16, generator=g)
    w = torch.randn(16, generator=g)
    out = {"x": x, "x3": x3, "w": w}
    for tag, eps in (("1e-6", 1e-6), ("1e-5", 1e-5)):
        norm = LlamaRMSNorm(16, eps=eps)
        with torch.no_grad():
            norm.weight.copy_(w)
            out[f"y_eps{tag}"] = norm(x)
            out[f"y3_eps{tag}"] = norm(x3)
    save("rmsnorm.safetensors", out)


def layer_norm():
    g = torch.Generator().manual_seed(4)
    x = torch.stack([
        torch.randn(16, generator=g),
        torch.randn(16, generator=g) * 30 + 50,   # large mean: a one-pass variance would lose digits
        torch.randn(16, generator=g) * 1e-3,
        torch.full((16,), 3.0),                    # zero variance: (x - mean) = 0
    ])
    w = torch.randn(16, generator=g)
    b = torch.randn(16, generator=g)
    out = {"x": x, "w": w, "b": b}
    for tag, eps in (("1e-5", 1e-5), ("1e-6", 1e-6)):
        out[f"y_eps{tag}"] = F.layer_norm(x, (16,), w, b, eps)
    save("layernorm.safetensors", out)


def softmax():
    g = torch.Generator().manual_seed(5)
    inf = float("inf")
    rows = [
        torch.randn(10, generator=g),
        torch.randn(10, generator=g) * 1000,              # large spread: most terms underflow to 0
        torch.randn(10, generator=g) + 1e4,               # large common offset
        torch.tensor([1e38, -1e38, 3e38, 0, 1, 2, 3e38, -3e38, 5, 6]),
        torch.tensor([1.0, -inf, 2.0, -inf, 3.0, -inf, 0.5, -inf, -1.0, -inf]),
        torch.tensor([-inf] * 9 + [7.0]),                 # one finite value
        torch.full((10,), 2.5),                           # uniform
        torch.tensor([-1e4, -1e4 + 1, -2e4, 0, -inf, -87, -88, -103, -104, -150]),
    ]
    x = torch.stack(rows)
    x3 = torch.randn(2, 3, 5, generator=g)
    save("softmax.safetensors", {"x": x, "y": torch.softmax(x, dim=-1),
                                 "x3": x3, "y3": torch.softmax(x3, dim=-1)})


def activations():
    x = torch.cat([
        torch.linspace(-12, 12, 97),
        torch.tensor([-100.0, -88.5, -50, -20, -1e-6, 0.0, -0.0, 1e-6, 1e-30, 20, 50, 88.5, 100, 3e38]),
    ])
    save("activations.safetensors", {
        "x": x,
        "silu": ACT2FN["silu"](x),
        "gelu": ACT2FN["gelu"](x),               # exact (erf) GELU
        "quick_gelu": ACT2FN["quick_gelu"](x),   # x * sigmoid(1.702 x)
        "gelu_pytorch_tanh": ACT2FN["gelu_pytorch_tanh"](x),   # torch's tanh approximation (SigLIP)
    })


def rope():
    """RoPE exactly as transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb compute it.

    Stored in our layout: q is [tokens, heads * head_dim] (the projection output, before the
    per-head reshape); positions are I64."""
    g = torch.Generator().manual_seed(6)
    cases = [
        ("theta1e4", 10_000.0, 2, 1, 128, [0, 1, 5, 9, 300]),
        ("theta1e6", 1_000_000.0, 2, 1, 128, [0, 1, 5, 9, 300]),
        ("small", 10_000.0, 3, 3, 8, [0, 1, 2, 3, 4, 4095]),
    ]
    out = {}
    for tag, theta, heads, kv_heads, head_dim, positions in cases:
        config = LlamaConfig(hidden_size=heads * head_dim, num_attention_heads=heads,
                             num_key_value_heads=kv_heads, head_dim=head_dim,
                             rope_parameters={"rope_type": "default", "rope_theta": theta})
        rotary = LlamaRotaryEmbedding(config)
        n = len(positions)
        q = torch.randn(1, heads, n, head_dim, generator=g)
        k = torch.randn(1, kv_heads, n, head_dim, generator=g)
        position_ids = torch.tensor([positions])
        cos, sin = rotary(q, position_ids)
        q_rot, k_rot = apply_rotary_pos_emb(q, k, cos, sin)

        def ours(t):  # [1, heads, tokens, d] -> [tokens, heads * d]
            return t[0].transpose(0, 1).reshape(n, -1)

        out.update({
            f"{tag}.positions": position_ids[0].to(torch.int64),
            f"{tag}.inv_freq": rotary.inv_freq,
            f"{tag}.cos": cos[0], f"{tag}.sin": sin[0],
            f"{tag}.q": ours(q), f"{tag}.k": ours(k),
            f"{tag}.q_rot": ours(q_rot), f"{tag}.k_rot": ours(k_rot),
        })
    save("rope.safetensors", out)


def conversions():
    """f32 -> f16 / bf16 rounding as torch does it, on values chosen to hit every rounding rule."""
    f32 = lambda bits: struct.unpack("<f", struct.pack("<I", bits))[0]
    tricky = [
        0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 3.14159265, 65504.0, -65504.0,
        # f16 ties (half-way between neighbours: round to even) and near-ties
        1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-23, 1 + 2**-11 - 2**-23, 2048 + 1, 2048 + 3,
        # f16 overflow: 65519.99 rounds down to 65504, 65520 is a tie that rounds to infinity
        65519.0, 65519.996, 65520.0, 65536.0, 1e5, -1e5, 3.4e38,
        # f16 subnormals (min 2^-24) and the smallest normal 2^-14
        2**-24, 2**-25, 1.5 * 2**-25, 3 * 2**-25, 2**-26, 5 * 2**-26, 2**-14, 2**-14 - 2**-24,
        2**-14 - 2**-25, 2**-14 - 2**-26, 6e-8, -6e-8, 1e-8, 2**-15 + 2**-25,
        # bf16 ties and near-ties around 1 (bf16 has 7 mantissa bits)
        1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-23, 1 + 2**-8 - 2**-23, 256 + 1, 256 + 3,
        # bf16 overflow: the largest finite f32 rounds to infinity in bf16
        f32(0x7F7FFFFF), f32(0xFF7FFFFF), f32(0x7F7F7FFF), f32(0x7F7F8000), f32(0x7F7EFFFF),
        # f32 subnormals (bf16 keeps them: same exponent range)
        f32(0x00000001), f32(0x00008000), f32(0x00018000), f32(0x00017FFF), f32(0x00010000),
        f32(0x807FFFFF), f32(0x00800000), f32(0x007FFFFF),
        float("inf"), float("-inf"), float("nan"), f32(0x7F800001), f32(0xFFC00000), f32(0x7FFFFFFF),
    ]
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**32, size=2048, dtype=np.uint64).astype(np.uint32)
    random_values = bits.view(np.float32)
    random_values = random_values[~np.isnan(random_values)]
    normal = rng.standard_normal(512).astype(np.float32)
    src = torch.cat([torch.tensor(tricky, dtype=torch.float32), torch.from_numpy(random_values),
                     torch.from_numpy(normal)])
    # 16-bit patterns read back as f32 (exact): a spread of every exponent plus the special ones.
    patterns = np.unique(np.concatenate([np.arange(0, 65536, 61), [0, 1, 0x3FF, 0x400, 0x7BFF, 0x7C00, 0x7C01,
                                         0x7E00, 0x8000, 0x8001, 0xFC00, 0xFFFF, 0x7F7F, 0x7F80, 0x0080, 0x007F]]))
    patterns = torch.from_numpy(patterns.astype(np.int64).astype(np.uint16).view(np.int16))
    f16_patterns = patterns.clone().view(torch.float16)
    bf16_patterns = patterns.clone().view(torch.bfloat16)
    save("conversions.safetensors", {
        "f32": src,
        "f16": src.to(torch.float16),
        "bf16": src.to(torch.bfloat16),
        "f16_patterns": f16_patterns, "f16_patterns_f32": f16_patterns.float(),
        "bf16_patterns": bf16_patterns, "bf16_patterns_f32": bf16_patterns.float(),
    })


# MARK: - safetensors written by the Python library

def python_mixed():
    folder = os.path.join(FIXTURES, "safetensors")
    os.makedirs(folder, exist_ok=True)
    tensors = {
        "bf16": torch.tensor([[1.0, -2.5, 3.140625], [1e-3, 65504.0, -0.0]]).to(torch.bfloat16),
        "f16": torch.tensor([0.5, -1.25, 65504.0, 6e-8, 1e-4]).to(torch.float16),
        "f32": torch.tensor([[1.5, -2.0], [3.25, 1e-30], [-7.0e20, 0.1]], dtype=torch.float32),
        "f64": torch.tensor([1.0 / 3.0, -2.0], dtype=torch.float64),
        "i64": torch.tensor([-9223372036854775808, -1, 0, 9223372036854775807], dtype=torch.int64),
        "i32": torch.tensor([-2147483648, 7, 2147483647], dtype=torch.int32),
        "i16": torch.tensor([-32768, 12345], dtype=torch.int16),
        "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "scalar_i64": torch.tensor(42, dtype=torch.int64),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "empty_bf16": torch.zeros(2, 0, dtype=torch.bfloat16),
        "model.layers.0.self_attn.q_proj.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8,
    }
    path = os.path.join(folder, "python_mixed.safetensors")
    save_file(tensors, path, metadata=MIXED_META)
    expected = {}
    for name, t in tensors.items():
        if t.is_floating_point():
            values = [float(v) for v in t.double().flatten().tolist()]
        else:
            values = [int(v) for v in t.flatten().tolist()]
        dtype = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32", torch.float64: "F64",
                 torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.uint8: "U8",
                 torch.int8: "I8", torch.bool: "BOOL"}[t.dtype]
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        expected[name] = {"dtype": dtype, "shape": list(t.shape), "values": values, "hex": raw.hex()}
    with open(os.path.join(folder, "python_mixed.expected.json"), "w") as f:
        json.dump({"metadata": MIXED_META, "tensors": expected}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote safetensors/python_mixed.safetensors ({os.path.getsize(path)} bytes) + expected.json")


def sharded():
    folder = os.path.join(FIXTURES, "safetensors", "sharded")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    shard1 = {"embed.weight": torch.arange(6, dtype=torch.float32).reshape(3, 2),
              "layers.0.norm.weight": torch.ones(2, dtype=torch.bfloat16)}
    shard2 = {"layers.1.norm.weight": torch.full((2,), 0.5, dtype=torch.float16),
              "lm_head.weight": torch.arange(6, dtype=torch.float32).reshape(3, 2) - 3}
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    save_file(shard1, os.path.join(folder, names[0]), metadata=META)
    save_file(shard2, os.path.join(folder, names[1]), metadata=META)
    weight_map = {**{k: names[0] for k in shard1}, **{k: names[1] for k in shard2}}
    total = sum(t.numel() * t.element_size() for t in [*shard1.values(), *shard2.values()])
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
        f.write("\n")
    print("wrote safetensors/sharded/")


# MARK: - malformed corpus

def raw_file(header, data=b"", length=None):
    """8-byte little-endian header length, the header bytes as given (no padding), then data."""
    header = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(header) if length is None else length) + header + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def good_shard(tensors):
    """A valid safetensors file (as bytes) holding F32 tensors {name: [values]}, in the given order."""
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, values in tensors.items():
        blob = struct.pack(f"<{len(values)}f", *values)
        header[name] = entry("F32", [len(values)], len(data), len(data) + len(blob))
        data += blob
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return raw_file(text, data)


def malformed():
    folder = os.path.join(FIXTURES, "safetensors", "malformed")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    eight = bytes(range(8))
    files = {
        "empty.safetensors": b"",
        "truncated_4_bytes.safetensors": b"\x10\x00\x00\x00",
        "header_beyond_file.safetensors": struct.pack("<Q", 1000) + b'{"a":',
        "header_too_large.safetensors": struct.pack("<Q", 100_000_001) + b"{}",
        "header_length_u64_max.safetensors": struct.pack("<Q", 2**64 - 1) + b"{}",
        "header_length_zero.safetensors": struct.pack("<Q", 0),
        "overlapping_offsets.safetensors": raw_file({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 4, 12)}, bytes(12)),
        "gap_between_tensors.safetensors": raw_file({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 12, 20)}, bytes(20)),
        "gap_at_start.safetensors": raw_file({"a": entry("U8", [4], 4, 8)}, bytes(8)),
        "unknown_dtype.safetensors": raw_file({"a": entry("F128", [1], 0, 16)}, bytes(16)),
        "lowercase_dtype.safetensors": raw_file({"a": entry("f32", [2], 0, 8)}, eight),
        "shape_byte_mismatch.safetensors": raw_file({"a": entry("F32", [2, 3], 0, 20)}, bytes(20)),
        "duplicate_tensor_name.safetensors": raw_file(b'{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},'
                                                      b'"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}', eight),
        "non_object_json.safetensors": raw_file(b'[{"dtype":"U8","shape":[8],"data_offsets":[0,8]}]', eight),
        "invalid_json.safetensors": raw_file(b'{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}', eight),
        "trailing_junk_in_header.safetensors": raw_file(b'{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}} x', eight),
        "non_utf8_header.safetensors": raw_file(b'{"\xff\xfe":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', eight),
        "huge_shape_overflow.safetensors": raw_file({"a": entry("F32", [4294967296, 4294967296, 16], 0, 8)}, eight),
        "negative_shape.safetensors": raw_file({"a": entry("U8", [-8], 0, 8)}, eight),
        "fractional_shape.safetensors": raw_file({"a": entry("U8", [8.0], 0, 8)}, eight),
        "bad_data_offsets.safetensors": raw_file({"a": entry("U8", [8], 8, 0)}, eight),
        "missing_dtype.safetensors": raw_file({"a": {"shape": [8], "data_offsets": [0, 8]}}, eight),
        "entry_not_object.safetensors": raw_file({"a": [0, 8]}, eight),
        "metadata_not_strings.safetensors": raw_file({"__metadata__": {"format": "pt", "n": 1}, "a": entry("U8", [8], 0, 8)}, eight),
        "data_area_longer.safetensors": raw_file({"a": entry("F32", [2], 0, 8)}, bytes(16)),
        "data_area_shorter.safetensors": raw_file({"a": entry("F32", [4], 0, 16)}, eight),
        "name_with_newline.safetensors": raw_file({"bad\nname": entry("X1", [1], 0, 1)}, b"\x00"),
    }
    for name, content in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(content)

    def index_folder(name, weight_map, shards, raw_index=None):
        path = os.path.join(folder, name)
        os.makedirs(path)
        for shard, tensors in shards.items():
            with open(os.path.join(path, shard), "wb") as f:
                f.write(good_shard(tensors))
        with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
            f.write(raw_index if raw_index is not None else
                    json.dumps({"metadata": {"total_size": 8}, "weight_map": weight_map}, indent=1))

    s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    index_folder("index_shard_dotdot", {"a": "../outside.safetensors"}, {})
    index_folder("index_shard_subfolder", {"a": "sub/model.safetensors"}, {})
    index_folder("index_missing_shard", {"a": s1, "b": s2}, {s1: {"a": [1, 2]}})
    index_folder("index_tensor_in_two_shards", {"a": s1, "b": s2}, {s1: {"a": [1, 2]}, s2: {"a": [3, 4], "b": [5, 6]}})
    index_folder("index_tensor_absent_from_shard", {"a": s1, "b": s1}, {s1: {"a": [1, 2]}})
    index_folder("index_tensor_in_other_shard", {"a": s2, "b": s1}, {s1: {"a": [1, 2]}, s2: {"b": [3, 4]}})
    index_folder("index_unlisted_tensor", {"a": s1}, {s1: {"a": [1, 2], "extra": [3]}})
    index_folder("index_duplicate_key", None, {s1: {"a": [1, 2]}},
                 raw_index='{"weight_map": {"a": "%s", "a": "%s"}}' % (s1, s1))
    index_folder("index_not_object", None, {s1: {"a": [1, 2]}}, raw_index='["a"]')
    index_folder("index_weight_map_not_strings", None, {s1: {"a": [1, 2]}}, raw_index='{"weight_map": {"a": 1}}')
    index_folder("index_malformed_shard", {"a": s1}, {})
    with open(os.path.join(folder, "index_malformed_shard", s1), "wb") as f:
        f.write(b"\x01\x00")
    os.makedirs(os.path.join(folder, "no_weights"))
    with open(os.path.join(folder, "no_weights", "README"), "w") as f:
        f.write("a model folder without any safetensors file\n")
    print(f"wrote safetensors/malformed/ ({len(files)} files, 12 folders)")


def check(path):
    """Loads `path` with the safetensors library (for files our writer made) and prints it."""
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        print("metadata:", f.metadata())
        for name in f.keys():
            t = f.get_tensor(name)
            print(name, t.dtype, list(t.shape), t.flatten()[:8].tolist())
    load_file(path)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
        return
    torch.set_num_threads(1)
    linear(); matmul(); rms_norm(); layer_norm(); softmax(); activations(); rope(); conversions()
    python_mixed(); sharded(); malformed()


if __name__ == "__main__":
    main()
