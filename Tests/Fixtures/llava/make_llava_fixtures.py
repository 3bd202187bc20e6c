#!/usr/bin/env python3
"""Tiny random LLaVA-1.5 checkpoints and reference outputs from Hugging Face transformers.

Run by hand in a venv (`pip install torch transformers tokenizers safetensors pillow numpy`, no
torchvision, so transformers uses the Pillow image processor):
    python Tests/Fixtures/llava/make_llava_fixtures.py

Writes next to this script:
  sample.png, sample.jpg          a small synthetic picture
  tiny-llava-hf/                  llava-hf layout as on the Hub (language_model.model.*, vision_tower.vision_model.*)
  tiny-llava-hf-v5/               what transformers 5 save_pretrained writes (language_model.model.*, vision_tower.*)
  tiny-llava-hf-new/              the newer prefixes (model.language_model.*, model.vision_tower.*, lm_head.weight)
  tiny-llava-original/            liuhaotian layout (model.*, model.mm_projector.{0,2}), flat config, unpadded vocab
  tiny-clip/                      the separate CLIP folder the original layout names in mm_vision_tower
  expected.safetensors            input ids, pixel values, logits, greedy ids, PyramidDrop/FastV kept indices
The weights are rounded to f16 values and stored as F16 (as the Hub files are), so every layout holds the
same numbers and one set of f32 references serves them all.
"""
import copy
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, normalizers, processors, trainers
from transformers import (CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration,
                          LlavaProcessor, PreTrainedTokenizerFast)
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
from make_model_fixtures import pruned_greedy  # noqa: E402  (the PyramidDrop / FastV reference)

torch.manual_seed(0)
IMAGE_SIZE, PATCH = 112, 14            # 8×8 = 64 image tokens
TEXT_LAYERS = 8                        # default drop layers: quarter points [2, 4, 6]
PROMPT = "USER: <image>\nWhat is shown in this picture? ASSISTANT:"

CORPUS = [
    "A chat between a curious human and an artificial intelligence assistant.",
    "The assistant gives helpful, detailed, and polite answers to the human's questions.",
    "USER: What is shown in this picture? ASSISTANT: A red square on a blue background.",
    "The picture shows a cat sitting on a wooden table next to a window.",
    "There are two dogs playing in the green grass under a bright sky.",
    "Describe the image in detail. The image shows a street with cars and people.",
    "What color is the car? The car is yellow. How many people are there? Three.",
    "[INST] What is in the image? [/INST] A bowl of fruit: apples, pears and grapes.",
] * 4


def make_tokenizer(folder, llava_hf=True):
    """A LLaMA-style BPE tokenizer (legacy Prepend/Replace normalizer, byte fallback); llava-hf adds
    <image> and <pad> as special tokens, the original layout has neither."""
    trainer_tok = Tokenizer(models.BPE(unk_token="<unk>"))
    trainer_tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=200, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    trainer_tok.train_from_iterator(CORPUS, trainer)
    trained = json.loads(trainer_tok.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    if llava_hf:
        fast.add_special_tokens({"additional_special_tokens": ["<image>"], "pad_token": "<pad>"})
    fast.save_pretrained(folder)
    return fast


def make_image():
    rng = np.random.default_rng(3)
    h, w = 120, 160
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 / w, y * 255 / h, (x + y) % 256], axis=-1)
    img[30:80, 40:100] = [220, 40, 40]
    img += rng.normal(0, 12, img.shape)
    img = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    img.save(os.path.join(HERE, "sample.png"))
    img.save(os.path.join(HERE, "sample.jpg"), quality=90)
    return Image.open(os.path.join(HERE, "sample.png"))


def randomize(model):
    for name, p in model.named_parameters():
        if "norm" in name or "layrnorm" in name:
            p.data.uniform_(0.7, 1.3) if name.endswith("weight") else p.data.uniform_(-0.1, 0.1)
        else:
            p.data.normal_(0, 0.15)


def random_model(model_class, config):
    """An eager-attention model of `config` with `randomize`d weights rounded to f16 values, and its state dict
    without RoPE / position-id buffers."""
    for c in (config, config.text_config, config.vision_config):
        c._attn_implementation = "eager"
    model = model_class(config).eval()
    randomize(model)
    for p in model.parameters():
        p.data = p.data.half().float()
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if "rotary_emb" not in k and "position_ids" not in k}
    return model, state


def save(folder, state, config):
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.half().contiguous() for k, v in state.items()}, os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def hub_layout(state):
    """transformers 5 keys → the llava-hf Hub layout."""
    out = {}
    for k, v in state.items():
        k = k.replace("model.language_model.", "language_model.model.", 1)
        k = k.replace("model.vision_tower.", "vision_tower.vision_model.", 1)
        k = k.replace("model.multi_modal_projector.", "multi_modal_projector.", 1)
        k = "language_model.lm_head.weight" if k == "lm_head.weight" else k
        k = "image_newline" if k == "model.image_newline" else k
        out[k] = v
    return out


