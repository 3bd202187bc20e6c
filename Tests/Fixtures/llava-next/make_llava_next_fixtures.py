#!/usr/bin/env python3
"""Tiny random LLaVA-NeXT (v1.6) checkpoints and reference outputs from Hugging Face transformers.

Run by hand in the fixtures venv (no torchvision: transformers then uses LlavaNextImageProcessorPil):
    python Tests/Fixtures/llava-next/make_llava_next_fixtures.py

Writes next to this script:
  wide.png (150×90), tall.png (70×160), square.png (100×100), small.png (40×30: smaller than a tile)
  tiny-next-vicuna/     llava-hf layout, LLaMA text model (MHA), template llava_v1
  tiny-next-mistral/    llava-hf newer prefixes (model.language_model.*), Mistral text model (GQA, 2 KV heads, θ 1e6)
  tiny-next-original/   liuhaotian v1.6 layout (vision tower inside, pinpoints as (w, h), model.image_newline)
  expected.safetensors  per image: ids, pixel crops, image size, logits, greedy ids; PyramidDrop kept indices
The vision tower is 56×56 with 14×14 patches (16 features per tile), 64 wide with one head; pinpoints are the standard ones
scaled from 336 to 56.
"""
import copy
import math
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import (CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration,
                          LlavaNextProcessor, MistralConfig)
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "llava"))
from make_model_fixtures import pruned_greedy  # noqa: E402
from make_llava_fixtures import hub_layout, make_tokenizer, original_layout, random_model, save  # noqa: E402

torch.manual_seed(0)
TILE, PATCH = 56, 14
PINPOINTS = [[56, 112], [112, 56], [112, 112], [168, 56], [56, 168]]   # HF order: [height, width]
IMAGES = {"wide": (150, 90), "tall": (70, 160), "square": (100, 100), "small": (40, 30)}  # (width, height)
TEMPLATES = {
    "vicuna": "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, "
              "detailed, and polite answers to the human's questions. USER: <image>\nWhat is shown in this picture? ASSISTANT:",
    "mistral": "[INST] <image>\nWhat is shown in this picture? [/INST]",
}


