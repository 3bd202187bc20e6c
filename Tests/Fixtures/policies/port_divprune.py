#!/usr/bin/env python3
"""DivPrune (Alvar et al., CVPR 2025) as pure torch functions, re-implemented from the official code.

Official repository: github.com/vbdi/divprune, read at commit 799e2d9 (HEAD of the stored mirror).
Every citation below is "file:function:lines" in that commit.

  LLaVA/llava/model/llava_arch.py : LlavaMetaForCausalLM.pairwise_cosine_similarity : 147-150
  LLaVA/llava/model/llava_arch.py : LlavaMetaForCausalLM.DivPrune                   : 152-171
  LLaVA/llava/model/llava_arch.py : prepare_inputs_labels_for_multimodal (hook)     : 352-385
  run_Divprune.sh (SUBSET_RATIO=0.098, LAYER_INDEX=0) : 11 ; eval_time.sh : 8

What the inputs are (for a fixture generator on Hugging Face transformers):
  features  [N, D]  the image rows of the LLM input embeddings, i.e. the multimodal projector OUTPUT
            (llava_arch.py:141-144 encode_images = mm_projector(vision_tower(images)); the slice
            new_input_embeds[0][35:35+N] at llava_arch.py:374). With LlavaForConditionalGeneration:
            a forward hook on `multi_modal_projector` (output[0], shape [576, D] for LLaVA-1.5), or
            `model.get_image_features(pixel_values, vision_feature_layer=-2,
            vision_feature_select_strategy="default")[0]`, or equivalently the rows of the
            `inputs_embeds` reaching the language model at the positions where
            input_ids == config.image_token_index.
            LLaVA-NeXT: the WHOLE packed block of the first image (base 576 rows + unpadded grid rows,
            each grid row followed by an `image_newline` row) as one matrix - the official code takes
            image_features[0].shape[0] (llava_arch.py:355-356, 369-370), one prune per image, never
            per tile. In HF LlavaNext that is again inputs_embeds[0][input_ids[0] == image_token_index].
  dtype     the official run is float16 end to end (LLaVA/llava/model/builder.py:46,
            lmms_eval/models/llava.py:346-348); every op here runs in the dtype of `features`, so
            pass f16 features to reproduce the official numerics, f32 for the CPU runtime's numerics.
"""
from __future__ import annotations

import torch

SYS_TOKEN_LEN = 35  # llava_arch.py:366, image start for the vicuna_v1 prompt (BOS + system + " USER:")


def divprune_keep_count(subset_ratio: float, image_len: int) -> int:
    """Number of image tokens kept: Python round-half-even of ratio * N (llava_arch.py:153).

    LLaVA-1.5 (N = 576): the shipped scripts pass SUBSET_RATIO=0.098 -> round(56.448) = 56.
    64 / 128 / 192 tokens need a ratio r with round(r * 576) == k, e.g. r = k / 576.
    LLaVA-NeXT: N is the packed block length (newline rows included), e.g. 2340 * 0.098 -> 229.
    """
    return int(round(subset_ratio * image_len))


def divprune_distance(features: torch.Tensor) -> torch.Tensor:
    """1 - cosine similarity, [N, N], in features.dtype (llava_arch.py:147-150 and 155).

    Each row is divided by its own L2 norm (no epsilon: a zero row gives NaN, as upstream), the
    normalised matrix is multiplied by its transpose with torch.mm, and the product is subtracted
    from 1.0. The diagonal is ~0 but not exactly 0 in f16.
    """
    unit = features / features.norm(dim=1, keepdim=True)
    return 1.0 - torch.mm(unit, unit.t())


