#!/usr/bin/env python3
"""GGUF pairs of the tiny llava-hf fixtures, laid out as llama.cpp's converters write them, and
reference results from transformers loading those GGUF files.

    venv/bin/python Tests/Fixtures/gguf/make_llava_gguf_fixtures.py

Inputs: Tests/Fixtures/llava/tiny-llava-hf (LLaVA-1.5) and Tests/Fixtures/llava-next/tiny-next-vicuna
(LLaVA-NeXT). Outputs, per fixture, in Tests/Fixtures/gguf/llava/ and Tests/Fixtures/gguf/llava-next/:

  text-f16.gguf, text-q8_0.gguf, text-q4_0.gguf   the language model (architecture "llama")
  text-legacy.gguf                                the same with its matrices in Q4_1, Q5_0, Q5_1 in turn
  mmproj-f16.gguf                                 the vision tower + projector (architecture "clip")
  expected.json                                   transformers' results on the text files

What each piece mirrors in llama.cpp (read from ggml-org/llama.cpp; nothing is copied):

- Text model: convert_hf_to_gguf.py, class `LlamaModel` (registered for LlavaForConditionalGeneration).
  * `TextModel.__init__` merges `text_config` over the top-level config.
  * `TextModel.set_gguf_parameters` + `LlamaModel.set_gguf_parameters`: llama.block_count,
    .context_length, .embedding_length, .feed_forward_length, .attention.head_count,
    .attention.head_count_kv, .rope.freq_base, .attention.layer_norm_rms_epsilon,
    .attention.key_length/.value_length (head_dim), general.file_type, llama.vocab_size,
    llama.rope.dimension_count; `prepare_metadata` adds general.type, general.name and
    general.quantization_version.
  * `LlamaModel.set_vocab`: no tokenizer.model, so `_set_vocab_sentencepiece` fails and
    `_set_vocab_llama_hf` runs: gguf-py's `LlamaHfVocab` (tokens, scores -1000, types NORMAL /
    BYTE / CONTROL / USER_DEFINED; added tokens past the base vocabulary appended), model "llama",
    pre "default", then gguf-py's `SpecialVocab.add_to_gguf` (bos/eos/unk/pad ids, add_bos/add_eos
    from tokenizer_config.json or the template post-processor, chat template if any). Both are used
    here through the installed `gguf` package itself. Like llama-hf conversions, the token list is
    not padded to config.vocab_size (458 tokens, 512 embedding rows).
  * `LlamaModel.modify_tensors`: vision_tower / multi_modal_projector tensors skipped, the
    `language_model.` prefix dropped, q_proj/k_proj rows permuted by `LlamaModel.permute`
    (each head's rotary halves interleaved), names mapped by gguf-py's `TensorNameMap`
    (`token_embd`, `blk.N.attn_q`, …, `output_norm`, `output`).
  * `ModelBase.prepare_tensors`: 1-D tensors and `*_norm.weight` stay F32, other weights take the
    file type (F16, or Q8_0 as `--outtype q8_0`), quantized by `gguf.quants.quantize`.
    convert_hf_to_gguf has no Q4_0 out-type (llama-quantize makes those, and by default keeps
    output.weight in Q6_K, which gguf-py cannot write); text-q4_0.gguf is what the same rules give
    with file type MOSTLY_Q4_0, i.e. `llama-quantize --pure` Q4_0.
  * LLaVA-NeXT's text model is converted by the same rules. Its `image_newline` is not a text
    tensor: tools/mtmd/legacy-models/llava_surgery_v2.py moves it (with the projector) out of the
    checkpoint before convert_hf_to_gguf.py runs, so it only appears in the mmproj file.

- mmproj: tools/mtmd/legacy-models/convert_image_encoder_to_gguf.py run as for LLaVA
  (`--llava-projector`, `--clip-model-is-vision`, default projector type "mlp"), with the vision
  tower's tensors as CLIPVisionModel's state dict named them (vision_model.*) and a vision config as llava_surgery / the LLaVA docs build it
  (NeXT: `image_grid_pinpoints` as the original repository lists them, (width, height) — llava-hf's
  pairs flipped —, `mm_patch_merge_type: spatial_unpad`, `image_aspect_ratio: anyres`).
  * keys: clip.has_text_encoder/has_vision_encoder/has_llava_projector, general.file_type,
    general.name, general.description, clip.projector_type, clip.vision.image_size, patch_size,
    embedding_length, feed_forward_length, projection_dim, attention.head_count,
    attention.layer_norm_epsilon, block_count, (NeXT) image_grid_pinpoints flattened,
    image_crop_resolution, image_aspect_ratio, image_split_resolution, mm_patch_merge_type,
    clip.vision.image_mean/image_std, clip.use_gelu.
  * no `vision_feature_layer` in the vision config, so the last encoder layer is dropped
    (`layers.pop(-1)`, block_count = layers - 1: the llava-hf configs' feature layer -2) and
    post_layernorm is skipped.
  * `get_tensor_name`: multi_modal_projector.linear_1/2 → mm.0/mm.2, image_newline →
    model.image_newline, vision_model → v, encoder.layers → blk, self_attn.q_proj → attn_q,
    out_proj → attn_out, layer_norm1 → ln1, pre_layrnorm → pre_ln, class_embedding → class_embd,
    patch/position_embedding → patch_embd/position_embd, and (as the script does) mlp.fc1 →
    ffn_down, mlp.fc2 → ffn_up.
  * dtypes: projector 2-D → F16, else F32; tower 4-D (patch embedding) → F16, 2-D `.weight` → F16,
    the rest (biases, norms, class embedding) F32. Projector tensors are written first.

expected.json (per fixture): "texts" (the test strings) and, per text GGUF file name, what
transformers 5 gives when loading that file itself (`AutoTokenizer.from_pretrained(dir,
gguf_file=...)`, `AutoModelForCausalLM.from_pretrained(dir, gguf_file=..., dtype=float32)`, which
dequantizes and un-permutes): "tokenizer" (bos/eos/unk/pad ids, vocabulary size, and per text
"ids" with special tokens, "ids_plain" without, "tokens", "decoded" skipping special tokens,
"decoded_special" keeping them) and "model" ("prompt_ids", "last_logits", "greedy_next"), or
"error" with transformers' message if a load fails.
"""
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
import gguf
from gguf import GGMLQuantizationType as Q, LlamaFileType as FT
from safetensors import safe_open
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent
SOURCES = {
    "llava": FIXTURES / "llava" / "tiny-llava-hf",
    "llava-next": FIXTURES / "llava-next" / "tiny-next-vicuna",
}
TEXT_FILES = {"text-f16.gguf": FT.MOSTLY_F16, "text-q8_0.gguf": FT.MOSTLY_Q8_0, "text-q4_0.gguf": FT.MOSTLY_Q4_0,
              "text-legacy.gguf": FT.MOSTLY_Q5_1}
