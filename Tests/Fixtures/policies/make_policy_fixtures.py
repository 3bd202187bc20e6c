#!/usr/bin/env python3
"""Reference outputs of the visual-token pruning policies (FasterVLM, VisionZip, DivPrune, DART) on the
committed tiny LLaVA-1.5 and LLaVA-NeXT checkpoints, made with Hugging Face transformers (eager, f32).

Run from the repository root with the project venv:
    cd /work/main && venv/bin/python Tests/Fixtures/policies/make_policy_fixtures.py

Reads (never rewrites) llava/tiny-llava-hf + llava/sample.png and llava-next/tiny-next-vicuna +
llava-next/{wide,tall}.png. The selections come from the ports next to this script (port_*.py, each a
re-implementation of the official code with citations; specs in /tmp/specs/*.md).

Writes next to this script:
  expected.safetensors  per case C (see cases.json):
      C_sources   I64 [kept]  per image row entering the decoder (DART: entering layer 2), the index of the
                  image token it is in the unpruned model's numbering (LLaVA-1.5: patch 0..63; NeXT: index
                  in transformers' packed block, i.e. base 0..15, then the unpadded grid with a newline row
                  after each grid row); -1 for CLS rows, merged (contextual) rows and padded tile patches
      C_features  F32 [kept, 32]  those rows (projector output; pre-LLM policies only)
      C_logits    F32 [vocab]  last prefill logits;  C_greedy  I64 [8]  greedy ids over the first len(tokenizer)
    per model M in {llava, next_wide, next_tall}: M_input_ids (processor-expanded), M_none_logits (unpruned
    logits through the same harness; equal to the plain model's within 1e-5)
  cases.json  [{"name", "model", "image", "prompt", "policy", "budget"}], paths relative to Tests/Fixtures
"""
import json
import os
import sys

import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import (AutoTokenizer, LlavaForConditionalGeneration, LlavaNextForConditionalGeneration,
                          LlavaNextProcessor, LlavaProcessor)
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
from transformers.models.llava_next.modeling_llava_next import get_anyres_image_grid_shape, image_size_to_num_patches

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
for sub in ("models", "llava", "llava-next"):
    sys.path.insert(0, os.path.join(FIXTURES, sub))
sys.path.insert(0, HERE)
from make_llava_fixtures import PROMPT  # noqa: E402
from make_llava_next_fixtures import TEMPLATES  # noqa: E402
from make_model_fixtures import pruned_greedy, run_layer  # noqa: E402
from port_dart import dart_keep_indices, dart_select, dart_token_topk, llama_rope  # noqa: E402
from port_divprune import divprune_keep_indices, divprune_select  # noqa: E402
from port_fastervlm import fastervlm_next_layout, fastervlm_select  # noqa: E402
from port_visionzip import visionzip_next_layout, visionzip_select, visionzip_split  # noqa: E402

GREEDY, DART_K = 8, 2
NO_DROP = {"boundaries": [], "keep": [], "scoring": "next", "renumber": True}  # pruned_forward without drops
MODELS = {  # key: (folder, image, prompt, policies as (policy, budget))
    "llava": ("llava/tiny-llava-hf", "llava/sample.png", PROMPT,
              [("fastervlm", 16), ("fastervlm", 40), ("visionzip", 16), ("visionzip", 24),
               ("divprune", 16), ("divprune", 40), ("dart", 16), ("dart", 40)]),
    **{f"next_{name}": ("llava-next/tiny-next-vicuna", f"llava-next/{name}.png", TEMPLATES["vicuna"],
                        [("fastervlm", 4), ("visionzip", 8), ("divprune", 24), ("dart", 24)])
       for name in ("wide", "tall")},
}


class Causal:  # the attributes make_model_fixtures.pruned_forward / run_layer read
    def __init__(self, model):
        self.model, self.lm_head, self.config = model.model.language_model, model.lm_head, model.config.text_config


