"""VisionZip token selection + contextual merging, re-implemented as pure torch functions.

Reference: dvlab-research/VisionZip @ 3151f6df4fca36a4cd1c985e5956e725b1f9ad02
(visionzip/*.py unchanged since the initial commit a9a3258)
  * visionzip/main.py          visionzip()                          L5-28  (dominant_num = dominant-1, L7)
  * visionzip/utils.py         CLIPAttention_forward                L10-89 (metric = head-mean raw keys, L23-24, L89)
                               CLIP_EncoderLayer_forward            L91-135 (metric kept for layer r>0, L122-124)
                               apply_info                           L186-200 (r=[0]*22+[1]+[0] -> layer 22, L191)
  * visionzip/clip_encoder.py  CLIPVisionTower_VisionZip.forward    L31-85 (selection + merge, L43-83)
  * visionzip/llava_arch.py    encode_images_visionzip              L31-35 (projector after merge)
                               restore_image_features_sorted        L42-80 (NeXT packing)
                               prepare_inputs_labels_for_multimodal_visionzip L83-135
Full written spec: /tmp/specs/visionzip.md.

This is an independent re-implementation, not a copy of the official code.

What the caller supplies (HF transformers CLIPVisionModel, attn_implementation="eager", CLIP-L/14-336):
  keys = {}
  getattr(tower, "vision_model", tower).encoder.layers[-2].self_attn.k_proj.register_forward_hook(
      lambda m, i, o: keys.__setitem__("k", o))
  out = tower(px, output_attentions=True, output_hidden_states=True)
  hidden   = out.hidden_states[-2][0]        # [577, 1024] output of encoder layer 22, incl. CLS row 0,
                                             # pre post_layernorm
  cls_attn = out.attentions[-2][0, :, 0, :]  # [16, 577] softmax probabilities of layer 22, query = CLS
  keys     = keys["k"][0]                    # [577, 1024] k_proj(layer_norm1(x)) of layer 22 (bias
                                             # included, not multiplied by the attention scale)
  res = visionzip_select(hidden, cls_attn, keys, dominant=54, contextual=10)
res.tokens ([dominant+contextual, 1024]) then goes through mm_projector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from port_stitching import stitched_raster

OFFICIAL_SPLITS = {64: (54, 10), 128: (108, 20), 192: (162, 30)}


def visionzip_split(budget: int) -> Tuple[int, int, bool]:
    """(dominant incl. CLS, contextual, is_official) for a per-crop budget.

    The official pairs (README L127-141, paper) are 64->(54,10), 128->(108,20), 192->(162,30):
    dominant = 27/32 * N exactly. The official code has no formula: visionzip(model, dominant,
    contextual) takes both numbers literally (main.py L5-7). For any other N this uses
    floor(27N/32 + 0.5), which is the project's own choice (is_official=False).
    """
    if budget in OFFICIAL_SPLITS:
        d, c = OFFICIAL_SPLITS[budget]
        return d, c, True
    d = int(math.floor(budget * 27 / 32 + 0.5))
    return d, budget - d, False


def visionzip_metric(keys: Tensor, num_heads: int = 16) -> Tensor:
    """The official `metric`: the layer's key states averaged over heads -> [S, head_dim].

    keys: [S, D] (the k_proj output, D = num_heads*head_dim) or [heads, S, head_dim] (per head).
    Official: utils.py CLIPAttention_forward L23-24 (raw_key_states = k_proj(x) shaped
    [B, H, S, Dh], before any scaling) and L89 (raw_key_states.mean(1), the mean over heads).
    """
    if keys.dim() == 2:
        s, d = keys.shape
        if d % num_heads:
            raise ValueError("D not divisible by num_heads")
        return keys.view(s, num_heads, d // num_heads).mean(dim=1)
    if keys.dim() == 3:
        return keys.mean(dim=0)
    raise ValueError(f"keys must be [S, D] or [H, S, Dh], got {tuple(keys.shape)}")


def _topk_lowest_index_ties(scores: Tensor, k: int) -> Tensor:
    """The k largest entries; a tie at the boundary goes to the lower index (deterministic stand-in
    for torch.topk, whose tie-break is not documented; only the set matters, clip_encoder.py L53).
    CPU torch.topk does NOT follow this rule (on an fp16 tie it kept the higher indices), and the
    CUDA behaviour is untested. Outside fp16 boundary ties the result is identical."""
    return torch.sort(scores, descending=True, stable=True).indices[:k]


@dataclass
class VisionZipResult:
    tokens: Tensor                  # [dominant+contextual, D]: CLS, dominant patches (ascending), contextual
    sources: List[Optional[int]]    # per output row: source row in 0..S-1 (0 = CLS), None for merged rows
    dominant_indices: Tensor        # [dominant] ascending source rows, starts with 0 (CLS)
    target_indices: Tensor          # [contextual] source rows of the contextual targets, in output order
    members: List[List[int]]        # per contextual row: [target source row, then the assigned source rows]
    keep_idx: Tensor                # [dominant]: the official `all_indices` set (L54), sorted here; the
                                    # official one is in topk order, but its only use (NeXT restore, L49)
                                    # sorts it first


def visionzip_select(
    hidden: Tensor,
    cls_attn: Tensor,
    keys: Tensor,
    dominant: int,
    contextual: int,
    *,
    num_heads: int = 16,
    keys_are_metric: bool = False,
) -> VisionZipResult:
    """VisionZip for one crop (official clip_encoder.py CLIPVisionTower_VisionZip.forward L40-83).

    hidden:   [S, D], S = 1+N. Output of vision layer -2, CLS at row 0 (L44).
    cls_attn: [heads, S]: CLS-query row of layer -2's softmax probabilities, column 0 = CLS->CLS.
              A full [heads, S, S] tensor is accepted too (L43, L51).
    keys:     layer -2's k_proj output, [S, D] or [heads, S, Dh]; or, with keys_are_metric=True,
              the head-averaged [S, Dh] metric itself (L45; utils.py L89).
    dominant: count INCLUDING CLS (main.py L7: dominant_num = dominant - 1).
    contextual: number of merged tokens (>= 1; the official code divides by it, L67).

    Steps (all in the inputs' dtype; the official code runs in fp16):
      1. score = sum over heads of cls_attn[:, 1:] (L51-52); take the top (dominant-1) patches, +1,
         plus CLS (L53-54); dominant rows = those rows in ascending order (mask + masked_select,
         L56-57).
      2. candidates = the remaining rows, ascending (L60, L62); metric L2-normalised, no eps (L64).
      3. step = max(1, M // contextual); targets = candidate positions arange(0, M, step)[:contextual]
         (L67-68).
      4. the non-target candidates, ascending (L71, L76); cosine = normalised-key dot products (L72);
         argmax over targets, first max wins (L74).
      5. contextual = hidden[target] + mean(hidden[assigned]); mean is 0 if none assigned
         (one-hot in hidden dtype, counts clamped >= 1; L73-80).
      6. output = cat(dominant rows, contextual rows) (L83).
    """
    if cls_attn.dim() == 3:
        cls_attn = cls_attn[:, 0, :]
    s, _ = hidden.shape
    if cls_attn.shape[-1] != s:
        raise ValueError("cls_attn must include the CLS column (shape [heads, 1+N])")
    metric = keys if keys_are_metric else visionzip_metric(keys, num_heads)
    if metric.shape[0] != s:
        raise ValueError("keys/metric must have S rows (CLS included)")
    dominant_num = dominant - 1
    m = s - dominant
    if dominant_num < 0 or contextual < 1 or m < contextual:
        raise ValueError(f"need 1 <= dominant, 1 <= contextual <= S - dominant (S={s})")

    # 1. dominant
    score = cls_attn[:, 1:].sum(dim=0)
    top = _topk_lowest_index_ties(score, dominant_num) + 1
    keep_idx = torch.cat([torch.zeros(1, dtype=top.dtype), top])
    is_dominant = torch.zeros(s, dtype=torch.bool)
    is_dominant[keep_idx] = True
    dominant_rows = torch.nonzero(is_dominant, as_tuple=False).flatten()  # ascending, 0 first
    dominant_tokens = hidden[dominant_rows]

    # 2. candidates
    cand_rows = torch.nonzero(~is_dominant, as_tuple=False).flatten()  # ascending
    cand_metric = metric[cand_rows]
    cand_hidden = hidden[cand_rows]
    cand_metric = cand_metric / cand_metric.norm(dim=-1, keepdim=True)

    # 3. evenly spaced targets (positions in the candidate list)
    step = max(1, m // contextual)
    tpos = torch.arange(0, m, step)[:contextual]
    is_target = torch.zeros(m, dtype=torch.bool)
    is_target[tpos] = True
    mpos = torch.nonzero(~is_target, as_tuple=False).flatten()

    # 4. assignment by cosine similarity of the head-mean keys
    sim = cand_metric[mpos] @ cand_metric[tpos].transpose(0, 1)  # [M-C, C]
    assign = sim.argmax(dim=1)                                  # first max wins

    # 5. target + mean(assigned)
    one_hot = torch.zeros(mpos.numel(), contextual, dtype=hidden.dtype)
    one_hot[torch.arange(mpos.numel()), assign] = 1
    counts = one_hot.sum(dim=0).clamp(min=1).unsqueeze(-1)
    aggregated = (one_hot.transpose(0, 1) @ cand_hidden[mpos]) / counts
    contextual_tokens = cand_hidden[tpos] + aggregated

    tokens = torch.cat([dominant_tokens, contextual_tokens], dim=0)
    target_rows = cand_rows[tpos]
    members: List[List[int]] = [[int(r)] for r in target_rows.tolist()]
    merge_rows = cand_rows[mpos].tolist()
    for row, t in zip(merge_rows, assign.tolist()):
        members[t].append(int(row))
    sources: List[Optional[int]] = [int(r) for r in dominant_rows.tolist()] + [None] * contextual
    return VisionZipResult(tokens, sources, dominant_rows, target_rows, members, dominant_rows.clone())


def visionzip_next_layout(
    results: Sequence[VisionZipResult], grid_w: int, grid_h: int, side: int = 24,
    *, unpad_single_newline: bool = True,
) -> List[Tuple[int, object]]:
    """Packed order for one LLaVA-NeXT (anyres, spatial_unpad) image.

    results[0] = base crop, results[1:] = tiles in row-major order; each crop has its own
    VisionZip with the same (dominant, contextual) (per-tile budget).
    Returns a list of (crop, row) where row indexes results[crop].tokens, or (-1, "newline").

    Official: llava_arch.py prepare_inputs_labels_for_multimodal_visionzip L108-121 and
    restore_image_features_sorted L42-80:
      1. every row of the base crop, in its own order (CLS, dominant, contextual);
      2. the tiles' dominant patches (CLS excluded), scattered into each tile's side x side grid,
         tiles stitched (grid_h, side, grid_w, side), in raster order over the stitched grid;
      3. each tile's CLS row, in tile order (L77);
      4. each tile's contextual rows, tile-major (L76).
      No unpadding and no image_newline: the newline is built (L66) but never used (L67).
    Single-crop image with 'unpad': its rows + one image_newline (L122-128).
    """
    if len(results) == 1:
        out: List[Tuple[int, object]] = [(0, r) for r in range(results[0].tokens.shape[0])]
        if unpad_single_newline:
            out.append((-1, "newline"))
        return out
    if len(results) != 1 + grid_w * grid_h:
        raise ValueError("expected 1 base crop + grid_w*grid_h tiles")
    out = [(0, r) for r in range(results[0].tokens.shape[0])]
    # map (crop, patch index 0..side*side-1) -> output row of a dominant patch token
    row_of = []
    for res in results:
        d = {}
        for row, src in enumerate(res.sources):
            if src is not None and src != 0:
                d[src - 1] = row
        row_of.append(d)
    for crop, patch in stitched_raster(grid_w, grid_h, side):
        if patch in row_of[crop]:
            out.append((crop, row_of[crop][patch]))
    for crop in range(1, len(results)):
        out.append((crop, 0))  # CLS is always row 0
    for crop in range(1, len(results)):
        n_dom = results[crop].dominant_indices.numel()
        for r in range(n_dom, results[crop].tokens.shape[0]):
            out.append((crop, r))
    return out


def visionzip_next_assemble(
    results: Sequence[VisionZipResult], grid_w: int, grid_h: int,
    image_newline: Optional[Tensor] = None, side: int = 24,
) -> Tensor:
    """Stack tower-space rows in visionzip_next_layout order. In the official code the projector
    runs before this packing, but it works row by row, so the order is the same; a newline row
    (single-crop case only) must then be in the projected space, so pass it only for projected rows."""
    rows = []
    for crop, r in visionzip_next_layout(results, grid_w, grid_h, side,
                                         unpad_single_newline=image_newline is not None):
        rows.append(image_newline if crop < 0 else results[crop].tokens[r])
    return torch.stack(rows, dim=0)


if __name__ == "__main__":
    torch.manual_seed(0)
    heads, n, d, dh = 16, 576, 1024, 64
    s = 1 + n

    def rand_crop():
        hid = torch.randn(s, d)
        att = torch.randn(heads, s, s).softmax(-1)
        k = torch.randn(s, d)
        return hid, att, k

    hid, att, k = rand_crop()
    for budget, (dom, ctx) in OFFICIAL_SPLITS.items():
        res = visionzip_select(hid, att[:, 0, :], k, dom, ctx)
        assert res.tokens.shape == (budget, d)
        assert res.sources[0] == 0 and res.sources[dom] is None and len(res.sources) == budget
        assert bool((res.dominant_indices[1:] > res.dominant_indices[:-1]).all())
        # every non-dominant source row is in exactly one contextual group
        flat = sorted(x for g in res.members for x in g)
        assert flat == sorted(set(range(s)) - set(res.dominant_indices.tolist()))
        # contextual row j = target + mean(assigned)
        j = 3
        g = res.members[j]
        want = hid[g[0]] + (hid[g[1:]].mean(0) if len(g) > 1 else 0)
        assert torch.allclose(res.tokens[dom + j], want, atol=1e-5)
        # dominant set = top (dom-1) by head-summed CLS attention (continuous scores: no ties)
        ref = set((torch.topk(att[:, 0, 1:].sum(0), dom - 1).indices + 1).tolist()) | {0}
        assert set(res.dominant_indices.tolist()) == ref

    # target spacing for (54,10): M = 523, step = 52
    res = visionzip_select(hid, att, k, 54, 10)
    cand = sorted(set(range(s)) - set(res.dominant_indices.tolist()))
    assert res.target_indices.tolist() == [cand[p] for p in range(0, 523, 52)][:10]

    # metric forms agree
    m1 = visionzip_metric(k)
    m2 = visionzip_metric(k.view(s, heads, dh).transpose(0, 1))
    assert torch.allclose(m1, m2)
    assert torch.equal(visionzip_select(hid, att, m1, 54, 10, keys_are_metric=True).tokens, res.tokens)

    # fp16 path runs
    r16 = visionzip_select(hid.half(), att[:, 0, :].half(), k.half(), 54, 10)
    assert r16.tokens.dtype == torch.float16

    assert visionzip_split(64) == (54, 10, True) and visionzip_split(32) == (27, 5, False)

    # NeXT packing, 2x2 grid, 5 crops x 64 = 320
    crops = [visionzip_select(*rand_crop(), 54, 10) for _ in range(5)]
    lay = visionzip_next_layout(crops, 2, 2)
    assert len(lay) == 320
    assert lay[:64] == [(0, r) for r in range(64)]
    assert lay[64 + 4 * 53: 64 + 4 * 53 + 4] == [(1, 0), (2, 0), (3, 0), (4, 0)]
    assert visionzip_next_assemble(crops, 2, 2).shape == (320, d)
    print("port_visionzip self-check OK; dominant[:8] =", res.dominant_indices[:8].tolist(),
          "targets[:5] =", res.target_indices[:5].tolist())
