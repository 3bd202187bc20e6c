#!/usr/bin/env python3
"""Writes tiny.gguf with the `gguf` package (PyPI, ggml's own Python writer) and expected.json:
metadata of every value type (nested arrays included), tensors of types F32, F16, BF16, Q8_0,
Q4_0, Q4_1, Q5_0, Q5_1 (quantized by gguf.quants) and Q4_K, Q5_K, Q6_K (random blocks), and what a reader must find: version, alignment, data start,
each tensor's ggml dimensions, offset, byte count and the SHA-256 of its bytes, and gguf's own
dequantization of each (as float32 SHA-256 and the first values).

    venv/bin/python Tests/Fixtures/gguf/make_gguf_fixtures.py
"""
import hashlib, json, os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "tiny.gguf")
rng = np.random.default_rng(0)

writer = gguf.GGUFWriter(path, "llama")
writer.add_uint8("test.uint8", 200)
writer.add_int8("test.int8", -100)
writer.add_uint16("test.uint16", 60000)
writer.add_int16("test.int16", -30000)
writer.add_uint32("test.uint32", 4000000000)
writer.add_int32("test.int32", -2000000000)
writer.add_float32("test.float32", 0.15625)
writer.add_uint64("test.uint64", 2**63 + 5)
writer.add_int64("test.int64", -(2**62))
writer.add_float64("test.float64", -1.0e-300)
writer.add_bool("test.bool", True)
writer.add_string("test.string", "héllo, ggüf")
writer.add_array("test.array_int32", [1, -2, 3])
writer.add_array("test.array_string", ["a", "", "ünï"])
writer.add_array("test.array_nested", [[1, 2], [3]])

tensors = {
    "plain.f32": (rng.standard_normal((3, 5)).astype(np.float32), T.F32),
    "plain.f16": (rng.standard_normal((2, 32)).astype(np.float16), T.F16),
    "plain.bf16": (rng.standard_normal((2, 8)).astype(np.float32), T.BF16),
    "quant.q8_0": (rng.standard_normal((2, 64)).astype(np.float32), T.Q8_0),
    "quant.q4_0": (rng.standard_normal((3, 32)).astype(np.float32), T.Q4_0),
}
for qtype in (T.Q4_1, T.Q5_0, T.Q5_1):
    tensors["quant." + qtype.name.lower()] = (rng.standard_normal((2, 64)).astype(np.float32), qtype)
for name, (values, qtype) in tensors.items():
    data = values if qtype in (T.F32, T.F16) else gguf.quants.quantize(values, qtype)
    writer.add_tensor(name, data, raw_dtype=qtype)


def k_blocks(qtype, rows, blocks_per_row, scale_offsets):
    """Random k-quant blocks (gguf cannot quantize k-quants): random quant and scale bytes, with
    each half-precision super-block scale at `scale_offsets` set to a small random value."""
    size = gguf.constants.GGML_QUANT_SIZES[qtype][1]
    raw = rng.integers(0, 256, size=(rows * blocks_per_row, size), dtype=np.uint8)
    for offset in scale_offsets:
        raw[:, offset:offset + 2] = (rng.standard_normal((rows * blocks_per_row, 1)) * 0.05).astype(np.float16).view(np.uint8)
    return raw.reshape(rows, blocks_per_row * size)


writer.add_tensor("quant.q4_k", k_blocks(T.Q4_K, 2, 2, [0, 2]), raw_dtype=T.Q4_K)
writer.add_tensor("quant.q5_k", k_blocks(T.Q5_K, 2, 1, [0, 2]), raw_dtype=T.Q5_K)
writer.add_tensor("quant.q6_k", k_blocks(T.Q6_K, 3, 1, [208]), raw_dtype=T.Q6_K)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()

reader = gguf.GGUFReader(path)
expected = {"version": 3, "alignment": 32, "data_start": int(reader.data_offset), "tensors": []}
for tensor in reader.tensors:
    raw = bytes(tensor.data.tobytes())
    values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32).reshape(-1)
    expected["tensors"].append({
        "name": tensor.name, "type": tensor.tensor_type.name, "dimensions": [int(d) for d in tensor.shape],
        "offset": int(tensor.data_offset) - int(reader.data_offset), "byte_count": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "dequantized_sha256": hashlib.sha256(values.tobytes()).hexdigest(), "first": [float(v) for v in values[:4]],
    })
json.dump(expected, open(os.path.join(here, "expected.json"), "w"), indent=1)
print(f"wrote {path} ({os.path.getsize(path)} bytes) and expected.json")
