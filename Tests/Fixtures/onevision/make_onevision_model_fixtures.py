#!/usr/bin/env python3
"""Tiny random LLaVA-OneVision checkpoints and reference outputs from Hugging Face transformers.

Run by hand in the fixtures venv (no torchvision: transformers then uses LlavaOnevisionImageProcessorPil):
    python Tests/Fixtures/onevision/make_onevision_model_fixtures.py

Writes next to this script:
  large.png                 400×300: big enough that the anyres_max_9 bilinear shrink of the feature grid runs
  tiny-onevision/           llava-hf Hub layout (language_model.model.*, vision_tower.vision_model.*, image_newline;
                            no lm_head: tied), Qwen2 text model (GQA 4/2 heads, θ 1e6, tied head), SigLIP tower
                            (56-pixel tiles of 14-pixel patches: 16 features, no class token), feature layer −1, full
  tiny-onevision-layers/    what transformers 5 save_pretrained writes (language_model.lm_head.weight, vision_tower.* without
                            vision_model.), an untied head and vision_feature_layer [1, −1] (hidden states side by side: the
                            projector takes 128 features)
  model-cases.json          per case: folder, images (paths relative to this folder), the chat template's prompt,
                            image tokens and crops per image, image sizes; versions
  model-expected.safetensors  per case <model>_<case>_: input_ids (expanded), pixel_values (wide, tall, small of
                            tiny-onevision), logits (last position), greedy (16), and through the port of the official
                            PyramidDrop / FastV algorithm (../models/make_model_fixtures.py `pruned_forward`):
                            pdrop_kept_{s} / pdrop_logits / pdrop_greedy ([2, 4, 6], λ 0.5) and fastv_* (K 2, R 0.5),
                            for two images also *_per_image_* (each image ranked among its own tokens)
Cases: wide, tall, small (../llava-next/*.png) and large alone (tiled), and pair = wide + tall in one prompt (each
image its base crop + one newline, as transformers does for several images). The tokenizer is the Qwen2-style
byte-level one of ../tokenizer/bytelevel.
"""
import copy
import json
import math
import os
import sys

import numpy as np
import PIL
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers import (LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration, LlavaOnevisionProcessor,
                          PreTrainedTokenizerFast, Qwen2Config, SiglipVisionConfig)
from transformers.models.llava_onevision.image_processing_pil_llava_onevision import LlavaOnevisionImageProcessorPil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "llava"))
from make_model_fixtures import pruned_greedy  # noqa: E402
from make_llava_fixtures import hub_layout, random_model, save  # noqa: E402