def load(folder):
    """The committed checkpoint (eager, f32) and its processor, built as the fixture scripts build it."""
    path = os.path.join(FIXTURES, folder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    common = dict(tokenizer=tokenizer, patch_size=14, vision_feature_select_strategy="default",
                  num_additional_image_tokens=1)
    if "next" in folder:
        model = LlavaNextForConditionalGeneration.from_pretrained(path, attn_implementation="eager", dtype=torch.float32)
        processor = LlavaNextProcessor(image_processor=LlavaNextImageProcessorPil.from_pretrained(path), **common)
    else:
        model = LlavaForConditionalGeneration.from_pretrained(path, attn_implementation="eager", dtype=torch.float32)
        processor = LlavaProcessor(image_processor=CLIPImageProcessorPil.from_pretrained(path), **common)
    return model.eval(), processor, tokenizer


def vision(model, pixels):
    """Per crop: feature-layer output hidden_states[-2] [C, 1+N, Dv] (CLS row 0, before post_layernorm),
    its attention probabilities attentions[-2] [C, H, 1+N, 1+N], and that layer's k_proj output [C, 1+N, Dv]."""
    tower = model.model.vision_tower
    layer = getattr(tower, "vision_model", tower).encoder.layers[-2]  # index num_layers-2
    keys = {}
    hook = layer.self_attn.k_proj.register_forward_hook(lambda m, i, o: keys.__setitem__("k", o))
    out = tower(pixels, output_attentions=True, output_hidden_states=True)
    hook.remove()
    return out.hidden_states[-2], out.attentions[-2], keys["k"]


def image_span(ids, image_id):
    pos = (ids == image_id).nonzero().flatten()
    start, n = int(pos[0]), len(pos)
    assert torch.equal(pos, torch.arange(start, start + n)), "image tokens must be one contiguous span"
    return start, n


def splice(lm, ids, start, n, rows):
    """Prompt embeddings with the image span [start, start+n) replaced by `rows` (positions renumbered later)."""
    emb = lm.embed_tokens(ids)
    return torch.cat([emb[:start], rows, emb[start + n:]])


def source_map(model, sizes, crops, side):
    """(crop * side² + patch) -> index in transformers' packed image block (base, unpadded grid, newlines),
    found by packing the codes themselves with model.pack_image_features; padded tile patches are absent."""
    if crops == 1:
        return {p: p for p in range(side * side)}
    codes = torch.arange(crops * side * side, dtype=torch.float32).view(crops, side * side, 1)
    packed, _ = model.model.pack_image_features([codes], sizes, "default", image_newline=torch.tensor([-1.0]))
    return {int(c): i for i, c in enumerate(packed[0][:, 0].tolist()) if c >= 0}


def dart_forward(causal, embeds, start, n, topk, extra_ids=()):
    """DART in the decoder: layers 0..K-1 on the full prompt; after layer K-1, port_dart.dart_select on
    lm.norm(layer K-1 output) and layer K-1's post-RoPE keys; layers >= K on port_dart.dart_keep_indices rows
    with their original positions. Decode tokens (positions L+t) are appended to every layer's rows, as
    make_model_fixtures.pruned_forward does. Returns (retained image positions, last logits)."""
    lm = causal.model
    L = embeds.shape[0]
    hidden, positions = embeds[None], torch.arange(L)
    tail = lm.embed_tokens(torch.tensor(list(extra_ids), dtype=torch.long))[None]
    retained = layer_input = None
    for i in range(len(lm.layers)):
        if i == DART_K - 1:
            layer_input = hidden
        if i == DART_K:
            attn = lm.layers[DART_K - 1].self_attn
            x = lm.layers[DART_K - 1].input_layernorm(layer_input)
            k = attn.k_proj(x)
            hd = attn.head_dim
            k_heads = k.view(1, L, -1, hd).transpose(1, 2)
            cos, sin = lm.rotary_emb(x, positions[None])
            keys = apply_rotary_pos_emb(k_heads, k_heads, cos, sin)[1][0]  # [H, L, hd] after RoPE
            assert torch.allclose(keys, llama_rope(k[0], positions, hd), atol=1e-5)  # port_dart.llama_rope agrees
            retained = dart_select(lm.norm(hidden[0]), keys, start, n, topk)  # port_dart.dart_select
            keep = dart_keep_indices(L, start, n, retained)                   # port_dart.dart_keep_indices
            hidden, positions = hidden[:, keep], keep                          # original positions kept
        seq = torch.cat([hidden, tail], dim=1)
        pos = torch.cat([positions, L + torch.arange(tail.shape[1])])
        out = run_layer(causal, i, seq, pos)  # make_model_fixtures.run_layer
        hidden, tail = out[:, :hidden.shape[1]], out[:, hidden.shape[1]:]
    logits = causal.lm_head(lm.norm(torch.cat([hidden, tail], dim=1)))[0, -1]
    return retained, logits


def dart_greedy(causal, embeds, start, n, topk, eligible):
    retained, first = dart_forward(causal, embeds, start, n, topk)
    ids, logits = [], first
    for _ in range(GREEDY):
        ids.append(int(logits[:eligible].argmax()))
        again, logits = dart_forward(causal, embeds, start, n, topk, ids)
        assert torch.equal(again, retained)  # selection is prefill-only; causal rows do not see decode tokens
    return retained, first, torch.tensor(ids)


def pre_llm_rows(policy, budget, hidden, attn, keys, grid, smap, side):
    """FasterVLM / VisionZip rows (tower space) in the official packed order, and their sources."""
    crops, heads = hidden.shape[0], attn.shape[1]
    nph, npw = grid
    src = lambda c, p: smap.get(c * side * side + p, -1)  # noqa: E731
    if policy == "fastervlm":
        # port_fastervlm.fastervlm_select per crop (same k for every crop), port_fastervlm.fastervlm_next_layout
        kept = [fastervlm_select(attn[c, :, 0, :], budget) for c in range(crops)]
        layout = fastervlm_next_layout(kept, grid_w=npw, grid_h=nph, side=side)
        return torch.stack([hidden[c, 1 + p] for c, p in layout]), [src(c, p) for c, p in layout]
    dominant = round(budget * 27 / 32)  # includes CLS; Python round
    assert visionzip_split(budget)[:2] == (dominant, budget - dominant)
    # port_visionzip.visionzip_select per crop, port_visionzip.visionzip_next_layout (no unpad, no newline)
    res = [visionzip_select(hidden[c], attn[c, :, 0, :], keys[c], dominant, budget - dominant, num_heads=heads)
           for c in range(crops)]
    layout = visionzip_next_layout(res, npw, nph, side, unpad_single_newline=False)
    rows = torch.stack([res[c].tokens[r] for c, r in layout])
    sources = []
    for c, r in layout:
        s = res[c].sources[r]
        sources.append(-1 if s is None or s == 0 else src(c, s - 1))
    return rows, sources


@torch.no_grad()
def run_model(key, exp, cases):
    folder, image_path, prompt, policies = MODELS[key]
    model, processor, tokenizer = load(folder)
    causal, lm, eligible = Causal(model), model.model.language_model, len(tokenizer)
    image = Image.open(os.path.join(FIXTURES, image_path)).convert("RGB")
    inputs = processor(images=image, text=prompt, return_tensors="pt")
    ids, pixels = inputs["input_ids"][0], inputs["pixel_values"]
    image_id = model.config.image_token_index
    start, n = image_span(ids, image_id)
    is_image = ids == image_id
    side = model.config.vision_config.image_size // model.config.vision_config.patch_size
    next_model = "next" in key
    if next_model:
        sizes = inputs["image_sizes"]
        crops = image_size_to_num_patches(sizes[0], model.config.image_grid_pinpoints, model.config.vision_config.image_size)
        grid = get_anyres_image_grid_shape(sizes[0], model.config.image_grid_pinpoints, model.config.vision_config.image_size)
        extra = {"image_sizes": sizes}
        crop_pixels = pixels[0, :crops]
    else:
        crops, grid, extra, crop_pixels = 1, (1, 1), {}, pixels
    assert crops > 0 and (crops == 1 or crops == 1 + grid[0] * grid[1])
    plain = model(input_ids=ids[None], pixel_values=pixels, **extra).logits[0, -1]

    # The unpruned image rows (inputs_embeds at the image positions) and the harness check.
    feats = model.model.get_image_features(pixel_values=pixels, **extra)
    feats = feats.pooler_output if hasattr(feats, "pooler_output") else feats
    feats = torch.cat(list(feats)) if isinstance(feats, (list, tuple)) else feats
    feats = feats.reshape(-1, causal.config.hidden_size)
    assert feats.shape[0] == n
    full = splice(lm, ids, start, n, feats)
    _, none_logits, _ = pruned_greedy(causal, full, is_image, NO_DROP, 0, eligible=eligible)
    diff = float((none_logits - plain).abs().max())
    assert diff < 1e-5, diff
    exp[f"{key}_input_ids"], exp[f"{key}_none_logits"] = ids, none_logits

    hidden, attn, keys = vision(model, crop_pixels)
    smap = source_map(model, extra.get("image_sizes"), crops, side)
    assert len(smap) == n - (0 if crops == 1 else int(torch.isclose(feats, model.model.image_newline).all(-1).sum()))
    projected = model.model.multi_modal_projector(hidden[:, 1:])
    for code, index in smap.items():  # the tower run and the source map reproduce the model's packed rows
        assert torch.allclose(projected[code // (side * side), code % (side * side)], feats[index], atol=1e-5)

    for policy, budget in policies:
        name = f"{key}_{policy}_{budget}"
        if policy == "dart":  # in-LLM; port_dart.dart_token_topk in its NeXT form, min(budget, n-4)//8
            topk = dart_token_topk(n, llava_next=True, retain_token_num_for_llava_next=budget)
            assert topk == min(budget, n - 4) // 8
            retained, logits, greedy = dart_greedy(causal, full, start, n, topk, eligible)
            sources, expect = (retained - start).tolist(), 4 + 8 * topk
        else:  # pre-LLM: the selected rows replace the image span, positions 0..L'-1
            if policy == "divprune":
                sel = divprune_select(feats, budget).sort().values             # port_divprune.divprune_select
                embeds = full[divprune_keep_indices(len(ids), start, n, sel)]  # port_divprune.divprune_keep_indices
                features, sources, expect = feats[sel], sel.tolist(), budget
            else:
                rows, sources = pre_llm_rows(policy, budget, hidden, attn, keys, grid, smap, side)
                features = model.model.multi_modal_projector(rows)
                embeds, expect = splice(lm, ids, start, n, features), budget * crops
            mask = torch.zeros(embeds.shape[0], dtype=torch.bool)
            mask[start:start + features.shape[0]] = True
            # make_model_fixtures.pruned_greedy without drops renumbers: prompt 0..L'-1, decode L'+t
            _, logits, greedy = pruned_greedy(causal, embeds, mask, NO_DROP, GREEDY, eligible=eligible)
            exp[f"{name}_features"] = features
        assert len(sources) == expect, (name, len(sources), expect)
        exp[f"{name}_sources"] = torch.tensor(sources, dtype=torch.long)
        exp[f"{name}_logits"], exp[f"{name}_greedy"] = logits, greedy
        cases.append({"name": name, "model": folder, "image": image_path, "prompt": prompt, "policy": policy,
                      "budget": budget})
        print(f"{name:26s} kept {len(sources):3d}  sources {sources[:10]}{' ...' if len(sources) > 10 else ''}")
    print(f"{key}: {crops} crop(s), grid {grid}, image tokens {n}, prompt length {len(ids)}, none diff {diff:.1e}")
    return ids, pixels, plain


def check_against_committed(produced):
    """The loaded checkpoints and processors reproduce what the llava / llava-next scripts wrote."""
    llava = load_file(os.path.join(FIXTURES, "llava", "expected.safetensors"))
    ids, pixels, plain = produced["llava"]
    assert torch.equal(ids, llava["input_ids"]) and torch.equal(pixels[0], llava["pixel_values"])
    assert torch.allclose(plain, llava["logits_last"], atol=1e-4)
    nxt = load_file(os.path.join(FIXTURES, "llava-next", "expected.safetensors"))
    for name in ("wide", "tall"):
        ids, pixels, plain = produced[f"next_{name}"]
        assert torch.equal(ids, nxt[f"vicuna_{name}_input_ids"]) and torch.equal(pixels[0], nxt[f"{name}_pixel_values"])
        assert torch.allclose(plain, nxt[f"vicuna_{name}_logits"], atol=1e-4)


def main():
    exp, cases, produced = {}, [], {}
    for key in MODELS:
        produced[key] = run_model(key, exp, cases)
    check_against_committed(produced)
    for k, v in exp.items():
        assert v.dtype == (torch.long if k.endswith(("_sources", "_greedy", "_input_ids")) else torch.float32), k
    save_file({k: v.detach().clone().contiguous() for k, v in exp.items()}, os.path.join(HERE, "expected.safetensors"),
              metadata={"format": "pt"})
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(cases, f, indent=2)
        f.write("\n")
    print(f"wrote {len(exp)} tensors, {len(cases)} cases")


if __name__ == "__main__":
    main()