# The matrices' types, cycled through in file order (text-legacy: the older formats a reader
# requantizes, as a file mixing them would hold).
FILE_QTYPE = {FT.MOSTLY_F16: [Q.F16], FT.MOSTLY_Q8_0: [Q.Q8_0], FT.MOSTLY_Q4_0: [Q.Q4_0], FT.MOSTLY_Q5_1: [Q.Q4_1, Q.Q5_0, Q.Q5_1]}
DEFAULT_MEAN = [0.48145466, 0.4578275, 0.40821073]
DEFAULT_STD = [0.26862954, 0.26130258, 0.27577711]

TEXTS = [
    "Hello world",
    "The picture shows a cat sitting on a wooden table.",
    " leading space",
    "trailing space ",
    "multiple   spaces  inside",
    "   ",
    "",
    "line one\nline two\n\nline four",
    "\ttab\tseparated",
    "naïve café façade",
    "日本語のテキスト",
    "emoji 🦙🎉 and symbols ∑√",
    "e\u0301 combining",
    "<image>",
    "USER: <image>\nWhat is shown in this picture? ASSISTANT:",
    "two images <image><image> side by side",
    "literal <s> and </s> and <unk> and <pad>",
    "<s>USER: hi</s>",
    "A chat between a curious human and an artificial intelligence assistant.",
]
PROMPT = "USER: What is shown in this picture? ASSISTANT: A red square"