def divprune_select(features: torch.Tensor, keep: int, distance: torch.Tensor | None = None) -> torch.Tensor:
    """Greedy max-min diversity selection; returns [keep] int64 indices into `features` IN GREEDY
    ORDER (the tensor `s` of llava_arch.py:157-171). Sort them before use (llava_arch.py:379).

    Step 0: score[j] = the 2nd smallest entry of column j of the distance matrix (torch.topk k=2,
            largest=False, take values[1]) - the distance to j's nearest OTHER token, assuming the
            self-distance is the smallest entry (llava_arch.py:164-165).
    Step i>0: score[j] = min over already chosen c of distance[c, j] (llava_arch.py:161-162, 167).
            Kept here as a running minimum, which is exactly equal (a min does not round).
    Each step picks torch.argmax(score) (llava_arch.py:169): the FIRST index among equal maxima
    (torch.argmax is documented to return the first maximal index). Already chosen tokens score
    ~0 (their self-distance) and so are not chosen again unless every score is ~0.
    """
    n = features.shape[0]
    if distance is None:
        distance = divprune_distance(features)
    chosen = torch.empty(keep, dtype=torch.long, device=features.device)
    if keep == 0:
        return chosen
    nearest_other = torch.topk(distance, 2, dim=0, largest=False).values[1, :]
    first = torch.argmax(nearest_other)
    chosen[0] = first
    closest = distance[first].clone()  # min distance of every token to the chosen set
    for step in range(1, keep):
        pick = torch.argmax(closest)
        chosen[step] = pick
        closest = torch.minimum(closest, distance[pick])
    assert chosen.numel() == keep and (n >= 2 or keep == 0)
    return chosen


def divprune_keep_indices(seq_len: int, image_start: int, image_len: int, selected: torch.Tensor) -> torch.Tensor:
    """All kept sequence positions, ascending (llava_arch.py:377-381): every token before the image,
    the selected image tokens (offset by image_start), every token after the image. Text is never
    touched. Applied to the input embeddings and to the 2-D attention mask before layer 0.

    Position ids after the prune are RENUMBERED 0..L'-1: generate passes position_ids=None
    (LLaVA/llava/model/language_model/llava_llama.py:112, 158-163), so transformers 4.37 derives them
    from the pruned attention mask (cumsum - 1); decode steps continue at L', L'+1, ...
    """
    device = selected.device
    keep = torch.cat((
        torch.arange(image_start, device=device),
        selected.to(torch.long) + image_start,
        torch.arange(image_start + image_len, seq_len, device=device),
    ))
    return keep.sort().values


def _reference_loop(features: torch.Tensor, keep: int) -> torch.Tensor:
    """The upstream control flow written out step by step (re-selects the chosen rows and takes the
    column minimum every step); used only by the self-check to show divprune_select equals it."""
    d = divprune_distance(features)
    s = torch.empty(keep, dtype=torch.long)
    for i in range(keep):
        if i == 0:
            score = torch.topk(d, 2, dim=0, largest=False).values[1, :]
        else:
            score = torch.index_select(d, 0, s[:i]).min(dim=0).values
        s[i] = torch.argmax(score)
    return s


if __name__ == "__main__":
    torch.manual_seed(0)
    assert divprune_keep_count(0.098, 576) == 56
    assert [divprune_keep_count(k / 576, 576) for k in (64, 128, 192)] == [64, 128, 192]
    assert divprune_keep_count(0.098, 2340) == 229
    for dtype in (torch.float32, torch.float16):
        for n, d, k in ((576, 64, 56), (100, 16, 64), (30, 8, 30)):
            x = torch.randn(n, d).to(dtype)
            sel = divprune_select(x, k)
            ref = _reference_loop(x, k)
            assert torch.equal(sel, ref), (dtype, n, d, k)
            assert sel.unique().numel() == k
            full = divprune_keep_indices(35 + n + 20, 35, n, sel)
            assert full.numel() == 35 + k + 20 and bool((full[1:] > full[:-1]).all())
    # duplicated rows (LLaVA-NeXT image_newline rows are identical): at most one is picked early
    x = torch.randn(50, 8)
    x[40:] = x[40]
    sel = divprune_select(x, 20)
    assert int(((sel >= 40) & (sel < 50)).sum()) <= 1
    print("port_divprune self-check: 1 passed, 0 failed")
