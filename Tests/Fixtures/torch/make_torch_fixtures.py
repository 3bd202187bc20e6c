#!/usr/bin/env python3
"""Writes the PyTorch checkpoint fixtures of Tests/WeightIOTests/Torch*.swift.

Run by hand from this folder:  /work/venv/bin/python make_torch_fixtures.py  (torch 2.x, safetensors)

Good files come from torch.save itself; `expected.safetensors` holds every tensor of them (by the
same names) as contiguous copies. Bad files are assembled byte by byte with `write_zip`, a small
writer laid out like torch's own (a top-level folder, 64-byte aligned stored records, data
descriptors, ZIP64 end records). The malicious pickles are crafted as bytes and never unpickled.
Everything in this folder except this script is deleted and rewritten.
"""
import collections
import json
import os
import shutil
import struct
import zipfile
import zlib

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
expected = {}


def save(obj, path, **kwargs):
    path = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(obj, path, **kwargs)
    for name, tensor in obj.items():
        assert name not in expected or torch.equal(expected[name], tensor), name
        expected[name] = tensor.detach().clone().contiguous()
    return path


def records(path):
    """The (name, bytes) records of a torch zip, in order."""
    with zipfile.ZipFile(path) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def write_zip(path, entries, zip64=False, deflate=()):
    """A stored ZIP like torch writes: 64-byte aligned data ('FB' padding extra field), data
    descriptors (flag bit 3), ZIP64 end records. With zip64=True every size and offset in the
    local and central headers is saturated and given in ZIP64 extra fields."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        raw = name.encode()
        method = 8 if name in deflate else 0
        stored = data
        if method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            stored = c.compress(data) + c.flush()
        crc = zlib.crc32(data)
        offset = len(out)
        extra = struct.pack("<HHQQ", 1, 16, 0, 0) if zip64 else b""
        start = offset + 30 + len(raw) + len(extra) + 4
        pad = (-start) % 64
        extra += struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        sat = 0xFFFFFFFF if zip64 else 0
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0x0808, method, 0, 0x21, 0,
                           sat, sat, len(raw), len(extra)) + raw + extra
        out += stored
        if zip64:
            out += struct.pack("<IIQQ", 0x08074B50, crc, len(stored), len(data))
            cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(stored), offset)
            sizes = (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        else:
            out += struct.pack("<IIII", 0x08074B50, crc, len(stored), len(data))
            cextra = b""
            sizes = (len(stored), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45 if zip64 else 20, 45 if zip64 else 20, 0x0808,
                               method, 0, 0x21, crc, sizes[0], sizes[1], len(raw), len(cextra), 0, 0, 0, 0,
                               sizes[2]) + raw + cextra
    cd_offset = len(out)
    out += central
    eocd64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    if zip64:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(out)


def torch_like(pickle_bytes, storages=()):
    """Records of a checkpoint called 'archive' holding `pickle_bytes` and raw storages."""
    return ([("archive/data.pkl", pickle_bytes), ("archive/byteorder", b"little")]
            + [(f"archive/data/{key}", data) for key, data in storages]
            + [("archive/version", b"3\n")])


def main():
    for name in os.listdir(HERE):
        full = os.path.join(HERE, name)
        if name != os.path.basename(__file__):
            shutil.rmtree(full) if os.path.isdir(full) else os.remove(full)
    torch.manual_seed(0)

    # The main state dict: an OrderedDict of every supported kind of tensor.
    shared = torch.arange(10, dtype=torch.float16) / 4
    base = torch.randn(3, 4)
    state = collections.OrderedDict()
    state["f32.matrix"] = torch.randn(2, 3)
    state["f16.vector"] = torch.randn(5).half()
    state["bf16.matrix"] = torch.randn(3, 2).bfloat16()
    state["i64.ids"] = torch.tensor([0, -1, 2**40, -(2**62)], dtype=torch.int64)
    state["i32.values"] = torch.tensor([[7, -8], [9, 2**31 - 1]], dtype=torch.int32)
    state["u8.bytes"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    state["bool.mask"] = torch.tensor([True, False, True])
    state["scalar"] = torch.tensor(3.25)
    state["empty"] = torch.zeros(0, 3)
    state["transposed"] = base.t()                      # stride (1, 4): copied on load
    state["transposed.source"] = base                   # shares the storage with "transposed"
    state["shared.head"] = shared[1:4]                  # offset 1
    state["shared.tail"] = shared[6:].view(2, 2)        # offset 6, same storage
    state["expanded"] = torch.arange(3.0).expand(2, 3)  # stride (0, 1)
    state["column"] = base[:, 1:2]                      # offset 1, stride (4, 1), size-1 last dim
    state["parameter"] = torch.nn.Parameter(torch.randn(2, 2))
    save(state, "single/pytorch_model.bin")

    # A module's state dict: an OrderedDict carrying `_metadata` (pickled with BUILD).
    module = torch.nn.Sequential(collections.OrderedDict(proj=torch.nn.Linear(3, 2), norm=torch.nn.LayerNorm(2)))
    save(module.state_dict(), "module.bin")

    # Protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL.
    save({"p4.weight": torch.randn(2, 2), "p4.half": torch.randn(3).half()}, "proto4.bin", pickle_protocol=4)

    # Sharded, as transformers writes pytorch_model-0000i-of-00002.bin (plain dicts) + index.
    shards = [{"model.embed_tokens.weight": torch.randn(4, 2).half(), "model.layers.0.mlp.up_proj.weight": torch.randn(3, 2).half()},
              {"model.norm.weight": torch.randn(2).half(), "lm_head.weight": torch.randn(4, 2).half()}]
    weight_map = {}
    for i, shard in enumerate(shards):
        name = f"pytorch_model-{i + 1:05d}-of-00002.bin"
        save(shard, f"sharded/{name}")
        weight_map.update({key: name for key in shard})
    total = sum(t.numel() * t.element_size() for s in shards for t in s.values())
    with open(os.path.join(HERE, "sharded/pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)

    save_file(expected, os.path.join(HERE, "expected.safetensors"), metadata={"format": "pt"})

    # The main file again, every header saturated and given in ZIP64 extra fields (as torch's
    # writer does for records beyond 4 GiB), under its own archive name.
    main_records = records(os.path.join(HERE, "single/pytorch_model.bin"))
    write_zip("zip64.bin", main_records, zip64=True)
    assert torch.equal(torch.load(os.path.join(HERE, "zip64.bin"), weights_only=True)["f32.matrix"], state["f32.matrix"])

    # The pre-1.6 format.
    torch.save({"w": torch.ones(2)}, os.path.join(HERE, "legacy.bin"), _use_new_zipfile_serialization=False)

    # Truncated: the first 60 % of a good file (no end-of-central-directory record).
    with open(os.path.join(HERE, "single/pytorch_model.bin"), "rb") as f:
        good = f.read()
    with open(os.path.join(HERE, "truncated.bin"), "wb") as f:
        f.write(good[: len(good) * 6 // 10])

    # A compressed storage record.
    write_zip("compressed.bin", main_records, deflate={"pytorch_model/data/0"})

    # Small valid pickles written by hand, so that each bad file below differs in one place.
    def text(s):
        return b"X" + struct.pack("<I", len(s)) + s.encode()

    def ints(values):
        return b"(" + b"".join(b"K" + bytes([v]) for v in values) + b"t"

    def entry(name, key="0", storage="FloatStorage", numel=2, offset=0, size=(2,), stride=(1,)):
        return (text(name) + b"ctorch._utils\n_rebuild_tensor_v2\n(("
                + text("storage") + b"ctorch\n" + storage.encode() + b"\n" + text(key) + text("cpu") + b"K" + bytes([numel])
                + b"tQK" + bytes([offset]) + ints(size) + ints(stride) + b"\x89ccollections\nOrderedDict\n)RtR")

    def state_pickle(*entries):
        return b"\x80\x02}(" + b"".join(entries) + b"u."

    two_floats = struct.pack("<2f", 1.5, -2.0)
    write_zip("handmade.bin", torch_like(state_pickle(entry("w")), [("0", two_floats)]))
    write_zip("bad-storage-key.bin", torch_like(state_pickle(entry("w", key="9")), [("0", two_floats)]))
    write_zip("short-storage.bin", torch_like(state_pickle(entry("w")), [("0", two_floats[:4])]))
    write_zip("out-of-bounds.bin", torch_like(state_pickle(entry("w", size=(3,))), [("0", two_floats)]))
    write_zip("dtype-conflict.bin", torch_like(state_pickle(entry("w"), entry("h", storage="HalfStorage", numel=4)),
                                               [("0", two_floats)]))
    write_zip("duplicate-entry.bin", torch_like(state_pickle(entry("w")), [("0", two_floats), ("0", two_floats)]))

    # Malicious: os.system through GLOBAL + REDUCE, in a zip laid out like torch's.
    evil = b"\x80\x02cos\nsystem\nq\x00X\x13\x00\x00\x00touch /tmp/pwned-pt\x85R."
    write_zip("malicious-os-system.bin", torch_like(evil, [("0", two_floats)]))
    # Malicious: builtins.eval through STACK_GLOBAL, hidden as a tensor's backward hooks.
    sneaky = state_pickle(entry("w")).replace(b"ccollections\nOrderedDict\n)R",
                                  b"\x8c\x08builtins\x8c\x04eval\x93X\x0b\x00\x00\x00__import__(\x85R")
    write_zip("malicious-eval.bin", torch_like(sneaky, [("0", two_floats)]))

    total = 0
    for root, _, files in os.walk(HERE):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    print(f"fixtures written: {total} bytes")


if __name__ == "__main__":
    main()
