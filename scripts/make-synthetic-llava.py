#!/usr/bin/env python3
"""Writes a llava-hf folder of LLaVA-1.5-7B shapes (CLIP ViT-L/14-336, Vicuna-7B layers) with random
bf16 weights, for serving and load measurements at real sizes without downloading a checkpoint.
The answers are noise; the shapes, bytes and FLOPs are the real model's.

    venv/bin/python scripts/make-synthetic-llava.py OUT_DIR [--layers 4]

Needs torch, transformers, safetensors (the fixture venv). The tokenizer is the tiny fixture's
(512 ids), so only those ids are ever sampled; the embedding table has the real 32064 rows."""
import argparse, json, os, shutil, tempfile

import torch
from safetensors.torch import save_file
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

TINY = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "llava", "tiny-llava-hf")

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--layers", type=int, default=4)
args = parser.parse_args()

vision = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                          image_size=336, patch_size=14, projection_dim=768, hidden_act="quick_gelu")
text = LlamaConfig(hidden_size=4096, intermediate_size=11008, num_hidden_layers=args.layers, num_attention_heads=32,
                   num_key_value_heads=32, vocab_size=32064, max_position_embeddings=4096, rms_norm_eps=1e-5)
tiny = json.load(open(os.path.join(TINY, "config.json")))
config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=tiny["image_token_index"],
                     pad_token_id=tiny["pad_token_id"], vision_feature_layer=-2, vision_feature_select_strategy="default",
                     image_seq_length=576, projector_hidden_act="gelu")
with torch.device("meta"):
    model = LlavaForConditionalGeneration(config)

generator = torch.Generator().manual_seed(0)
tensors = {}
for name, meta in model.state_dict().items():
    if name.endswith("norm.weight") or "layer_norm" in name or "layernorm" in name:
        value = torch.ones(meta.shape) if name.endswith("weight") else torch.zeros(meta.shape)
    elif name.endswith("bias"):
        value = torch.zeros(meta.shape)
    else:
        value = torch.empty(meta.shape).normal_(0, 0.02, generator=generator)
    tensors[name] = value.to(torch.bfloat16).contiguous()

staging = tempfile.mkdtemp(prefix=".synthetic-", dir=os.path.dirname(os.path.abspath(args.out)) or ".")
save_file(tensors, os.path.join(staging, "model.safetensors"), metadata={"format": "pt"})
config_json = config.to_dict()
config_json["dtype"] = "bfloat16"
json.dump(config_json, open(os.path.join(staging, "config.json"), "w"), indent=2)
for name in ["tokenizer.json", "tokenizer_config.json"]:
    shutil.copy(os.path.join(TINY, name), staging)
processor = json.load(open(os.path.join(TINY, "preprocessor_config.json")))
processor["crop_size"] = {"height": 336, "width": 336}
processor["size"] = {"shortest_edge": 336}
json.dump(processor, open(os.path.join(staging, "preprocessor_config.json"), "w"), indent=2)
os.chmod(staging, 0o755)
os.chmod(os.path.join(staging, "model.safetensors"), 0o644)
if os.path.exists(args.out):
    shutil.rmtree(args.out)
os.rename(staging, args.out)
print(f"wrote {args.out}: {sum(t.numel() for t in tensors.values()) / 1e9:.2f} B parameters, {args.layers} decoder layers")
