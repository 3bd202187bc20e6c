#!/usr/bin/env python3
"""Parity fixtures for the Transformer and PyramidDrop modules, made with Hugging Face transformers.

Run by hand in a venv (`pip install torch transformers safetensors numpy`), from any folder:
    python Tests/Fixtures/models/make_model_fixtures.py
Writes, next to this script, tiny random models (config.json + model.safetensors) and
`expected.safetensors` files holding inputs and the reference outputs the Swift tests compare with.
The models up to CLIP draw from one random stream seeded at import; Qwen2 (and any model added
later) seeds its own after them, so adding a model leaves the others' committed files byte-identical.

The PyramidDrop / FastV references below implement the rank-and-drop step exactly as DESIGN.md
describes the official code (Cooperx521/PyramidDrop `pdrop_rank_drop`, FastV's pruning), on top of
transformers' own decoder-layer modules.
"""
import json
import math
import os

import torch
from safetensors.torch import save_file
from transformers import (CLIPVisionConfig, CLIPVisionModel, LlamaConfig, LlamaForCausalLM,
                          MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig,
                          SiglipVisionModel)

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


def save_model(model, folder, dtype=torch.float32):
    path = os.path.join(HERE, folder)
    os.makedirs(path, exist_ok=True)
    tied = {"lm_head.weight"} if getattr(model.config, "tie_word_embeddings", False) else set()
    state = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()
             if not k.endswith("rotary_emb.inv_freq") and k not in tied}  # a tied head is the embedding table
    save_file(state, os.path.join(path, "model.safetensors"), metadata={"format": "pt"})
    config = model.config.to_dict()
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    return path


def save_expected(folder, tensors):
    save_file({k: v.detach().clone().contiguous() for k, v in tensors.items()},
              os.path.join(HERE, folder, "expected.safetensors"), metadata={"format": "pt"})


def greedy(model, ids, n):
    out = model.generate(ids[None], max_new_tokens=n, do_sample=False, eos_token_id=None, pad_token_id=0,
                         min_new_tokens=n)
    return out[0, ids.shape[0]:]


# ---------------------------------------------------------------------------------------------
# PyramidDrop / FastV reference on transformers decoder layers (eager attention, f32).

def causal_mask(n_query, n_key):
    """Additive mask: query row i (the last n_query of n_key tokens) sees keys 0..n_key-n_query+i."""
    mask = torch.full((n_query, n_key), float("-inf"))
    offset = n_key - n_query
    for i in range(n_query):
        mask[i, : offset + i + 1] = 0
    return mask[None, None]


