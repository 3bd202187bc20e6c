#!/usr/bin/env python3
"""LLaVA-OneVision pixel preprocessing references from transformers' LlavaOnevisionImageProcessorPil.

Run by hand in the fixtures venv (no torchvision: transformers then uses the Pil processor):
    python Tests/Fixtures/onevision/make_onevision_fixtures.py

Reads the LLaVA-NeXT fixture images by path (../llava-next/{wide,tall,square,small}.png) and writes next to
this script:
  expected.bin    the lookup table (f32 LE [3, 256]: the processor's rescale + normalize of each byte value, per
                  channel) at offset 0, then per case the pixel_values as u8 codes into it (asserted to give
                  the processor's floats bit for bit: a quarter of the bytes)
  preprocessor_config.json   the tiny processor as save_pretrained writes it (for the config reader)
  manifest.json   versions, the processor settings, and per case: image size [h, w], crop count, shape, offset
Settings: the OneVision checkpoints' (size 384×384, pinpoints [h, w] for h, w in 384, 768, …, 2304, mean = std
= 0.5, BICUBIC, no centre crop) scaled from 384 to TILE = 28. Cases:
  single/<name>   the image alone: base crop + anyres tiles, [1 + tiles, 3, 28, 28]
  multi/<name>    the four images nested as one prompt's (batch_num_images [4]): base crop only, after the pad
                  to a square of int(255 · mean), [1, 3, 28, 28] each
"""
import json
import os

import numpy as np
import PIL
import transformers
from PIL import Image
from transformers.models.llava_onevision.image_processing_pil_llava_onevision import LlavaOnevisionImageProcessorPil
from transformers.models.llava_onevision.modeling_llava_onevision import image_size_to_num_patches

HERE = os.path.dirname(os.path.abspath(__file__))
NEXT = os.path.join(HERE, "..", "llava-next")
TILE, MAX_TILES = 28, 6
PINPOINTS = [[h * TILE, w * TILE] for h in range(1, MAX_TILES + 1) for w in range(1, MAX_TILES + 1)]  # [height, width]
MEAN = STD = [0.5, 0.5, 0.5]
NAMES = ["wide", "tall", "square", "small"]


def main():
    processor = LlavaOnevisionImageProcessorPil(size={"height": TILE, "width": TILE}, image_grid_pinpoints=PINPOINTS,
                                                image_mean=MEAN, image_std=STD)
    processor.save_pretrained(HERE)
    default = LlavaOnevisionImageProcessorPil()
    assert default.image_grid_pinpoints == [[h * 384, w * 384] for h in range(1, 7) for w in range(1, 7)]
    assert not default.do_center_crop and default.size == {"height": 384, "width": 384}
    images = {n: Image.open(os.path.join(NEXT, f"{n}.png")).convert("RGB") for n in NAMES}
    ramp = np.tile(np.arange(256, dtype=np.uint8), (3, 1, 1))                       # [3, 1, 256]
    table = processor.normalize(processor.rescale(ramp, 1 / 255), MEAN, STD)[:, 0, :].astype("<f4")
    assert np.all(np.diff(table, axis=1) > 0)
    blob, cases = bytearray(table.tobytes()), {}

    def add(key, name, values, size):
        codes = np.stack([np.searchsorted(table[c], values[:, c]) for c in range(3)], axis=1).clip(0, 255)
        rebuilt = np.stack([table[c][codes[:, c]] for c in range(3)], axis=1)
        assert np.array_equal(rebuilt.view(np.uint32), values.astype(np.float32).view(np.uint32)), key
        cases[key] = {"file": f"{name}.png", "image_size": size, "crops": int(values.shape[0]),
                      "shape": list(values.shape), "offset": len(blob)}
        blob.extend(codes.astype(np.uint8).tobytes())

    for name in NAMES:
        out = processor(images[name], return_tensors="np")
        size = [int(v) for v in out["image_sizes"][0]]
        crops = image_size_to_num_patches(size, PINPOINTS, TILE)
        assert out["pixel_values"].shape[1] == crops and list(out["batch_num_images"]) == [1]
        add(f"single/{name}", name, out["pixel_values"][0], size)

    multi = processor([[images[n] for n in NAMES]], return_tensors="np")
    assert list(multi["batch_num_images"]) == [len(NAMES)] and multi["pixel_values"].shape[1] == 1
    for i, name in enumerate(NAMES):
        add(f"multi/{name}", name, multi["pixel_values"][i], [int(v) for v in multi["image_sizes"][i]])

    with open(os.path.join(HERE, "expected.bin"), "wb") as f:
        f.write(blob)
    manifest = {"versions": {"transformers": transformers.__version__, "pillow": PIL.__version__, "numpy": np.__version__},
                "tile": TILE, "max_tiles": MAX_TILES, "pinpoints": PINPOINTS, "mean": MEAN, "std": STD,
                "pad_color": [int(m * 255) for m in MEAN], "table_offset": 0, "cases": cases}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print({k: (v["image_size"], v["crops"]) for k, v in cases.items()}, len(blob), "bytes")


if __name__ == "__main__":
    main()
