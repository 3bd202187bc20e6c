#!/usr/bin/env python3
"""Two images in one LLaVA-1.5 prompt: references from Hugging Face transformers for the tiny checkpoint.

Run by hand in the fixtures venv, after make_llava_fixtures.py (it reads the checkpoint that script wrote):
    python Tests/Fixtures/llava/make_multi_image_fixtures.py

Loads tiny-llava-hf-v5/ (the same numbers as tiny-llava-hf/, in the layout transformers 5 loads natively)
and asks LlavaProcessor + LlavaForConditionalGeneration about sample.png and sample.jpg in one prompt
(one <image> per picture, as transformers allows). Writes multi-image/expected.safetensors (a folder of its own, so
that the llava folder is never read as one checkpoint):
  input_ids          the processor's ids (each <image> expanded to 64)
  logits, greedy     last-position logits of the plain model, 8 greedy tokens
  pdrop_* / fastv_*  PyramidDrop ([2, 4, 6], λ 0.5) and FastV (K 2, R 0.5) through the port of the official
                     algorithm (../models/make_model_fixtures.py `pruned_forward`), ranking all 128 image
                     tokens as one pool: kept indices per stage, logits, 4 greedy tokens
  pdrop_per_image_* / fastv_per_image_*   the same port ranking each image among its own tokens
                     (`pruned_forward(image_of=...)`), each image keeping ⌊64·λˢ⌋ / round(64·0.5)
"""
import math
import os
import sys

import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import LlavaForConditionalGeneration, LlavaProcessor, PreTrainedTokenizerFast
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
from make_model_fixtures import pruned_greedy  # noqa: E402

PROMPT = "USER: <image>\n<image>\nCompare the two pictures. ASSISTANT:"


@torch.no_grad()
def main():
    model = LlavaForConditionalGeneration.from_pretrained(os.path.join(HERE, "tiny-llava-hf-v5"), dtype=torch.float32,
                                                          attn_implementation="eager").eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(os.path.join(HERE, "tiny-llava-hf"))
    size = model.config.vision_config.image_size
    processor = LlavaProcessor(image_processor=CLIPImageProcessorPil(size={"shortest_edge": size},
                                                                     crop_size={"height": size, "width": size}),
                               tokenizer=tokenizer, patch_size=model.config.vision_config.patch_size,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1)
    images = [Image.open(os.path.join(HERE, name)).convert("RGB") for name in ["sample.png", "sample.jpg"]]
    inputs = processor(images=images, text=PROMPT, return_tensors="pt")
    ids, pixels = inputs["input_ids"][0], inputs["pixel_values"]
    image_id = model.config.image_token_index
    eligible = len(tokenizer)
    exp = {"input_ids": ids, "logits": model(input_ids=ids[None], pixel_values=pixels).logits[0, -1]}
    gen = model.generate(input_ids=ids[None], pixel_values=pixels, max_new_tokens=8, min_new_tokens=8, do_sample=False,
                         eos_token_id=None, pad_token_id=tokenizer.pad_token_id,
                         suppress_tokens=list(range(eligible, model.config.text_config.vocab_size)))
    exp["greedy"] = gen[0, ids.shape[0]:]

    lm = model.model.language_model
    features = model.get_image_features(pixel_values=pixels)
    features = features.pooler_output if hasattr(features, "pooler_output") else features
    features = torch.cat(list(features)) if isinstance(features, (list, tuple)) else features.reshape(-1, lm.config.hidden_size)
    is_image = ids == image_id
    embeds = lm.embed_tokens(ids).clone()
    embeds[is_image] = features
    per_image = int(is_image.sum()) // len(images)
    image_of = torch.full(ids.shape, -1, dtype=torch.long)
    image_of[is_image] = torch.arange(int(is_image.sum())) // per_image

    class Causal:  # the attributes pruned_forward reads
        pass
    causal = Causal()
    causal.model, causal.lm_head, causal.config = lm, model.lm_head, lm.config
    _, unpruned, _ = pruned_greedy(causal, embeds, is_image, {"boundaries": [], "keep": [], "scoring": "next", "renumber": True}, 0)
    assert (unpruned - exp["logits"]).abs().max() < 1e-4, "the scattered embeddings differ from the model's"

    def plans(n):
        return {"pdrop": {"boundaries": [2, 4, 6], "keep": [math.floor(n * r) for r in [0.5, 0.25, 0.125]], "scoring": "next", "renumber": True},
                "fastv": {"boundaries": [2], "keep": [round(n * 0.5)], "scoring": "previous", "renumber": False}}
    pooled, single = plans(int(is_image.sum())), plans(per_image)
    for name in ["pdrop", "fastv"]:
        per_image_plan = dict(single[name], keep=[[k] * len(images) for k in single[name]["keep"]])
        for label, plan, groups in [(name, pooled[name], None), (name + "_per_image", per_image_plan, image_of)]:
            kept, logits, greedy = pruned_greedy(causal, embeds, is_image, plan, 4, eligible=eligible, image_of=groups)
            for s, k in enumerate(kept):
                exp[f"{label}_kept_{s}"] = k
            exp[f"{label}_logits"] = logits
            exp[f"{label}_greedy"] = greedy
    os.makedirs(os.path.join(HERE, "multi-image"), exist_ok=True)
    save_file({k: v.detach().clone().contiguous() for k, v in exp.items()}, os.path.join(HERE, "multi-image", "expected.safetensors"),
              metadata={"format": "pt"})
    print({k: tuple(v.shape) for k, v in exp.items()})


if __name__ == "__main__":
    main()