TILE, PATCH, MAX_TILES = 56, 14, 6
PINPOINTS = [[h * TILE, w * TILE] for h in range(1, MAX_TILES + 1) for w in range(1, MAX_TILES + 1)]  # [height, width]
QUESTION = "What is shown in this picture?"
TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + ' '}}{# Render all images first #}"
            "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}"
            "{# Render all video then #}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}"
            "{{ '<video>' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}"
            "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\\n' + content['text'] }}"
            "{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
            "{% generation %}{{ '\\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>'}}"
            "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
IMAGES = {"wide": "../llava-next/wide.png", "tall": "../llava-next/tall.png", "small": "../llava-next/small.png",
          "large": "large.png"}
CASES = {"onevision": {"wide": ["wide"], "tall": ["tall"], "small": ["small"], "large": ["large"], "pair": ["wide", "tall"]},
         "layers": {"wide": ["wide"], "pair": ["wide", "tall"]}}


def make_large():
    rng = np.random.default_rng(7)
    h, w = 300, 400
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 / w, y * 255 / h, ((x // 11 + y // 9) % 2) * 200], axis=-1) + rng.normal(0, 10, (h, w, 3))
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(HERE, "large.png"))


@torch.no_grad()
def build(kind, tokenizer, exp, cases):
    torch.manual_seed({"onevision": 0, "layers": 1}[kind])
    tied = kind == "onevision"
    vocab = (len(tokenizer) + 63) // 64 * 64
    text = Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=8, num_attention_heads=4, num_key_value_heads=2,
                       vocab_size=vocab, rope_theta=1e6, rms_norm_eps=1e-6, max_position_embeddings=4096,
                       tie_word_embeddings=tied, eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
                       pad_token_id=tokenizer.pad_token_id)
    vision = SiglipVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=2,
                                image_size=TILE, patch_size=PATCH, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6,
                                vision_use_head=False)
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    config = LlavaOnevisionConfig(text_config=text, vision_config=vision, image_token_index=image_id,
                                  vision_feature_layer=-1 if tied else [1, -1], vision_feature_select_strategy="full",
                                  image_grid_pinpoints=PINPOINTS, vision_aspect_ratio="anyres_max_9", projector_hidden_act="gelu",
                                  tie_word_embeddings=tied)
    model, state = random_model(LlavaOnevisionForConditionalGeneration, config)
    assert (model.lm_head.weight is model.model.language_model.embed_tokens.weight) == tied
    image_processor = LlavaOnevisionImageProcessorPil(size={"height": TILE, "width": TILE}, image_grid_pinpoints=PINPOINTS,
                                                      image_mean=[0.5] * 3, image_std=[0.5] * 3)
    # The processor's constructor wants a video processor, which needs torchvision: use its own token counting
    # (`_get_number_of_features`) on an instance without one, and expand <image> as `replace_image_token` does.
    processor = object.__new__(LlavaOnevisionProcessor)
    processor.image_processor, processor.num_image_tokens = image_processor, (TILE // PATCH) ** 2
    processor.vision_aspect_ratio, processor.vision_feature_select_strategy = "anyres_max_9", "full"
    folder = os.path.join(HERE, f"tiny-{kind}" if tied else "tiny-onevision-layers")
    if tied:
        hub = hub_layout(state)
        del hub["language_model.lm_head.weight"]  # tied to the embeddings: the Hub file has no head
        save(folder, hub, config.to_dict())
    else:
        copy.deepcopy(model).half().save_pretrained(folder)
    image_processor.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    eligible = len(tokenizer)
    lm = model.model.language_model

    class Causal:  # the attributes pruned_forward reads
        pass
    causal = Causal()
    causal.model, causal.lm_head, causal.config = lm, model.lm_head, config.text_config
    for case, names in CASES[kind].items():
        key = f"{kind}_{case}_"
        images = [Image.open(os.path.join(HERE, IMAGES[n])).convert("RGB") for n in names]
        messages = [{"role": "user", "content": [{"type": "image"}] * len(images) + [{"type": "text", "text": QUESTION}]}]
        prompt = tokenizer.apply_chat_template(messages, chat_template=TEMPLATE, tokenize=False, add_generation_prompt=True)
        inputs = image_processor([images] if len(images) > 1 else images, return_tensors="pt")
        pixels, sizes, batch_num = inputs["pixel_values"], inputs["image_sizes"], inputs["batch_num_images"]
        counts = [processor.num_image_tokens + 1 if len(images) > 1 else
                  processor._get_number_of_features(int(s[0]), int(s[1]), TILE, TILE) for s in sizes]
        pieces = prompt.split("<image>")
        expanded = pieces[0] + "".join("<image>" * c + rest for c, rest in zip(counts, pieces[1:]))
        ids = torch.tensor(tokenizer(expanded)["input_ids"])
        if names == ["large"]:  # the shrink ran: fewer grid tokens than its tiles' features
            assert counts[0] - 16 < (int(pixels.shape[1]) - 1) * 16 // 2, counts
        extra = {"batch_num_images": batch_num}
        out = model(input_ids=ids[None], pixel_values=pixels, image_sizes=sizes, **extra)
        exp[key + "input_ids"] = ids
        exp[key + "logits"] = out.logits[0, -1]
        gen = model.generate(input_ids=ids[None], pixel_values=pixels, image_sizes=sizes, **extra, max_new_tokens=16,
                             min_new_tokens=16, do_sample=False, eos_token_id=None, pad_token_id=tokenizer.pad_token_id,
                             suppress_tokens=list(range(eligible, vocab)))
        exp[key + "greedy"] = gen[0, ids.shape[0]:]
        features = model.model.get_image_features(pixel_values=pixels, image_sizes=sizes, **extra)
        features = features.pooler_output if hasattr(features, "pooler_output") else features
        per_image = [f.shape[0] for f in features]
        if kind == "onevision" and names in (["wide"], ["tall"], ["small"]):
            exp[key + "pixel_values"] = pixels[0]
        is_image = ids == image_id
        assert int(is_image.sum()) == sum(per_image)
        embeds = lm.embed_tokens(ids).clone()
        embeds[is_image] = torch.cat(list(features))
        image_of = torch.full(ids.shape, -1, dtype=torch.long)
        image_of[is_image] = torch.cat([torch.full((n,), i) for i, n in enumerate(per_image)])
        _, unpruned, _ = pruned_greedy(causal, embeds, is_image, {"boundaries": [], "keep": [], "scoring": "next", "renumber": True}, 0)
        assert (unpruned - out.logits[0, -1]).abs().max() < 1e-4, "the scattered embeddings differ from the model's"
        n = int(is_image.sum())
        pdrop = lambda m: {"boundaries": [2, 4, 6], "keep": [math.floor(m * r) for r in [0.5, 0.25, 0.125]], "scoring": "next", "renumber": True}
        fastv = lambda m: {"boundaries": [2], "keep": [round(m * 0.5)], "scoring": "previous", "renumber": False}
        runs = [("pdrop", pdrop(n), None), ("fastv", fastv(n), None)]
        if len(images) > 1:
            for name, make in [("pdrop", pdrop), ("fastv", fastv)]:
                plans = [make(m) for m in per_image]
                plan = dict(plans[0], keep=[list(k) for k in zip(*[p["keep"] for p in plans])])
                runs.append((name + "_per_image", plan, image_of))
        for name, plan, groups in runs:
            kept, logits, greedy = pruned_greedy(causal, embeds, is_image, plan, 4, eligible=eligible, image_of=groups)
            for s, k in enumerate(kept):
                exp[key + f"{name}_kept_{s}"] = k
            exp[key + f"{name}_logits"] = logits
            exp[key + f"{name}_greedy"] = greedy
        cases[key[:-1]] = {"folder": os.path.basename(folder), "images": [IMAGES[n] for n in names], "prompt": prompt,
                           "image_tokens": per_image, "image_sizes": [[int(v) for v in s] for s in sizes],
                           "crops": [int(c) for c in (pixels.shape[1:2] if len(images) == 1 else [1] * len(images))]}


def main():
    make_large()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(HERE, "..", "tokenizer", "bytelevel", "tokenizer.json"),
                                        eos_token="<|im_end|>", pad_token="<|endoftext|>")
    exp, cases = {}, {}
    for kind in CASES:
        build(kind, tokenizer, exp, cases)
    save_file({k: v.detach().clone().contiguous() for k, v in exp.items()}, os.path.join(HERE, "model-expected.safetensors"),
              metadata={"format": "pt"})
    manifest = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__, "pillow": PIL.__version__},
                "pdrop": {"boundaries": [2, 4, 6], "lambda": 0.5}, "fastv": {"k": 2, "ratio": 0.5}, "cases": cases}
    with open(os.path.join(HERE, "model-cases.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print({k: (v["image_tokens"], v["crops"]) for k, v in cases.items()})


if __name__ == "__main__":
    main()
