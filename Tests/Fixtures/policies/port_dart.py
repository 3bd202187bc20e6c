#!/usr/bin/env python3
"""DART (Wen et al., "Stop Looking for Important Tokens ... Duplication Matters More", EMNLP 2025) for
LLaVA as pure torch functions, re-implemented from the official code.

Official repository: github.com/ZichenWen1/DART. The search tool had no snapshot of it; the code was
read from the fork github.com/xqy1111111/DART at commit 5a19452 (2025-08-31), the last commit there by
the author (Zichen Wen); the fork's own later commits touch only .gitignore, experiments/ and
scripts/classification/. Citations are "file:function:lines" at that commit.

  llava/model/language_model/modeling_llama_self.py : DART.forward (the prune)         : 331-359
  llava/model/language_model/modeling_llama_self.py : DART.get_retained_image_token      : 397-449
  llava/model/language_model/modeling_llama_self.py : LlamaDecoderLayer.forward outputs  : 962-995
  llava/model/language_model/modeling_llama_self.py : LlamaSdpaAttention.forward (keys)  : 861-912
  llava/model/language_model/llava_llama.py         : LlavaLlamaModel(…, DART)           : 45
  llava/eval/model_vqa_loader.py : configure_DART 18-34, text_length 127-129, CLI defaults 170-180
  scripts/v1_5/eval/*.sh and scripts/v1_6/eval/*.sh : --pruned_layer 2 --image_token_start_index 35
        --image_token_length 576 --pivot_image_token 4 --pivot_text_token 4 --attn_implementation sdpa,
        reduction_ratio=$1 max_num_trunction=$2 (README example: textvqa.sh 0.778 128)

When and on what (K = pruned_layer = 2):
  The check sits at the top of the loop iteration for decoder layer index K (0-based) and reads the
  outputs of layer K-1 (modeling_llama_self.py:337-342). So layers 0..K-1 run on the full prompt and
  layers K.. run on the kept tokens; in this runtime's terms it is a hook AFTER layer K-1 (= 1) whose
  first kept layer is K (= 2). Prefill only (seq_length > 1).

Input tensors (what a fixture generator on HF LlavaForConditionalGeneration supplies; one full
unpruned forward with output_hidden_states=True, use_cache=True is identical up to layer K-1):
  normed_hidden [L, D]  final RMSNorm of the OUTPUT of decoder layer K-1:
                        `lm.norm(out.hidden_states[K][0])` (HF hidden_states[0] = embeddings, [i] =
                        output of layer i-1; the model's final norm `norm`, not a layer's
                        input_layernorm) - modeling_llama_self.py:340-341. Used for cosine similarity.
  keys          [L, H*hd] or [H, L, hd]  layer K-1's keys AFTER RoPE (positions 0..L-1), i.e.
                        RoPE(k_proj(input_layernorm(hidden_states[K-1]))) - the tuple slot
                        layer_outputs[-2] = key_states (modeling_llama_self.py:342, 993; RoPE at
                        872-875 before being returned at 912). In HF: the layer K-1 entry of the
                        returned cache (`past_key_values[K-1][0][0]`, or `.layers[K-1].keys[0]` /
                        `.key_cache[K-1][0]` depending on the transformers version), or a k_proj
                        forward hook plus `llama_rope` below. The official eager/SDPA path returns keys
                        after repeat_kv (GQA); Vicuna-7B/13B have no GQA. Flattened per token as
                        heads-major [H, hd] -> H*hd (line 419); only the L1 norm of each row is used.
  dtype                 official runs are float16 (llava/model/builder.py:43; torch 2.1.2, transformers
                        4.37.2, pyproject.toml:16-17); every op here runs in the input dtype.
"""
from __future__ import annotations

import math

import torch

PRUNED_LAYER = 2          # --pruned_layer default and in every script
IMAGE_TOKEN_START = 35    # --image_token_start_index (vicuna_v1 prompt prefix length)
PIVOT_IMAGE, PIVOT_TEXT = 4, 4