def load_config(folder):
    with open(folder / "config.json", encoding="utf-8") as f:
        return json.load(f)


def read_tensors(folder):
    tensors = {}
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        for name in f.keys():
            tensors[name] = f.get_tensor(name)
    return tensors


def permute(weights, n_head, n_head_kv):
    """llama.cpp's LlamaModel.permute: within each head, the rows of the two rotary halves
    interleaved (HF's rotate-half layout → GGML's adjacent pairs)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    rows = weights.shape[0]
    return weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


# MARK: - Text model (convert_hf_to_gguf.py, LlamaModel)

def write_text_model(folder, out_path, file_type):
    config = load_config(folder)
    hparams = {**config, **config["text_config"]}
    n_head, n_kv = hparams["num_attention_heads"], hparams["num_key_value_heads"]
    blocks = hparams["num_hidden_layers"]
    writer = gguf.GGUFWriter(str(out_path), "llama")

    # prepare_metadata
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(folder.name.replace("-", " ").title())
    # TextModel.set_gguf_parameters
    writer.add_block_count(blocks)
    writer.add_context_length(hparams["max_position_embeddings"])
    writer.add_embedding_length(hparams["hidden_size"])
    writer.add_feed_forward_length(hparams["intermediate_size"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_rope_freq_base(hparams["rope_parameters"]["rope_theta"])
    writer.add_layer_norm_rms_eps(hparams["rms_norm_eps"])
    writer.add_key_length(hparams["head_dim"])
    writer.add_value_length(hparams["head_dim"])
    writer.add_file_type(file_type)
    # LlamaModel.set_gguf_parameters
    writer.add_vocab_size(hparams["vocab_size"])
    writer.add_rope_dimension_count(hparams.get("head_dim") or hparams["hidden_size"] // n_head)

    # LlamaModel.set_vocab → _set_vocab_llama_hf
    vocab = gguf.LlamaHfVocab(folder)
    tokens, scores, types = [], [], []
    for text, score, token_type in vocab.all_tokens():
        tokens.append(text)
        scores.append(score)
        types.append(token_type)
    assert len(tokens) == vocab.vocab_size
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    gguf.SpecialVocab(folder, n_vocab=len(tokens)).add_to_gguf(writer, quiet=True)

    # LlamaModel.modify_tensors + ModelBase.prepare_tensors
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, blocks)
    qtypes = FILE_QTYPE[file_type]
    matrices = 0
    for name, tensor in read_tensors(folder).items():
        if "vision_tower" in name or "multi_modal_projector" in name or name == "image_newline":
            continue
        if name.startswith("language_model."):
            name = name.replace("language_model.", "")
        if name.endswith(("q_proj.weight", "q_proj.bias")):
            tensor = permute(tensor, n_head, n_head)
        if name.endswith(("k_proj.weight", "k_proj.bias")):
            tensor = permute(tensor, n_head, n_kv)
        new_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        assert new_name is not None, name
        data = tensor.to(torch.float32).numpy()
        if data.ndim <= 1 or new_name.endswith("_norm.weight"):
            tensor_qtype = Q.F32
        else:
            tensor_qtype = qtypes[matrices % len(qtypes)]
            matrices += 1
        try:
            quantized = gguf.quants.quantize(data, tensor_qtype)
        except gguf.QuantError:
            tensor_qtype = Q.F16
            quantized = gguf.quants.quantize(data, tensor_qtype)
        writer.add_tensor(new_name, quantized, raw_dtype=tensor_qtype)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# MARK: - mmproj (convert_image_encoder_to_gguf.py)

def vision_config_for(config):
    """The vision config the llava tools hand convert_image_encoder_to_gguf.py (--clip-model-is-vision)."""
    vision = dict(config["vision_config"])
    vision["_name_or_path"] = "vit"
    if config["model_type"] == "llava_next":
        # The original repository's config lists pinpoints as (width, height), which is how
        # llava_surgery_v2 hands them on and clip.cpp reads them; llava-hf's are (height, width).
        vision["image_grid_pinpoints"] = [[w, h] for h, w in config["image_grid_pinpoints"]]
        vision["mm_patch_merge_type"] = "spatial_unpad"
        vision["image_aspect_ratio"] = "anyres"
        vision["image_crop_resolution"] = vision["image_size"]
        vision["image_split_resolution"] = vision["image_size"]
    return vision


def mmproj_tensor_name(name):
    """convert_image_encoder_to_gguf.py's get_tensor_name for the LLaVA / CLIP names."""
    if name == "image_newline":
        return "model.image_newline"
    if name.startswith("multi_modal_projector"):
        return name.replace("multi_modal_projector", "mm").replace("linear_1", "0").replace("linear_2", "2")
    for old, new in [("text_model", "t"), ("vision_model", "v"), ("encoder.layers", "blk"), ("embeddings.", ""),
                     ("_proj", ""), ("self_attn.", "attn_"), ("layer_norm", "ln"), ("layernorm", "ln"),
                     ("mlp.fc1", "ffn_down"), ("mlp.fc2", "ffn_up"), ("embedding", "embd"), ("final", "post"),
                     ("layrnorm", "ln")]:
        name = name.replace(old, new)
    return name


