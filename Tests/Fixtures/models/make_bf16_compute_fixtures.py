#!/usr/bin/env python3
"""References for bf16 compute (`--compute bf16`), made with Hugging Face transformers.

Run by hand in a venv (`pip install torch transformers safetensors numpy`), after
make_model_fixtures.py, from any folder:
    python Tests/Fixtures/models/make_bf16_compute_fixtures.py
Writes `bf16-compute.safetensors` next to this script.

bf16 compute means: every product of more than one row (prefill projections, the per-head score
and value products of attention, CLIP's patch embedding, the projector) takes bf16 operands —
weights rounded to bf16 once, activations rounded as they enter the product — and accumulates in
f32; softmax, norms, residuals, activations and the LM head stay f32, and a single row (a decode
step) multiplies its f32 activations with the bf16 weights exactly. This script runs the tiny
fixture models in transformers with exactly those roundings patched in (eager attention), on the
committed weights, so the Swift bf16 path is compared with transformers' own modules, not with
itself.
"""
import os

import torch
import torch.nn.functional as F
import transformers.models.clip.modeling_clip as clip_module
import transformers.models.llama.modeling_llama as llama_module
import transformers.models.mistral.modeling_mistral as mistral_module
from safetensors.torch import load_file, save_file
from transformers import CLIPVisionModel, LlamaForCausalLM, MistralForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))


def bf16(x):
    """Rounded to bf16 (nearest even), kept as f32."""
    return x.to(torch.bfloat16).to(torch.float32)


def rows(x):
    """Rows of an activation (all leading dimensions)."""
    return x.reshape(-1, x.shape[-1]).shape[0]


original_linear = torch.nn.Linear.forward


def linear_forward(self, x):
    if getattr(self, "keep_f32", False) or rows(x) == 1:
        return original_linear(self, x)
    return F.linear(bf16(x), bf16(self.weight), self.bias)


def conv_forward(self, x):
    return F.conv2d(bf16(x), bf16(self.weight), self.bias, self.stride, self.padding, self.dilation, self.groups)


def eager_attention(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
    """transformers' eager attention with bf16 operands in both products when more than one query row."""
    groups = query.shape[1] // key.shape[1]
    key = key.repeat_interleave(groups, dim=1)
    value = value.repeat_interleave(groups, dim=1)
    prefill = query.shape[2] > 1
    r = bf16 if prefill else (lambda t: t)
    weights = torch.matmul(r(query), r(key).transpose(2, 3)) * scaling
    if attention_mask is not None:
        weights = weights + attention_mask[:, :, :, : key.shape[-2]]
    weights = torch.softmax(weights, dim=-1, dtype=torch.float32)
    output = torch.matmul(r(weights), r(value)).transpose(1, 2).contiguous()
    return output, weights


def patch():
    torch.nn.Linear.forward = linear_forward
    torch.nn.Conv2d.forward = conv_forward
    for module in (llama_module, mistral_module, clip_module):
        module.eager_attention_forward = eager_attention


def greedy(model, ids, n):
    out = model.generate(ids[None], max_new_tokens=n, do_sample=False, eos_token_id=None, pad_token_id=0,
                         min_new_tokens=n)
    return out[0, ids.shape[0]:]


def language(cls, folder):
    model = cls.from_pretrained(os.path.join(HERE, folder), torch_dtype=torch.float32, attn_implementation="eager").eval()
    model.lm_head.keep_f32 = True
    return model


def main():
    patch()
    out = {}
    with torch.no_grad():
        for name, cls, weights in [("llama", LlamaForCausalLM, "llama-bf16"), ("mistral", MistralForCausalLM, "mistral")]:
            model = language(cls, weights)
            expected = load_file(os.path.join(HERE, name, "expected.safetensors"))
            ids, prompt = expected["input_ids"], expected["greedy_prompt"]
            out[f"{name}_input_ids"] = ids
            out[f"{name}_logits"] = model(ids[None]).logits[0]
            out[f"{name}_greedy_prompt"] = prompt
            out[f"{name}_greedy_ids"] = greedy(model, prompt, 16)

        clip = CLIPVisionModel.from_pretrained(os.path.join(HERE, "clip"), torch_dtype=torch.float32,
                                               attn_implementation="eager").eval()
        expected = load_file(os.path.join(HERE, "clip", "expected.safetensors"))
        hidden = clip(pixel_values=expected["pixel_values"][None], output_hidden_states=True).hidden_states
        out["clip_hidden_minus_2"] = hidden[-2][0]
        projector = load_file(os.path.join(HERE, "clip", "projector.safetensors"))
        linear_1, linear_2 = torch.nn.Linear(32, 48), torch.nn.Linear(48, 48)
        linear_1.weight.copy_(projector["linear_1.weight"]); linear_1.bias.copy_(projector["linear_1.bias"])
        linear_2.weight.copy_(projector["linear_2.weight"]); linear_2.bias.copy_(projector["linear_2.bias"])
        out["clip_projected"] = linear_2(F.gelu(linear_1(hidden[-2][0, 1:])))

    save_file({k: v.detach().contiguous() for k, v in out.items()}, os.path.join(HERE, "bf16-compute.safetensors"),
              metadata={"format": "pt"})


if __name__ == "__main__":
    main()
