"""Reference bytes for our Q8_0 / Q4_0 weight quantizers (pd_quantize_q8_0, pd_quantize_q4_0).

Run by hand in the fixture venv (pip install numpy gguf):

    python Tests/Fixtures/gguf/make_quant_fixtures.py

Writes quant.json beside this script: a [12, 64] f32 matrix (seeded normal values, plus rows that
hit the quantizers' edge cases: all zeros, one large negative value, ties of the largest magnitude,
values that round at .5) and the bytes the gguf package's `gguf.quants.quantize` (its numpy port of
ggml-quants.c's quantize_row_q8_0_ref / quantize_row_q4_0_ref) makes of it, hex-encoded.
"""
import json
import pathlib

import numpy as np
from gguf import GGMLQuantizationType, quants

rng = np.random.default_rng(19)
rows = rng.normal(0, 1, size=(12, 64)).astype(np.float32)
rows[1] = 0
rows[2, 5] = -40.0
rows[3, :32] = np.linspace(-1, 1, 32, dtype=np.float32)
rows[3, 7] = -1.0                                          # two values of the largest magnitude, signs differ
rows[4] = (np.arange(64, dtype=np.float32) - 31.5) / 8     # exact halves after scaling
rows[5] *= 1e-6                                            # tiny scales (subnormal halves)
rows[6] *= 3e4                                             # large scales

out = {"shape": list(rows.shape), "values": [float(v) for v in rows.reshape(-1)]}
for name, kind in (("q8_0", GGMLQuantizationType.Q8_0), ("q4_0", GGMLQuantizationType.Q4_0)):
    out[name] = quants.quantize(rows, kind).tobytes().hex()
path = pathlib.Path(__file__).with_name("quant.json")
path.write_text(json.dumps(out) + "\n")
print("wrote", path)