def write_mmproj(folder, out_path):
    config = load_config(folder)
    v = vision_config_for(config)
    tensors = read_tensors(folder)

    # CLIPVisionModel(...).state_dict() as the script reads it (vision_model.* names; transformers 5
    # dropped that prefix, so the checkpoint's own tensors stand in), the last layer popped.
    last = v["num_hidden_layers"] - 1
    tower = {name[len("vision_tower."):]: value for name, value in tensors.items()
             if name.startswith("vision_tower.") and f"encoder.layers.{last}." not in name}

    writer = gguf.GGUFWriter(str(out_path), "clip")
    writer.add_bool("clip.has_text_encoder", False)
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_llava_projector", True)
    writer.add_file_type(1)
    writer.add_name(v["_name_or_path"])
    writer.add_description("image encoder for LLaVA / Phi-3")
    writer.add_string("clip.projector_type", "mlp")
    writer.add_uint32("clip.vision.image_size", v["image_size"])
    writer.add_uint32("clip.vision.patch_size", v["patch_size"])
    writer.add_uint32("clip.vision.embedding_length", v["hidden_size"])
    writer.add_uint32("clip.vision.feed_forward_length", v["intermediate_size"])
    writer.add_uint32("clip.vision.projection_dim", v.get("projection_dim", 0))
    writer.add_uint32("clip.vision.attention.head_count", v["num_attention_heads"])
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", v["layer_norm_eps"])
    writer.add_uint32("clip.vision.block_count", v["num_hidden_layers"] - 1)
    if "image_grid_pinpoints" in v:
        writer.add_array("clip.vision.image_grid_pinpoints", [p for pair in v["image_grid_pinpoints"] for p in pair])
    if "image_crop_resolution" in v:
        writer.add_uint32("clip.vision.image_crop_resolution", v["image_crop_resolution"])
    if "image_aspect_ratio" in v:
        writer.add_string("clip.vision.image_aspect_ratio", v["image_aspect_ratio"])
    if "image_split_resolution" in v:
        writer.add_uint32("clip.vision.image_split_resolution", v["image_split_resolution"])
    if "mm_patch_merge_type" in v:
        writer.add_string("clip.vision.mm_patch_merge_type", v["mm_patch_merge_type"])
    writer.add_array("clip.vision.image_mean", DEFAULT_MEAN)
    writer.add_array("clip.vision.image_std", DEFAULT_STD)
    writer.add_bool("clip.use_gelu", v["hidden_act"] == "gelu")

    # The projector (what llava_surgery puts in llava.projector) first.
    for name, data in tensors.items():
        if not (name.startswith("multi_modal_projector") or name == "image_newline"):
            continue
        array = data.squeeze().to(torch.float32).numpy()
        writer.add_tensor(mmproj_tensor_name(name), array.astype(np.float16 if array.ndim in (2, 4) else np.float32))
    for name, data in tower.items():
        if name in ("vision_model.embeddings.position_ids", "vision_model.post_layernorm.weight",
                    "vision_model.post_layernorm.bias"):
            continue
        array = data.squeeze().to(torch.float32).numpy()
        if array.ndim == 4 or (name.endswith(".weight") and array.ndim == 2):
            array = array.astype(np.float16)
        writer.add_tensor(mmproj_tensor_name(name), array)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# MARK: - transformers on the GGUF files