def last_token_attention(model, layer_index, hidden, positions):
    """Mean-over-heads softmax attention of the last row over all rows, with layer `layer_index`'s
    own input norm, q/k projections and RoPE (GQA: each query head uses its KV group)."""
    layer = model.model.layers[layer_index]
    cfg = model.config
    hd = cfg.hidden_size // cfg.num_attention_heads if getattr(cfg, "head_dim", None) is None else cfg.head_dim
    x = layer.input_layernorm(hidden)
    n = x.shape[1]
    q = layer.self_attn.q_proj(x).view(1, n, cfg.num_attention_heads, hd).transpose(1, 2)
    k = layer.self_attn.k_proj(x).view(1, n, cfg.num_key_value_heads, hd).transpose(1, 2)
    cos, sin = model.model.rotary_emb(x, positions[None])
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb, repeat_kv
    q, k = apply_rotary_pos_emb(q, k, cos, sin)
    k = repeat_kv(k, cfg.num_attention_heads // cfg.num_key_value_heads)
    scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(hd) + causal_mask(n, n)
    probs = torch.softmax(scores.float(), dim=-1)
    return probs.mean(dim=1)[0, -1]  # [n]


def run_layer(model, index, hidden, positions):
    layer = model.model.layers[index]
    pe = model.model.rotary_emb(hidden, positions[None])
    n = hidden.shape[1]
    return layer(hidden, attention_mask=causal_mask(n, n), position_ids=positions[None], position_embeddings=pe)


def pruned_forward(model, embeds, is_image, plan, extra_ids=(), image_of=None):
    """Runs the prompt (`embeds` [L, d]) through the layers with drops, then the generated tokens.

    plan: {"boundaries": [...], "keep": [...], "scoring": "next"|"previous", "renumber": bool}.
    Decode tokens are appended to every layer's sequence (no re-ranking): position = the layer's
    token count (renumber) or last prompt position + 1 + t (original). Without a KV cache the whole
    sequence is recomputed, which equals the cached computation because attention is causal.
    With `image_of` ([L] ints: each token's image number, -1 for text) every image is ranked on its
    own at a boundary: plan["keep"][s] is then a list with each image's budget, and each image keeps
    its top tokens among its own alive rows (our `PerImagePolicy`).
    Returns (kept image indices per stage, logits of the last position).
    """
    L = embeds.shape[0]
    hidden = embeds[None]
    positions = torch.arange(L)
    image_index = torch.full((L,), -1, dtype=torch.long)
    image_index[is_image] = torch.arange(int(is_image.sum()))
    group = image_of.clone() if image_of is not None else torch.full((L,), -1, dtype=torch.long)
    extra = model.model.embed_tokens(torch.tensor(list(extra_ids), dtype=torch.long))[None] if extra_ids else None
    kept_per_stage = []
    prev_input = None
    for i in range(len(model.model.layers)):
        if i in plan["boundaries"]:
            s = plan["boundaries"].index(i)
            groups = [(image_index >= 0, plan["keep"][s])] if image_of is None else \
                [(group == g, b) for g, b in enumerate(plan["keep"][s])]
            if any(b < int(m.sum()) for m, b in groups):
                if plan["scoring"] == "next":
                    attn = last_token_attention(model, i, hidden, positions)
                else:
                    attn = last_token_attention(model, i - 1, prev_input[0], prev_input[1])
                kept_rows = [(image_index < 0).nonzero().flatten()]
                for member, budget in groups:
                    rows_image = member.nonzero().flatten()
                    top = torch.topk(attn[rows_image], min(budget, len(rows_image))).indices
                    kept_rows.append(rows_image[top])
                keep = torch.cat(kept_rows).sort().values
                hidden = hidden[:, keep]
                image_index = image_index[keep]
                group = group[keep]
                positions = torch.arange(len(keep)) if plan["renumber"] else positions[keep]
            kept_per_stage.append(image_index[image_index >= 0].clone())
        if plan["scoring"] == "previous" and (i + 1) in plan["boundaries"]:
            prev_input = (hidden.clone(), positions.clone())
        # Decode tokens join the sequence of every layer after the prompt's own processing.
        seq, pos = hidden, positions
        if extra is not None:
            if i == 0:
                tail = extra
            n_prompt = hidden.shape[1]
            seq = torch.cat([hidden, tail], dim=1)
            if plan["renumber"]:
                pos = torch.arange(seq.shape[1])
            else:
                pos = torch.cat([positions, L + torch.arange(tail.shape[1])])
            out = run_layer(model, i, seq, pos)
            hidden, tail = out[:, :n_prompt], out[:, n_prompt:]
        else:
            hidden = run_layer(model, i, seq, pos)
    final = torch.cat([hidden, tail], dim=1) if extra is not None else hidden
    logits = model.lm_head(model.model.norm(final))[0, -1]
    return kept_per_stage, logits


def pruned_greedy(model, embeds, is_image, plan, n, eligible=None, image_of=None):
    """Greedy decoding over the first `eligible` ids (all if None)."""
    ids = []
    kept, logits = pruned_forward(model, embeds, is_image, plan, image_of=image_of)
    first_logits = logits
    for _ in range(n):
        ids.append(int(logits[:eligible].argmax()))
        _, logits = pruned_forward(model, embeds, is_image, plan, ids, image_of=image_of)
    return kept, first_logits, torch.tensor(ids)


def drop_fixtures(model, prefix):
    """A prompt of 10 text tokens, 24 image embeddings, 8 text tokens; PDrop [1,2,3] λ=0.5 and FastV."""
    d = model.config.hidden_size
    g = torch.Generator().manual_seed(1)
    text_ids = torch.randint(3, model.config.vocab_size, (18,), generator=g)
    text = model.model.embed_tokens(text_ids)
    image = torch.randn(24, d, generator=g) * 0.5
    embeds = torch.cat([text[:10], image, text[10:]])
    is_image = torch.zeros(embeds.shape[0], dtype=torch.bool)
    is_image[10:34] = True
    out = {f"{prefix}inputs_embeds": embeds, f"{prefix}image_range": torch.tensor([10, 34])}
    n = 24
    plans = {
        "pdrop": {"boundaries": [1, 2, 3], "keep": [math.floor(n * r) for r in [0.5, 0.25, 0.125]],
                  "scoring": "next", "renumber": True},
        "fastv": {"boundaries": [2], "keep": [round(n * (1 - 0.5))], "scoring": "previous", "renumber": False},
    }
    for name, plan in plans.items():
        kept, logits, ids = pruned_greedy(model, embeds, is_image, plan, 8)
        for s, k in enumerate(kept):
            out[f"{prefix}{name}_kept_{s}"] = k
        out[f"{prefix}{name}_logits"] = logits
        out[f"{prefix}{name}_greedy"] = ids
    # No drops through the same reference path: the plain model's last logits.
    _, logits = pruned_forward(model, embeds, is_image, {"boundaries": [], "keep": [], "scoring": "next", "renumber": True})
    out[f"{prefix}none_logits"] = logits
    return out


# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def main():
    # LLaMA (multi-head attention).
    llama_cfg = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=4,
                            num_key_value_heads=4, vocab_size=128, rms_norm_eps=1e-5, max_position_embeddings=256,
                            rope_theta=10000.0, tie_word_embeddings=False, attn_implementation="eager")
    llama = LlamaForCausalLM(llama_cfg).eval()
    for p in llama.parameters():  # larger weights than the default init make differences visible
        p.normal_(0, 0.2) if p.dim() == 2 else p.uniform_(0.6, 1.4)
    save_model(llama, "llama")
    ids = torch.randint(0, 128, (24,))
    exp = {"input_ids": ids, "logits": llama(ids[None]).logits[0]}
    exp["greedy_prompt"] = ids[:10]
    exp["greedy_ids"] = greedy(llama, ids[:10], 16)
    exp.update(drop_fixtures(llama, ""))
    save_expected("llama", exp)

    # The same weights stored as f16 and bf16; references computed from the rounded weights in f32.
    for dtype, name in [(torch.float16, "llama-f16"), (torch.bfloat16, "llama-bf16")]:
        rounded = LlamaForCausalLM(llama_cfg).eval()
        rounded.load_state_dict({k: v.to(dtype).float() for k, v in llama.state_dict().items()})
        save_model(llama, name, dtype)
        save_expected(name, {"input_ids": ids, "logits": rounded(ids[None]).logits[0]})

    # Mistral-style (grouped-query attention, 2 KV heads, rope_theta 1e6).
    mistral_cfg = MistralConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=4,
                                num_key_value_heads=2, vocab_size=128, rms_norm_eps=1e-5, rope_theta=1e6,
                                max_position_embeddings=256, sliding_window=None, tie_word_embeddings=False,
                                attn_implementation="eager")
    mistral = MistralForCausalLM(mistral_cfg).eval()
    for p in mistral.parameters():
        p.normal_(0, 0.2) if p.dim() == 2 else p.uniform_(0.6, 1.4)
    save_model(mistral, "mistral")
    ids = torch.randint(0, 128, (24,))
    exp = {"input_ids": ids, "logits": mistral(ids[None]).logits[0], "greedy_prompt": ids[:10],
           "greedy_ids": greedy(mistral, ids[:10], 16)}
    exp.update(drop_fixtures(mistral, ""))
    save_expected("mistral", exp)

    # CLIP vision tower (hidden state at vision_feature_layer -2) and the LLaVA projector.
    clip_cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                                image_size=28, patch_size=7, hidden_act="quick_gelu", layer_norm_eps=1e-5)
    clip = CLIPVisionModel(clip_cfg).eval()
    for p in clip.parameters():
        p.normal_(0, 0.2) if p.dim() >= 2 else p.uniform_(-0.2, 0.2)
    folder = save_model(clip, "clip")
    pixels = torch.randn(1, 3, 28, 28)
    hs = clip(pixel_values=pixels, output_hidden_states=True).hidden_states
    proj1, proj2 = torch.nn.Linear(32, 48), torch.nn.Linear(48, 48)
    feat = hs[-2][0, 1:]
    projected = proj2(torch.nn.functional.gelu(proj1(feat)))
    save_file({"linear_1.weight": proj1.weight.detach().contiguous(), "linear_1.bias": proj1.bias.detach().contiguous(),
               "linear_2.weight": proj2.weight.detach().contiguous(), "linear_2.bias": proj2.bias.detach().contiguous()},
              os.path.join(folder, "projector.safetensors"), metadata={"format": "pt"})
    save_expected("clip", {"pixel_values": pixels[0], "hidden_minus_2": hs[-2][0], "hidden_last": hs[-1][0],
                           "projected": projected})

    siglip_fixtures()
    make_qwen2()