def original_layout(state, vocab=None, tower_inside=False):
    """transformers 5 keys → liuhaotian layout. LLaVA-1.5 keeps the vision tower in a separate CLIP
    folder (returned second, `vision_model.*`); LLaVA-NeXT keeps it inside
    (`model.vision_tower.vision_tower.vision_model.*`) with `model.image_newline`. With `vocab`, the
    embedding and head rows are cut to the unpadded vocabulary."""
    lm, clip = {}, {}
    for k, v in state.items():
        if k.startswith("model.vision_tower."):
            rest = k[len("model.vision_tower."):]
            if tower_inside:
                lm["model.vision_tower.vision_tower.vision_model." + rest] = v
            else:
                clip["vision_model." + rest] = v
        elif k.startswith("model.language_model."):
            lm["model." + k[len("model.language_model."):]] = v
        elif k.startswith("model.multi_modal_projector.linear_"):
            i = {"1": "0", "2": "2"}[k[len("model.multi_modal_projector.linear_")]]
            lm[f"model.mm_projector.{i}." + k.rsplit(".", 1)[1]] = v
        elif k in ("lm_head.weight", "model.image_newline"):
            lm[k] = v
    if vocab is not None:
        lm["model.embed_tokens.weight"] = lm["model.embed_tokens.weight"][:vocab].clone()
        lm["lm_head.weight"] = lm["lm_head.weight"][:vocab].clone()
    return lm, clip


def tokenizer_image_token(tokenizer, prompt, marker=-200):
    """The original repo's llava.mm_utils.tokenizer_image_token."""
    chunks = [tokenizer(c).input_ids for c in prompt.split("<image>")]
    ids, offset = [], 0
    if chunks and chunks[0] and chunks[0][0] == tokenizer.bos_token_id:
        offset = 1
        ids.append(chunks[0][0])
    sep = [marker] * (offset + 1)
    inter = [e for sub in zip(chunks, [sep] * len(chunks)) for e in sub][:-1]
    for x in inter:
        ids.extend(x[offset:])
    return ids