def transformers_reference(out_dir, file_name):
    result = {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(out_dir), gguf_file=file_name)
        cases = []
        for text in TEXTS:
            ids = tokenizer(text)["input_ids"]
            cases.append({
                "text": text,
                "ids": ids,
                "ids_plain": tokenizer(text, add_special_tokens=False)["input_ids"],
                "tokens": tokenizer.convert_ids_to_tokens(ids),
                "decoded": tokenizer.decode(ids, skip_special_tokens=True),
                "decoded_special": tokenizer.decode(ids, skip_special_tokens=False),
            })
        result["tokenizer"] = {
            "bos_id": tokenizer.bos_token_id, "eos_id": tokenizer.eos_token_id,
            "unk_id": tokenizer.unk_token_id, "pad_id": tokenizer.pad_token_id,
            "vocabulary_size": len(tokenizer), "cases": cases,
        }
    except Exception as error:  # recorded, not faked: the Swift tests skip what transformers could not load
        result["tokenizer"] = {"error": f"{type(error).__name__}: {error}"}
        tokenizer = None
    try:
        model = AutoModelForCausalLM.from_pretrained(str(out_dir), gguf_file=file_name, dtype=torch.float32)
        model.eval()
        prompt_ids = tokenizer(PROMPT)["input_ids"] if tokenizer is not None else [1, 3, 4, 5]
        with torch.no_grad():
            logits = model(torch.tensor([prompt_ids])).logits[0, -1]
        result["model"] = {"prompt": PROMPT, "prompt_ids": prompt_ids,
                           "last_logits": [float(x) for x in logits], "greedy_next": int(logits.argmax())}
    except Exception as error:
        result["model"] = {"error": f"{type(error).__name__}: {error}"}
    return result


def main():
    for label, folder in SOURCES.items():
        out_dir = HERE / label
        out_dir.mkdir(exist_ok=True)
        # LlamaHfVocab loads the folder with AutoTokenizer(cache_dir=folder): run it on a copy so no
        # cache lands in the fixture.
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / folder.name
            shutil.copytree(folder, copy)
            for file_name, file_type in TEXT_FILES.items():
                write_text_model(copy, out_dir / file_name, file_type)
            write_mmproj(copy, out_dir / "mmproj-f16.gguf")
        expected = {"source": os.path.relpath(folder, HERE), "texts": TEXTS,
                    "files": {name: transformers_reference(out_dir, name) for name in TEXT_FILES}}
        with open(out_dir / "expected.json", "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False, indent=1)
            f.write("\n")
        for name in sorted(os.listdir(out_dir)):
            print(f"{label}/{name}: {os.path.getsize(out_dir / name)} bytes")
        for name, result in expected["files"].items():
            print(f"  {name}: tokenizer {'error: ' + result['tokenizer']['error'] if 'error' in result['tokenizer'] else 'ok'}, "
                  f"model {'error: ' + result['model']['error'] if 'error' in result['model'] else 'ok'}")


if __name__ == "__main__":
    main()