def dart_token_topk(image_len: int, *, max_num_trunction: int | None = 128, reduction_ratio: float = 0.778,
                    pivot_image: int = PIVOT_IMAGE, pivot_text: int = PIVOT_TEXT, llava_next: bool = False,
                    retain_token_num_for_llava_next: int | None = 320) -> int:
    """Tokens each pivot adds (TOKEN_TOPK), modeling_llama_self.py:409 and 413-417.

    LLaVA-1.5: ceil(max_num_trunction // (p_img + p_txt)) = floor(N / 8); reduction_ratio is ignored
      whenever max_num_trunction is given (the scripts always give it; argparse type=int, no None).
      Only if it were None: ceil(image_len * (1 - reduction_ratio) // 8).
    LLaVA-NeXT (config.text_length set, model name containing '1.6'): int(min(320, image_len - p_img)
      // 8) = 40; max_num_trunction and reduction_ratio are then ignored (scripts never pass
      --retain_token_num_for_llava_next, so it is the CLI default 320).
    Retained image tokens = p_img + (p_img + p_txt) * TOKEN_TOPK, e.g. N=64 -> 68, 128 -> 132,
      192 -> 196, LLaVA-NeXT -> 324: the 4 image pivots come ON TOP of N.
    """
    groups = pivot_image + pivot_text
    if llava_next:
        retain = min(retain_token_num_for_llava_next, image_len - pivot_image)
        return int((retain if retain is not None else image_len * (1 - reduction_ratio)) // groups)
    base = max_num_trunction if max_num_trunction is not None else image_len * (1 - reduction_ratio)
    return math.ceil(base // groups)


def cpython_set_order(values: list[int]) -> list[int]:
    """Iteration order of `list(set(values))` in CPython 3.7-3.12 for non-negative ints below 2**61
    (hash(i) == i), emulating Objects/setobject.c: set_add_entry (slot = hash & mask, up to
    LINEAR_PROBES = 9 extra adjacent slots when they fit before the end of the table, else the
    perturbed step i = (5*i + 1 + (perturb >>= 5)) & mask), growth when fill*5 >= mask*3 to the
    smallest power of two > 4*used, re-inserting the old table in slot order (set_insert_clean).
    The official pivot loop iterates `list(indices_set)` (modeling_llama_self.py:429, 434), so the
    pivots are visited in this order, not in score order. Exposed so a non-Python port can copy it.
    """
    def insert(table: list, key: int) -> None:
        mask = len(table) - 1
        perturb, i = key, key & mask
        while True:
            if table[i] is None:
                table[i] = key
                return
            if i + 9 <= mask:
                for j in range(1, 10):
                    if table[i + j] is None:
                        table[i + j] = key
                        return
            perturb >>= 5
            i = (i * 5 + 1 + perturb) & mask

    table: list = [None] * 8
    used = 0
    for key in values:
        assert 0 <= key < (1 << 61)
        if key in table:
            continue
        insert(table, key)
        used += 1
        if used * 5 >= (len(table) - 1) * 3:
            size = 8
            while size <= used * 4:
                size <<= 1
            old, table = table, [None] * size
            for k in old:
                if k is not None:
                    insert(table, k)
    return [k for k in table if k is not None]


def _as_rows(keys: torch.Tensor) -> torch.Tensor:
    if keys.dim() == 4:
        keys = keys[0]
    if keys.dim() == 3:  # [H, L, hd] -> [L, H*hd] (line 419: permute(0,2,1,3).reshape)
        keys = keys.permute(1, 0, 2).reshape(keys.shape[1], -1)
    return keys


def dart_select(normed_hidden: torch.Tensor, keys: torch.Tensor, image_start: int, image_len: int,
                token_topk: int, pivot_image: int = PIVOT_IMAGE, pivot_text: int = PIVOT_TEXT) -> torch.Tensor:
    """Retained IMAGE token positions (absolute sequence indices, ascending; pivots included),
    following DART.get_retained_image_token (modeling_llama_self.py:397-449).

    1. L1 norm of every key row (torch.norm p=1, line 424-425).
    2. Image pivots: topk(pivot_image) of the L1 norms over [image_start, image_start+image_len);
       text pivots: topk(pivot_text) over ALL tokens after the image [image_start+image_len, L)
       (question + template suffix; never the prefix) - lines 427-428. topk is sorted=True, so the
       lists are in descending norm; that insertion order feeds the set below.
    3. indices = set(image_pivots + text_pivots) (line 429); candidates = image span minus image
       pivots, as a Python set; its list() is ascending for these ranges (checked below) - line 431.
    4. For each pivot in list(indices) order (CPython set order, see cpython_set_order), cosine
       similarity (torch.nn.functional.cosine_similarity, default eps 1e-8) between the pivot's
       normed hidden row and every remaining candidate row; the token_topk LEAST similar
       (topk of the negated similarity, sorted) are added and removed from the candidates, so
       later pivots choose from what is left - lines 433-443. Text pivots pick image tokens too.
    5. Text pivots are removed from the result (line 445); image pivots stay.
    The official returns torch.tensor(list(set)) unsorted; it is sorted by the caller (line 353),
    so the ascending order returned here is the order the kept tokens take in the sequence.
    """
    rows = _as_rows(keys)
    seq_len = rows.shape[0]
    end = image_start + image_len
    l1 = torch.norm(rows, p=1, dim=-1)
    image_pivots = (l1[image_start:end].topk(pivot_image).indices + image_start).tolist()
    text_pivots = (l1[end:].topk(pivot_text).indices + end).tolist()
    chosen = set(image_pivots + text_pivots)
    candidates = set(range(image_start, end)) - set(image_pivots)
    candidate_list = list(candidates)
    for pivot in list(chosen):
        distance = -torch.nn.functional.cosine_similarity(normed_hidden[pivot, :], normed_hidden[candidate_list, :], dim=-1)
        picked = [candidate_list[i] for i in distance.topk(token_topk).indices.tolist()]
        chosen.update(picked)
        candidates.difference_update(picked)
        candidate_list = list(candidates)
    chosen.difference_update(text_pivots)
    assert seq_len >= end
    return torch.tensor(sorted(chosen), dtype=torch.long)


def dart_keep_indices(seq_len: int, image_start: int, image_len: int, retained: torch.Tensor) -> torch.Tensor:
    """All positions entering layer K, ascending (modeling_llama_self.py:351-353): the prefix, the
    retained image tokens, the whole suffix; text is never pruned. The hidden states (un-normed output
    of layer K-1) are gathered with these; the 4-D mask is cropped to [:L', :L'].

    These are ALSO the position ids of layers K.. (line 359: position_ids = keep_indexs): original
    positions are kept, not renumbered. Layers < K keep their full-length KV cache. Decode steps use
    position L + t (L = unpruned prompt length): position_ids come from the generation attention mask
    of unpruned length (ones created by generate for inputs_embeds) via cumsum - 1
    (LlamaForCausalLM.prepare_inputs_for_generation, lines 1152-1158), or from the layer-0 cache
    length when no mask is passed (lines 269-282).
    """
    keep = torch.cat((torch.arange(image_start), retained.to(torch.long),
                      torch.arange(image_start + image_len, seq_len)))
    return keep.sort().values


def llama_rope(k: torch.Tensor, positions: torch.Tensor, head_dim: int, theta: float = 10000.0) -> torch.Tensor:
    """Helper for fixtures built from a k_proj hook: HF LLaMA rotate-half RoPE on [L, H*hd] pre-RoPE
    keys, returning [H, L, hd] post-RoPE keys (cos/sin built in f32 then cast, as transformers 4.37's
    LlamaRotaryEmbedding). Not part of DART itself; prefer the cache's keys when available."""
    L = k.shape[0]
    x = k.view(L, -1, head_dim).transpose(0, 1)
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = positions.to(torch.float32)[:, None] * inv[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().to(k.dtype), emb.sin().to(k.dtype)
    half = head_dim // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


def _reference(normed_hidden, keys, image_start, image_len, token_topk, p_img=4, p_txt=4):
    """The upstream control flow transcribed loosely (per-iteration list rebuild, same set ops),
    used only by the self-check."""
    rows = _as_rows(keys)
    a = rows[image_start:image_start + image_len]
    b = rows[image_start + image_len:]
    ii = (torch.norm(a, p=1, dim=-1).topk(p_img).indices + image_start).tolist()
    qq = (torch.norm(b, p=1, dim=-1).topk(p_txt).indices + image_start + image_len).tolist()
    s = set(ii + qq)
    valid = set(range(image_start, image_start + image_len)) - set(ii)
    vl = list(valid)
    for item in list(s):
        cs = -torch.nn.functional.cosine_similarity(normed_hidden[item, :], normed_hidden[vl, :], dim=-1)
        real = [vl[i] for i in cs.topk(token_topk).indices]
        s.update(real)
        valid.difference_update(real)
        vl = list(valid)
    s.difference_update(qq)
    return torch.tensor(list(s)).sort().values


if __name__ == "__main__":
    import random
    torch.manual_seed(0)
    random.seed(0)
    assert [dart_token_topk(576, max_num_trunction=n) for n in (64, 128, 192)] == [8, 16, 24]
    assert dart_token_topk(2340, llava_next=True) == 40
    # CPython set order emulation equals the interpreter's, for pivot-like inputs and at random
    for _ in range(2000):
        start, n = 35, random.choice([576, 1000, 2340, 2880])
        img = random.sample(range(start, start + n), 4)
        txt = random.sample(range(start + n, start + n + 60), 4)
        vals = img + txt
        assert cpython_set_order(vals) == list(set(vals)), vals
        vals = [random.randrange(0, 5000) for _ in range(random.randrange(1, 40))]
        assert cpython_set_order(vals) == list(set(vals)), vals
    # candidate lists stay ascending for LLaVA-1.5 (576, N <= 192) and LLaVA-NeXT sized spans (the
    # official removals: 8 batches of TOKEN_TOPK). Not true for tiny spans: CPython shrinks a set
    # whose dummies exceed mask/5 and then small tables wrap around; only topk ties would notice.
    for n, per in [(576, t) for t in (8, 16, 24)] + [(m, 40) for m in range(600, 3000, 37)]:
        piv = random.sample(range(35, 35 + n), 4)
        cand = set(range(35, 35 + n)) - set(piv)
        for _ in range(8):
            assert list(cand) == sorted(cand), (n, per)
            cand.difference_update(random.sample(sorted(cand), per))
        assert list(cand) == sorted(cand), (n, per)
    for dtype in (torch.float32, torch.float16):
        for n, text, d, heads in ((576, 40, 64, 4), (200, 12, 32, 2)):
            L = 35 + n + text
            hidden = torch.randn(L, d).to(dtype)
            keys = torch.randn(heads, L, d // heads).to(dtype)
            topk = dart_token_topk(n, max_num_trunction=128)
            got = dart_select(hidden, keys, 35, n, topk)
            assert torch.equal(got, _reference(hidden, keys, 35, n, topk))
            assert got.numel() == 4 + 8 * topk
            full = dart_keep_indices(L, 35, n, got)
            assert full.numel() == 35 + got.numel() + text
    k = torch.randn(10, 2 * 8)
    r = llama_rope(k, torch.arange(10), 8)
    assert r.shape == (2, 10, 8) and torch.allclose(r[:, 0], k[0].view(2, 8))
    print("port_dart self-check: 1 passed, 0 failed")