@torch.no_grad()
def main():
    hf = os.path.join(HERE, "tiny-llava-hf")
    for d in ["tiny-llava-hf", "tiny-llava-hf-v5", "tiny-llava-hf-new", "tiny-llava-original", "tiny-clip"]:
        shutil.rmtree(os.path.join(HERE, d), ignore_errors=True)
    tokenizer = make_tokenizer(hf)
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    pad_id = tokenizer.convert_tokens_to_ids("<pad>")
    real_vocab = len(tokenizer) - 2            # the last two ids are the added <pad> and <image>
    padded_vocab = (len(tokenizer) + 63) // 64 * 64

    text = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=TEXT_LAYERS, num_attention_heads=4,
                       num_key_value_heads=4, vocab_size=padded_vocab, rms_norm_eps=1e-5, max_position_embeddings=512,
                       pad_token_id=pad_id, bos_token_id=1, eos_token_id=2)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                              image_size=IMAGE_SIZE, patch_size=PATCH, projection_dim=32, hidden_act="quick_gelu")
    config = LlavaConfig(text_config=text, vision_config=vision, image_token_index=image_id, pad_token_id=pad_id,
                         image_seq_length=(IMAGE_SIZE // PATCH) ** 2, vision_feature_layer=-2,
                         vision_feature_select_strategy="default", projector_hidden_act="gelu")
    config._attn_implementation = "eager"
    model, state = random_model(LlavaForConditionalGeneration, config)

    processor = LlavaProcessor(image_processor=CLIPImageProcessorPil(size={"shortest_edge": IMAGE_SIZE},
                                                                     crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}),
                               tokenizer=tokenizer, patch_size=PATCH, vision_feature_select_strategy="default",
                               num_additional_image_tokens=1)
    processor.image_processor.save_pretrained(hf)

    # llava-hf Hub layout (with the tokenizer) and the transformers 5 layout.
    save(hf, hub_layout(state), config.to_dict())
    copy.deepcopy(model).half().save_pretrained(os.path.join(HERE, "tiny-llava-hf-v5"))  # a copy: half() also rounds RoPE buffers
    save(os.path.join(HERE, "tiny-llava-hf-new"), state, config.to_dict())
    for folder in ["tiny-llava-hf-v5", "tiny-llava-hf-new"]:
        for f in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json"]:
            if os.path.exists(os.path.join(hf, f)):
                shutil.copy(os.path.join(hf, f), os.path.join(HERE, folder, f))

    # Original layout: flat config, vocabulary without the added tokens, separate CLIP folder.
    orig, clip = original_layout(state, real_vocab)
    clip_dir = os.path.join(HERE, "tiny-clip")
    save(clip_dir, clip, {"model_type": "clip_vision_model", **vision.to_dict()})
    flat = {k: v for k, v in text.to_dict().items() if k not in ("pad_token_id",)}
    flat.update({"architectures": ["LlavaLlamaForCausalLM"], "model_type": "llava", "vocab_size": real_vocab,
                 "mm_vision_tower": "../tiny-clip", "mm_hidden_size": 32, "mm_projector_type": "mlp2x_gelu",
                 "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch", "image_aspect_ratio": "pad",
                 "mm_use_im_start_end": False, "mm_use_im_patch_token": False})
    orig_dir = os.path.join(HERE, "tiny-llava-original")
    save(orig_dir, orig, flat)
    orig_tok = make_tokenizer(orig_dir, llava_hf=False)

    image = make_image()
    inputs = processor(images=image, text=PROMPT, return_tensors="pt")
    ids, pixels = inputs["input_ids"][0], inputs["pixel_values"]
    out = model(input_ids=ids[None], pixel_values=pixels)
    exp = {"input_ids": ids, "pixel_values": pixels[0], "logits_last": out.logits[0, -1],
           "tokenizer_size": torch.tensor([len(tokenizer)])}
    # Ids past the tokenizer (llava-hf's padded embedding rows) are never sampled.
    gen = model.generate(input_ids=ids[None], pixel_values=pixels, max_new_tokens=16, do_sample=False,
                         eos_token_id=None, pad_token_id=pad_id, min_new_tokens=16,
                         suppress_tokens=list(range(len(tokenizer), padded_vocab)))
    exp["greedy_ids"] = gen[0, ids.shape[0]:]

    # PyramidDrop (quarter points, λ = 0.5) and FastV (K = 2, R = 0.5) on the language model.
    lm = model.model.language_model
    embeds = lm.embed_tokens(ids)
    features = model.get_image_features(pixel_values=pixels)
    features = features.pooler_output if hasattr(features, "pooler_output") else features
    features = torch.cat(list(features)) if isinstance(features, (list, tuple)) else features.reshape(-1, text.hidden_size)
    is_image = ids == image_id
    embeds = embeds.clone()
    embeds[is_image] = features
    n = int(is_image.sum())
    exp["image_features"] = features

    class Causal:  # the attributes pruned_forward reads
        pass
    causal = Causal()
    causal.model, causal.lm_head, causal.config = lm, model.lm_head, text
    plans = {
        "pdrop": {"boundaries": [2, 4, 6], "keep": [math.floor(n * r) for r in [0.5, 0.25, 0.125]],
                  "scoring": "next", "renumber": True},
        "fastv": {"boundaries": [2], "keep": [round(n * 0.5)], "scoring": "previous", "renumber": False},
    }
    for name, plan in plans.items():
        kept, logits, greedy = pruned_greedy(causal, embeds, is_image, plan, 8, eligible=len(tokenizer))
        for s, k in enumerate(kept):
            exp[f"{name}_kept_{s}"] = k
        exp[f"{name}_logits"] = logits
        exp[f"{name}_greedy"] = greedy

    # The original layout's llava_v1 prompt, tokenised the original way (chunks around <image>).
    system = ("A chat between a curious human and an artificial intelligence assistant. The assistant gives "
              "helpful, detailed, and polite answers to the human's questions.")
    orig_prompt = f"{system} USER: <image>\nWhat is shown in this picture? ASSISTANT:"
    marked = tokenizer_image_token(orig_tok, orig_prompt)
    exp["original_ids_marked"] = torch.tensor(marked)
    pad_color = tuple(int(x * 255) for x in processor.image_processor.image_mean)
    w, h = image.size
    square = Image.new("RGB", (max(w, h), max(w, h)), pad_color)
    square.paste(image, ((max(w, h) - w) // 2, (max(w, h) - h) // 2))
    orig_pixels = processor.image_processor(square, return_tensors="pt")["pixel_values"]
    expanded = []
    for t in marked:
        expanded.extend([image_id] * n if t == -200 else [t])
    out = model(input_ids=torch.tensor(expanded)[None], pixel_values=orig_pixels)
    exp["original_pixel_values"] = orig_pixels[0]
    exp["original_logits_last"] = out.logits[0, -1, :real_vocab]

    save_file({k: v.detach().clone().contiguous() for k, v in exp.items()}, os.path.join(HERE, "expected.safetensors"),
              metadata={"format": "pt"})
    print("image token id", image_id, "tokens", n, "prompt length", len(ids), "vocab", len(tokenizer), padded_vocab)


if __name__ == "__main__":
    main()
