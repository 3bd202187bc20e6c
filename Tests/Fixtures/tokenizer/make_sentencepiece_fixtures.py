#!/usr/bin/env python3
"""Builds the SentencePiece (`tokenizer.model`) parity fixtures used by Tests/TokenizerTests.

Run by hand (it is not part of the build), from anywhere:

    /work/venv/bin/pip install sentencepiece protobuf
    /work/venv/bin/python Tests/Fixtures/tokenizer/make_sentencepiece_fixtures.py

Needs `sentencepiece` (0.2), `protobuf`, `tokenizers` (0.23) and `transformers` (5.x). It trains a
small SentencePiece BPE model on the corpus of make_tokenizer_fixtures.py (byte_fallback, identity
normalization, no extra-whitespace removal, digits split: LLaMA's settings; one USER_DEFINED piece
<image> and one CONTROL piece <pad>), and loads folders holding only that tokenizer.model and a
tokenizer_config.json with transformers' `LlamaTokenizerFast.from_pretrained(folder)`, which
converts the model (there is no tokenizer.json). Deterministic: running it twice gives the same
files. It writes, next to itself:

  sentencepiece/          tokenizer.model + a tokenizer_config.json like liuhaotian/llava-v1.6's
                          (legacy false, added_tokens_decoder, pad_token "<unk>"), and
                          converted-tokenizer.json: what transformers' converted tokenizer saves
                          (named so that the folder still loads from tokenizer.model).
  sentencepiece-legacy/   the same tokenizer.model + a tokenizer_config.json like
                          liuhaotian/llava-v1.5's (AddedToken objects, pad_token null) but with
                          legacy true, and a special_tokens_map.json giving pad_token "<unk>".
  sentencepiece-eos/      the same tokenizer.model + add_bos_token false, add_eos_token true,
                          add_prefix_space false (Metaspace "never", no Strip in the decoder).
  sentencepiece-unigram/  a small Unigram tokenizer.model (the Swift loader must refuse it).
  sentencepiece-configs.json  more tokenizer_config.json variations on the same tokenizer.model
                          (null special tokens, extra special tokens replacing the CONTROL and
                          USER_DEFINED pieces, a named USER_DEFINED piece, add_prefix_space false
                          with legacy true, …): per config, transformers' ids and decodes of a few
                          strings and its BOS/EOS/unk/pad ids and vocabulary size (the config is
                          stored as a JSON string, written as it is by the test).
  parity-sentencepiece.json  for each folder, in the layout of parity.json (same test strings;
                          sentencepiece-eos only a subset, listed in its entry): ids without
                          special tokens (with them, transformers gives special_prefix + ids +
                          special_suffix: checked here), the tokens (sentencepiece only), and
                          transformers' decode skipping special tokens and not; decodes of
                          hand-picked id lists; streaming decode chunks; BOS/EOS/pad ids.
"""
import io
import json
import os
import shutil
import sys

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tokenizer_fixtures import CORPUS, decode_cases, run_stream, serialize, stream_cases, test_strings  # noqa: E402


def train(**overrides):
    args = dict(model_type="bpe", vocab_size=800, byte_fallback=True, character_coverage=0.99,
                normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
                split_digits=True, allow_whitespace_only_pieces=True, user_defined_symbols=["<image>"],
                control_symbols=["<pad>"], num_threads=1, minloglevel=2)
    args.update(overrides)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS), model_writer=model, **args)
    return model.getvalue()


def added(content):
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
            "special": True}


def added_object(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False}


# Which folders record the tokens too (the others only ids and decodes, to keep the file small),
# and which use only a subset of the strings.
WITH_TOKENS = {"sentencepiece"}
SUBSET = {"sentencepiece-eos"}


def subset(strings):
    """The first 100 strings and those with added or special tokens: enough for the EOS template."""
    return strings[:100] + [x for x in strings[100:] if "<" in x]


