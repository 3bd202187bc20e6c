"""FasterVLM token selection, re-implemented as pure torch functions.

Reference: Theia-4869/FasterVLM @ f5d5f12037e105a51865ecb4b28a73cd86eb4921
  * llava/model/multimodal_encoder/clip_encoder.py  CLIPVisionTower.feature_select  L36-47,
                                                    CLIPVisionTower.forward         L49-64
  * llava/model/llava_arch.py  LlavaMetaForCausalLM.encode_images                 L141-157
                               LlavaMetaForCausalLM.prepare_inputs_labels_for_multimodal L160-247
  * llava/model/language_model/llava_llama.py  visual_token_num                    L44-62
  * README.md L88-108 (ratio -> token count arithmetic, NeXT total = k * 5)
Full written spec: /tmp/specs/fastervlm.md.

This is an independent re-implementation, not a copy of the official code.

What the caller supplies (HF transformers CLIPVisionModel, attn_implementation="eager"):
  out = tower(pixel_values, output_attentions=True, output_hidden_states=True)
  cls_attn = out.attentions[-2][0, :, 0, :]     # [heads=16, 1+N=577]; softmax probabilities of
                                                # encoder layer index 22 (select_layer=-2), query = CLS
  features = out.hidden_states[-2][0, 1:, :]    # [N=576, 1024]; layer-22 output, pre post_layernorm
The kept rows are features[idx] (then mm_projector), idx ascending.
"""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

import torch
from torch import Tensor

from port_stitching import stitched_raster


def _topk_lowest_index_ties(scores: Tensor, k: int) -> Tensor:
    """Indices of the k largest entries of a 1-D tensor; a tie at the boundary goes to the lower index.

    Official: torch.topk(..., k, dim=1) (llava_arch.py L149), whose tie-break is not documented.
    A stable descending sort makes the choice deterministic: lower index first.
    CPU torch.topk does not follow this rule (on an fp16 tie it kept the higher indices), and the
    official CUDA behaviour is untested. Any difference happens only when scores tie exactly at
    the k-th value, which is common in fp16 and practically never happens in fp32.
    """
    order = torch.sort(scores, descending=True, stable=True).indices
    return order[:k]


def fastervlm_scores(cls_attn: Tensor, *, includes_cls: bool = True) -> Tensor:
    """Per-patch importance: the [CLS]-query attention probabilities averaged over heads.

    cls_attn: [heads, 1+N] (row 0 of the layer's softmax probabilities, column 0 = CLS->CLS) when
      includes_cls=True, or [heads, N] when the CLS column has already been dropped.
      A full [heads, S, S] probability tensor is also accepted (row 0 is taken).
    Returns [N] in cls_attn's dtype (the official code reduces in fp16).

    Official: clip_encoder.py feature_select L38-41 (attentions[select_layer][:, :, 0, 1:], with no
    renormalisation) and llava_arch.py encode_images L148 (.mean(dim=1) over heads).
    """
    if cls_attn.dim() == 3:
        cls_attn = cls_attn[:, 0, :]
        includes_cls = True
    if cls_attn.dim() != 2:
        raise ValueError(f"cls_attn must be [heads, S] or [heads, S, S], got {tuple(cls_attn.shape)}")
    patch_attn = cls_attn[:, 1:] if includes_cls else cls_attn
    return patch_attn.mean(dim=0)


def fastervlm_select(cls_attn: Tensor, budget: int, *, includes_cls: bool = True) -> Tensor:
    """FasterVLM selection for one crop: indices (0-based over the N patches, CLS excluded) of the
    `budget` patches with the highest head-averaged [CLS] attention, **sorted ascending**.

    Inputs: see `fastervlm_scores`. `budget` is the official `visual_token_num` (an int, used as
    topk's k, with no rounding).
    Order: ascending patch index, because the official code scatters topk into a bool mask and then
    takes image_feature[index_mask] (llava_arch.py L152-153, L245; for NeXT crops L215-236).
    Ties at the k-th score: the lower index wins (see _topk_lowest_index_ties).

    Official: llava_arch.py LlavaMetaForCausalLM.encode_images L141-157.
    """
    scores = fastervlm_scores(cls_attn, includes_cls=includes_cls)
    n = scores.shape[0]
    if not (0 <= budget <= n):
        raise ValueError(f"budget {budget} out of range 0..{n}")
    idx = _topk_lowest_index_ties(scores, budget)
    return torch.sort(idx).values