def siglip_fixtures():
    """SigLIP vision tower (LLaVA-OneVision's): the hidden states at layers 0, -1 and -2 (never through
    post_layernorm, as transformers' hidden_states), the last hidden state through post_layernorm, and the
    k_proj output of the layers -1 and -2 stop at. The same weights at image_size 30 check the floor of
    image / patch (7 leaves 2 pixels uncovered, as 14 does of 384). Seeded on its own, so adding it left
    the other fixtures' bytes as they were. Tensors are saved under `vision_model.`, as checkpoints do."""
    torch.manual_seed(1)
    shape = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4, patch_size=7,
                 hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6, attn_implementation="eager")
    siglip = SiglipVisionModel(SiglipVisionConfig(image_size=28, **shape)).eval()
    for p in siglip.parameters():
        p.normal_(0, 0.2) if p.dim() >= 2 else p.uniform_(-0.2, 0.2)
    path = os.path.join(HERE, "siglip")
    os.makedirs(path, exist_ok=True)
    save_file({f"vision_model.{k}": v.detach().contiguous() for k, v in siglip.state_dict().items()},
              os.path.join(path, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(siglip.config.to_dict(), f, indent=2, sort_keys=True)
    keys = {}
    for i, layer in enumerate(siglip.encoder.layers):
        layer.self_attn.k_proj.register_forward_hook(lambda _m, _i, out, i=i: keys.__setitem__(i, out[0].clone()))
    pixels = torch.randn(1, 3, 28, 28)
    out = siglip(pixel_values=pixels, output_hidden_states=True)
    hs = out.hidden_states
    wider = SiglipVisionModel(SiglipVisionConfig(image_size=30, **shape)).eval()
    wider.load_state_dict(siglip.state_dict())
    pixels_30 = torch.randn(1, 3, 30, 30)
    save_expected("siglip", {"pixel_values": pixels[0], "hidden_0": hs[0][0], "hidden_minus_1": hs[-1][0],
                             "hidden_minus_2": hs[-2][0], "last_hidden_state": out.last_hidden_state[0],
                             "keys_minus_1": keys[2], "keys_minus_2": keys[1], "pixel_values_30": pixels_30[0],
                             "hidden_minus_1_30": wider(pixel_values=pixels_30, output_hidden_states=True).hidden_states[-1][0]})


def make_qwen2():
    """Qwen2 (biases on q/k/v only, GQA with 2 KV heads, rope_theta 1e6, head tied to the embeddings),
    from its own seed."""
    torch.manual_seed(2)
    cfg = Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=128, rms_norm_eps=1e-5, rope_theta=1e6,
                      max_position_embeddings=256, use_sliding_window=False, tie_word_embeddings=True,
                      attn_implementation="eager")
    qwen2 = Qwen2ForCausalLM(cfg).eval()
    assert qwen2.lm_head.weight is qwen2.model.embed_tokens.weight
    for name, p in qwen2.named_parameters():  # biases as large as the weights, so a missing one shows
        p.normal_(0, 0.2) if p.dim() == 2 or name.endswith("bias") else p.uniform_(0.6, 1.4)
    save_model(qwen2, "qwen2")
    ids = torch.randint(0, 128, (24,))
    exp = {"input_ids": ids, "logits": qwen2(ids[None]).logits[0], "greedy_prompt": ids[:10],
           "greedy_ids": greedy(qwen2, ids[:10], 16)}
    exp.update(drop_fixtures(qwen2, ""))
    save_expected("qwen2", exp)


if __name__ == "__main__":
    main()