FOLDERS = {
    # liuhaotian/llava-v1.6-vicuna-7b style (saved by transformers 4.3x).
    "sentencepiece": ({
        "add_bos_token": True, "add_eos_token": False,
        "added_tokens_decoder": {"0": added("<unk>"), "1": added("<s>"), "2": added("</s>")},
        "bos_token": "<s>", "clean_up_tokenization_spaces": False, "eos_token": "</s>", "legacy": False,
        "model_max_length": 4096, "pad_token": "<unk>", "padding_side": "right", "sp_model_kwargs": {},
        "spaces_between_special_tokens": False, "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>",
        "use_default_system_prompt": False}, None),
    # liuhaotian/llava-v1.5-7b style (saved by transformers 4.31), with legacy true.
    "sentencepiece-legacy": ({
        "add_bos_token": True, "add_eos_token": False, "bos_token": added_object("<s>"),
        "clean_up_tokenization_spaces": False, "eos_token": added_object("</s>"), "legacy": True,
        "model_max_length": 2048, "pad_token": None, "padding_side": "right", "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizer", "unk_token": added_object("<unk>")},
        {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<unk>", "unk_token": "<unk>"}),
    "sentencepiece-eos": ({
        "add_bos_token": False, "add_eos_token": True, "add_prefix_space": False, "legacy": False,
        "tokenizer_class": "LlamaTokenizer"}, None),
}


# tokenizer_config.json variations (the Swift test writes each next to the fixture model).
CONFIG_CASES = [
    {"bos_token": None, "add_bos_token": True, "add_eos_token": True},
    {"unk_token": None, "eos_token": "<eos>"},
    {"legacy": True, "add_prefix_space": False, "add_bos_token": True},
    {"legacy": True, "add_eos_token": True, "add_bos_token": False},
    {"additional_special_tokens": ["<extra>", "<image>"], "add_bos_token": True},
    {"extra_special_tokens": []},
    {"pad_token": "<image>", "unk_token": {"__type": "AddedToken", "content": "<unk>", "lstrip": True,
                                           "normalized": False, "rstrip": False, "single_word": False}},
    {"added_tokens_decoder": {"1": {"content": "<s>", "lstrip": True, "normalized": False, "rstrip": True,
                                    "single_word": False, "special": True}}, "add_bos_token": True},
]
CONFIG_TEXTS = ["a<s>b</s> <unk>", "<image> x<pad>y <extra> z", "  two  spaces ", "Hello world", "x <s> y",
                " <unk> <image>  <s>"]


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def main():
    from transformers import AutoTokenizer, LlamaTokenizerFast

    model = train()
    assert model == train(), "SentencePiece training is not deterministic"
    strings = test_strings()
    result = {"generator": "make_sentencepiece_fixtures.py", "tokenizers_version": __import__("tokenizers").__version__,
              "strings": strings, "tokenizers": {}, "variants": {}}
    for name, (config, special_map) in FOLDERS.items():
        folder = os.path.join(HERE, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        with open(os.path.join(folder, "tokenizer.model"), "wb") as f:
            f.write(model)
        write_json(os.path.join(folder, "tokenizer_config.json"), config)
        if special_map is not None:
            write_json(os.path.join(folder, "special_tokens_map.json"), special_map)

        hf = LlamaTokenizerFast.from_pretrained(folder)
        auto = AutoTokenizer.from_pretrained(folder)
        assert type(auto) is type(hf)
        tok = hf.backend_tokenizer  # the converted tokenizers.Tokenizer
        vocab = tok.get_vocab(with_added_tokens=False)
        prefix = hf("")["input_ids"]
        suffix = []
        if config.get("add_eos_token"):
            prefix, suffix = prefix[:-1], prefix[-1:]
        entry = {"vocab_size": tok.get_vocab_size(with_added_tokens=True), "cases": [],
                 "special_prefix": prefix, "special_suffix": suffix}
        assert entry["vocab_size"] == len(hf)
        chosen = subset(strings) if name in SUBSET else strings
        if name in SUBSET:
            entry["strings"] = chosen
        for s in chosen:
            with_special = hf(s)["input_ids"]
            plain = hf.encode(s, add_special_tokens=False)
            encoding = tok.encode(s, add_special_tokens=False)
            assert with_special == prefix + plain + suffix, (name, s)
            assert encoding.ids == plain and auto(s)["input_ids"] == with_special, (name, s)
            decoded = hf.decode(with_special, skip_special_tokens=True)
            decoded_all = hf.decode(with_special, skip_special_tokens=False)
            assert decoded == tok.decode(with_special, skip_special_tokens=True), (name, s)
            case = {"ids": plain, "decoded": decoded, "decoded_all": decoded_all}
            if name in WITH_TOKENS:
                case["tokens"] = encoding.tokens
            entry["cases"].append(case)
        entry["decode_cases"] = [
            {"ids": ids, "skip": hf.decode(ids, skip_special_tokens=True), "keep": hf.decode(ids, skip_special_tokens=False)}
            for ids in decode_cases(vocab, len(vocab))]
        entry["stream_cases"] = [
            {"ids": ids, "skip": run_stream(tok, ids, True), "keep": run_stream(tok, ids, False)}
            for ids in stream_cases(vocab, tok)]
        entry["id_of"] = {t: tok.token_to_id(t) for t in
                          ["<unk>", "<s>", "</s>", "<image>", "<pad>", "<sep>", "ZZword", "▁the", "<0x41>", "nope"]}
        entry["token_of"] = {str(i): tok.id_to_token(i) for i in
                             [0, 1, 2, 3, 4, 68, 259, 300, len(vocab) - 1, len(vocab), len(vocab) + 1, 99999]}
        entry["transformers"] = {"bos_id": hf.bos_token_id, "eos_id": hf.eos_token_id, "pad_id": hf.pad_token_id,
                                 "vocab_size": len(hf), "ids": []}
        result["tokenizers"][name] = entry
        if name == "sentencepiece":
            with open(os.path.join(folder, "converted-tokenizer.json"), "w", encoding="utf-8") as f:
                f.write(tok.to_str() + "\n")

    unigram = os.path.join(HERE, "sentencepiece-unigram")
    shutil.rmtree(unigram, ignore_errors=True)
    os.makedirs(unigram)
    with open(os.path.join(unigram, "tokenizer.model"), "wb") as f:
        f.write(train(model_type="unigram", vocab_size=200, byte_fallback=False, user_defined_symbols=[],
                      control_symbols=[]))

    config_cases = []
    folder = os.path.join(HERE, "sentencepiece-config-case")
    for config in CONFIG_CASES:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        with open(os.path.join(folder, "tokenizer.model"), "wb") as f:
            f.write(model)
        write_json(os.path.join(folder, "tokenizer_config.json"), config)
        hf = LlamaTokenizerFast.from_pretrained(folder)
        cases = []
        for text in CONFIG_TEXTS:
            ids = hf(text)["input_ids"]
            cases.append({"text": text, "ids": ids, "decoded": hf.decode(ids, skip_special_tokens=True),
                          "decoded_all": hf.decode(ids, skip_special_tokens=False)})
        config_cases.append({"config": json.dumps(config, ensure_ascii=False), "bos_id": hf.bos_token_id, "eos_id": hf.eos_token_id,
                             "unk_id": hf.unk_token_id, "pad_id": hf.pad_token_id, "vocab_size": len(hf), "cases": cases})
    shutil.rmtree(folder)
    with open(os.path.join(HERE, "sentencepiece-configs.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in config_cases) + "]\n")

    with open(os.path.join(HERE, "parity-sentencepiece.json"), "w", encoding="utf-8") as f:
        f.write(serialize(result))
    print("strings:", len(strings), "pieces:", len(vocab), "tokenizer.model:", len(model), "bytes")
    for name in list(FOLDERS) + ["sentencepiece-unigram"]:
        for file in sorted(os.listdir(os.path.join(HERE, name))):
            print(f"{name}/{file}", os.path.getsize(os.path.join(HERE, name, file)), "bytes")
    print("sentencepiece-configs.json", os.path.getsize(os.path.join(HERE, "sentencepiece-configs.json")), "bytes")
    print("parity-sentencepiece.json", os.path.getsize(os.path.join(HERE, "parity-sentencepiece.json")), "bytes")


if __name__ == "__main__":
    sys.exit(main())