def fastervlm_mask(cls_attn: Tensor, budget: int, *, includes_cls: bool = True) -> Tensor:
    """Bool mask [N] equivalent to the official index_masks row (llava_arch.py L152-153)."""
    scores = fastervlm_scores(cls_attn, includes_cls=includes_cls)
    mask = torch.zeros(scores.shape[0], dtype=torch.bool)
    mask[fastervlm_select(cls_attn, budget, includes_cls=includes_cls)] = True
    return mask


def fastervlm_budget_from_ratio(reduction_ratio: float, tokens_per_crop: int = 576) -> int:
    """README arithmetic (README.md L92-104): k = 576 * (1 - ratio), rounded to nearest
    (90% -> 58, 95% -> 29). NOT in the official code, which only takes the integer k."""
    return int(math.floor(tokens_per_crop * (1.0 - reduction_ratio) + 0.5))


def fastervlm_next_layout(
    kept_per_crop: Sequence[Tensor], grid_w: int, grid_h: int, side: int = 24
) -> List[Tuple[int, int]]:
    """Packed order of FasterVLM's kept tokens for one LLaVA-NeXT (anyres) image.

    kept_per_crop[c]: ascending kept patch indices (0..side*side-1) of crop c, where crop 0 is the
      base (resized) image and crops 1.. are the grid tiles in row-major order (mm_utils.py
      process_anyres_image L116-142 / divide_to_patches L74-93). Each crop has its own top-k with
      the same k (per-tile budget; encode_images runs on the whole crop batch).
    grid_w, grid_h: get_anyres_image_grid_shape(...) = (num_patch_width, num_patch_height).
    Returns: a list of (crop, patch_index) in the order the LLM sees them.

    Official: llava_arch.py prepare_inputs_labels_for_multimodal L177 hard-codes
    mm_patch_merge_type='spatial' (so NO unpad, NO image_newline, whatever the checkpoint config
    says). Then L217-223: the base crop's kept patches (ascending) come first, then the tiles
    viewed as (grid_h, grid_w, side, side), permuted to (grid_h, side, grid_w, side) and flattened:
    raster order over the stitched grid, masked.
    Single-crop image (L224-236): just crop 0 ascending (the newline append there is dead code).
    """
    if len(kept_per_crop) == 1:
        return [(0, int(p)) for p in kept_per_crop[0].tolist()]
    if len(kept_per_crop) != 1 + grid_w * grid_h:
        raise ValueError("expected 1 base crop + grid_w*grid_h tiles")
    out: List[Tuple[int, int]] = [(0, int(p)) for p in kept_per_crop[0].tolist()]
    kept_sets = [set(t.tolist()) for t in kept_per_crop]
    for crop, patch in stitched_raster(grid_w, grid_h, side):
        if patch in kept_sets[crop]:
            out.append((crop, patch))
    return out


if __name__ == "__main__":
    torch.manual_seed(0)
    heads, n = 16, 576
    logits = torch.randn(heads, 1 + n, 1 + n)
    probs = logits.softmax(dim=-1)
    cls = probs[:, 0, :]

    idx = fastervlm_select(cls, 64)
    assert idx.shape == (64,) and bool((idx[1:] > idx[:-1]).all())
    # Cross-check against plain topk (continuous random scores: no ties).
    ref = torch.sort(torch.topk(cls[:, 1:].mean(0), 64).indices).values
    assert torch.equal(idx, ref)
    assert torch.equal(fastervlm_select(probs, 64), idx)
    assert torch.equal(fastervlm_select(cls[:, 1:], 64, includes_cls=False), idx)
    assert int(fastervlm_mask(cls, 64).sum()) == 64

    # Tie-break: lower index wins at the boundary.
    flat = torch.zeros(heads, 1 + 8)
    flat[:, 1 + 5] = 1.0
    assert fastervlm_select(flat, 3).tolist() == [0, 1, 5]

    # fp16 path runs.
    idx16 = fastervlm_select(cls.half(), 144)
    assert idx16.shape == (144,)

    assert [fastervlm_budget_from_ratio(r) for r in (0.25, 0.5, 0.75, 0.9, 0.95)] == [432, 288, 144, 58, 29]

    # NeXT layout on a 2x2 grid: 5 crops, k=29 each -> 145 tokens.
    crops = [fastervlm_select(torch.rand(heads, 1 + n).softmax(-1), 29) for _ in range(5)]
    lay = fastervlm_next_layout(crops, grid_w=2, grid_h=2)
    assert len(lay) == 145 and all(c == 0 for c, _ in lay[:29])
    print("port_fastervlm self-check OK; first kept:", idx[:8].tolist())