def make_images():
    rng = np.random.default_rng(5)
    out = {}
    for name, (w, h) in IMAGES.items():
        y, x = np.mgrid[0:h, 0:w]
        img = np.stack([x * 255 / w, y * 255 / h, ((x // 7 + y // 5) % 2) * 200], axis=-1) + rng.normal(0, 10, (h, w, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(HERE, f"{name}.png"))
        out[name] = Image.open(os.path.join(HERE, f"{name}.png")).convert("RGB")
    return out


def new_layout(state):
    return dict(state)  # transformers 5's in-memory keys are the newer prefixes


@torch.no_grad()
def build(kind, tokenizer, images, exp):
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    pad_id = tokenizer.convert_tokens_to_ids("<pad>")
    vocab = (len(tokenizer) + 63) // 64 * 64
    common = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=8, num_attention_heads=4, vocab_size=vocab,
                  rms_norm_eps=1e-5, max_position_embeddings=1024, pad_token_id=pad_id, bos_token_id=1, eos_token_id=2)
    text = (LlamaConfig(num_key_value_heads=4, **common) if kind == "vicuna"
            else MistralConfig(num_key_value_heads=2, rope_theta=1e6, sliding_window=None, **common))
    # One 64-wide head, as OpenAI CLIP's head size: the original layout's tower config is inferred from
    # the weights at 64 per head (its config.json names a Hub model instead of carrying the config).
    vision = CLIPVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=1,
                              image_size=TILE, patch_size=PATCH, projection_dim=32, hidden_act="quick_gelu")
    config = LlavaNextConfig(text_config=text, vision_config=vision, image_token_index=image_id, pad_token_id=pad_id,
                             image_grid_pinpoints=PINPOINTS, vision_feature_layer=-2,
                             vision_feature_select_strategy="default", projector_hidden_act="gelu")
    model, state = random_model(LlavaNextForConditionalGeneration, config)
    processor = LlavaNextProcessor(
        image_processor=LlavaNextImageProcessorPil(size={"shortest_edge": TILE}, crop_size={"height": TILE, "width": TILE},
                                                   image_grid_pinpoints=PINPOINTS),
        tokenizer=tokenizer, patch_size=PATCH, vision_feature_select_strategy="default", num_additional_image_tokens=1)
    folder = os.path.join(HERE, f"tiny-next-{kind}")
    os.makedirs(folder, exist_ok=True)
    processor.image_processor.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    save(folder, hub_layout(state) if kind == "vicuna" else new_layout(state), config.to_dict())

    eligible = len(tokenizer)
    for name, image in images.items():
        inputs = processor(images=image, text=TEMPLATES[kind], return_tensors="pt")
        ids, pixels, sizes = inputs["input_ids"][0], inputs["pixel_values"], inputs["image_sizes"]
        key = f"{kind}_{name}_"
        out = model(input_ids=ids[None], pixel_values=pixels, image_sizes=sizes)
        exp[key + "input_ids"] = ids
        exp[key + "logits"] = out.logits[0, -1]
        if kind == "vicuna":
            exp[f"{name}_pixel_values"] = pixels[0]
            exp[f"{name}_image_size"] = sizes[0]
        gen = model.generate(input_ids=ids[None], pixel_values=pixels, image_sizes=sizes, max_new_tokens=16,
                             do_sample=False, eos_token_id=None, pad_token_id=pad_id, min_new_tokens=16,
                             suppress_tokens=list(range(eligible, vocab)))
        exp[key + "greedy"] = gen[0, ids.shape[0]:]
        # PyramidDrop over the whole image block (base tile, grid, newlines) as one pool.
        lm = model.model.language_model
        embeds = lm.embed_tokens(ids).clone()
        feats = model.model.get_image_features(pixel_values=pixels, image_sizes=sizes)
        feats = feats.pooler_output if hasattr(feats, "pooler_output") else feats
        feats = torch.cat(list(feats)) if isinstance(feats, (list, tuple)) else feats
        is_image = ids == image_id
        embeds[is_image] = feats.reshape(-1, 32)
        n = int(is_image.sum())
        exp[key + "image_tokens"] = torch.tensor([n])

        class Causal:
            pass
        causal = Causal()
        causal.model, causal.lm_head, causal.config = lm, model.lm_head, text
        plan = {"boundaries": [2, 4, 6], "keep": [math.floor(n * r) for r in [0.5, 0.25, 0.125]], "scoring": "next",
                "renumber": True}
        kept, logits, greedy = pruned_greedy(causal, embeds, is_image, plan, 4, eligible=eligible)
        for s, k in enumerate(kept):
            exp[key + f"pdrop_kept_{s}"] = k
        exp[key + "pdrop_logits"] = logits
        exp[key + "pdrop_greedy"] = greedy
    return model, state, config, processor


def main():
    for d in ["tiny-next-vicuna", "tiny-next-mistral", "tiny-next-original"]:
        shutil.rmtree(os.path.join(HERE, d), ignore_errors=True)
    tokenizer = make_tokenizer(os.path.join(HERE, "tiny-next-vicuna"))
    images = make_images()
    exp = {}
    _, state, config, _ = build("vicuna", tokenizer, images, exp)
    build("mistral", tokenizer, images, exp)

    # The original v1.6 layout of the vicuna model: flat config, (w, h) pinpoints, vision tower inside.
    folder = os.path.join(HERE, "tiny-next-original")
    flat = {k: v for k, v in config.text_config.to_dict().items() if k != "pad_token_id"}
    flat.update({"architectures": ["LlavaLlamaForCausalLM"], "model_type": "llava", "mm_vision_tower": "openai/clip-vit-tiny",
                 "mm_hidden_size": 64, "mm_projector_type": "mlp2x_gelu", "mm_vision_select_layer": -2,
                 "mm_vision_select_feature": "patch", "image_aspect_ratio": "anyres", "mm_patch_merge_type": "spatial_unpad",
                 "image_grid_pinpoints": [[w, h] for h, w in PINPOINTS], "image_size": TILE})
    save(folder, original_layout(state, tower_inside=True)[0], flat)
    tokenizer.save_pretrained(folder)
    save_file({k: v.detach().clone().contiguous() for k, v in exp.items()}, os.path.join(HERE, "expected.safetensors"),
              metadata={"format": "pt"})
    print({k: tuple(v.shape) for k, v in exp.items() if k.endswith("input_ids") or k.endswith("pixel_values")})


if __name__ == "__main__":
    main()
