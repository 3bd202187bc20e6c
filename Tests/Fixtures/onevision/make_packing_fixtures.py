#!/usr/bin/env python3
"""LLaVA-OneVision's feature packing (unpad, anyres_max_9 bilinear shrink, image_newline) from
transformers' own `LlavaOnevisionModel.pack_image_features`, on random features.

Run by hand in the fixtures venv (torch, transformers):
    python Tests/Fixtures/onevision/make_packing_fixtures.py
Writes packing.safetensors next to this script: per case C, `C_crops` [1 + tiles, side², D], `C_newline` [D],
`C_packed` [tokens, D], `C_size` (height, width) and `C_grid` (rows, columns) of the image. The tiny tower has
28-pixel crops of 7-pixel patches (side 4); pinpoints are every multiple of 28 up to 168, as the checkpoints'
multiples of 384 up to 2304.
"""
import os
import types

import torch
from safetensors.torch import save_file
from transformers.models.llava_onevision.modeling_llava_onevision import (LlavaOnevisionModel,
                                                                          get_anyres_image_grid_shape)

HERE = os.path.dirname(os.path.abspath(__file__))
TILE, PATCH, D = 28, 7, 8
PINPOINTS = [[h * TILE, w * TILE] for h in range(1, 7) for w in range(1, 7)]
CASES = {"square_big": (1000, 1000), "wide": (300, 900), "tall": (900, 250), "small": (50, 60), "near": (500, 480),
         "single": (400, 300)}


@torch.no_grad()
def main():
    torch.manual_seed(11)
    config = types.SimpleNamespace(vision_config=types.SimpleNamespace(image_size=TILE, patch_size=PATCH),
                                   image_grid_pinpoints=PINPOINTS)
    owner = types.SimpleNamespace(config=config)
    side = TILE // PATCH
    out = {}
    for name, (h, w) in CASES.items():
        rows, columns = get_anyres_image_grid_shape((h, w), PINPOINTS, TILE)
        crops = 1 if name == "single" else 1 + rows * columns
        features = torch.randn(crops, side * side, D)
        newline = torch.randn(D)
        packed, _ = LlavaOnevisionModel.pack_image_features(owner, [features], torch.tensor([[h, w]]), image_newline=newline,
                                                            vision_aspect_ratio="anyres_max_9")
        out.update({f"{name}_crops": features, f"{name}_newline": newline, f"{name}_packed": packed[0],
                    f"{name}_size": torch.tensor([h, w]), f"{name}_grid": torch.tensor([rows, columns])})
        print(name, (h, w), "grid", (rows, columns), "tokens", packed[0].shape[0])
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(HERE, "packing.safetensors"), metadata={"format": "pt"})


if __name__ == "__main__":
    main()
