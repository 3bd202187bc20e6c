#!/usr/bin/env python3
"""Builds the byte-level BPE (Qwen2-style tokenizer.json) parity fixtures used by Tests/TokenizerTests.

Run by hand (it is not part of the build), from anywhere:

    /work/main/venv/bin/python Tests/Fixtures/tokenizer/make_bytelevel_fixtures.py

Needs `tokenizers` (0.23). Deterministic: running it twice gives the same files. It writes, next to
itself:

  bytelevel/tokenizer.json  the sections of Qwen2's tokenizer.json (as transformers' Qwen2Converter
                     writes them and the LLaVA-OneVision checkpoints ship them): normalizer NFC;
                     pre_tokenizer Sequence[Split(Qwen2's regex, "Isolated"), ByteLevel(add_prefix_space
                     false, use_regex false, trim_offsets false)]; post_processor and decoder
                     ByteLevel; a BPE model without byte fallback or unk token, merges as "a b"
                     strings; added tokens <|endoftext|>, <|im_start|>, <|im_end|>, <image>, <video>
                     (special, not normalized). The vocabulary is the 256 byte-level characters in
                     GPT-2's order, then what the trainer of make_tokenizer_fixtures.py
                     (`learn_merges`) learns from the byte-level pieces of a small corpus.
  parity-bytelevel.json  in the layout of parity.json: the test strings (those of
                     make_tokenizer_fixtures.py, more for the regex's corners, and seeded random
                     mixtures of them) and, from `tokenizers` itself, their ids and tokens, decodes
                     (skipping special tokens and not), decodes of hand-picked id lists (partial and
                     invalid UTF-8), DecodeStream chunks over CJK and emoji, and vocabulary lookups.
"""
import json
import os
import random
import sys
from collections import Counter

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tokenizer_fixtures import CORPUS, learn_merges, run_stream, serialize, test_strings  # noqa: E402

# Qwen2's pre-tokenizer pattern, as in transformers' Qwen2Converter and Qwen2's tokenizer.json.
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")

ADDED = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]

EXTRA_CORPUS = """
<|im_start|>system
You are a helpful assistant.<|im_end|>
<|im_start|>user
<image>
What is shown in this image? Describe it in detail.<|im_end|>
<|im_start|>assistant
The image shows a cat sitting on a table. It's a small cat, and it's looking at the camera.
I'm sure you'll like it; we've seen it, they're here, she'd know. DON'T SHOUT, IT'S LOUD.
def tokenize(text):
    for piece in split(text):
        yield piece  # one piece at a time
    return None
if (a != b) { x += 1; } else { y -= 2; }
\t\tindented with tabs\r\nand Windows line endings\r\n
The numbers 0123456789 and 3.14159 and 2024-12-31 are split into digits.
日本語のテキストと中文文本と한국어 문장이 있습니다。
Emoji 😀 😃 👍🏽 👨‍👩‍👧‍👦 ❤️ 🚀 and flags 🇫🇷 🇯🇵 are byte sequences.
""".strip("\n").split("\n")


def bytes_to_unicode():
    """GPT-2's byte → character table (tokenizers' `bytes_char`), in its order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = list(bs)
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return list(zip(bs, (chr(c) for c in cs)))


BYTE_CHARS = bytes_to_unicode()
CHAR_OF_BYTE = dict(BYTE_CHARS)


def byte_level(text):
    return "".join(CHAR_OF_BYTE[b] for b in text.encode("utf-8"))


def document(vocab, merges):
    """tokenizer.json with the sections of Qwen2's file."""
    byte_level_settings = {"add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": len(vocab) + i, "content": content, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True}
            for i, content in enumerate(ADDED)],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_PATTERN}, "behavior": "Isolated", "invert": False},
            dict({"type": "ByteLevel"}, **byte_level_settings)]},
        "post_processor": dict({"type": "ByteLevel"}, **byte_level_settings),
        "decoder": dict({"type": "ByteLevel"}, **byte_level_settings),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }


def train(target_size=1400):
    """Vocabulary and merges learned from the byte-level pieces of the corpus (split as the file's
    own pre-tokenizer splits them, so that merges never cross a piece)."""
    empty = Tokenizer.from_str(json.dumps(document({c: i for i, (_, c) in enumerate(BYTE_CHARS)}, [])))
    # The extra lines thrice, so that CJK and emoji bytes merge (into tokens that hold part of a
    # character, as real byte-level vocabularies have them).
    text = "\n".join(CORPUS + EXTRA_CORPUS * 3)
    for token in ADDED:
        text = text.replace(token, "\n")
    pieces = empty.pre_tokenizer.pre_tokenize_str(empty.normalizer.normalize_str(text))
    words = Counter(piece for piece, _ in pieces)
    seqs = {w: list(w) for w in words}
    vocab = {c: i for i, (_, c) in enumerate(BYTE_CHARS)}
    merges = learn_merges(words, seqs, vocab, target_size)
    return vocab, merges


def regex_strings():
    """Strings for the corners of the Qwen2 pattern, NFC and byte-level decoding."""
    s = []
    # The chat template and the added tokens, literally and in pieces.
    s += ["<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nWhat is this?"
          "<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|>", "<video>", "<image><video>", "<|im_start|><|im_end|>",
          "<|im_start", "im_end|>", "<|IM_END|>", "<| im_end |>", "x<|endoftext|>y", " <|im_end|> ", "<|im_end|>\n\n",
          "<image>\n<image>\n", "<<image>>", "<|<|im_start|>|>"]
    # Contractions in any case, and apostrophes that are not contractions.
    s += ["I'M", "YOU'LL", "it'S", "we'Re", "They'VE", "she'D", "'s", "'S", "'ll", "'LL", "'Ll", "'lL", "don'T",
          "o'clock", "rock'n'roll", "ma'am", "y'all", "'''", "' s", "'s's", "''s", "'st", "'sx", "'re'", "'r",
          "'v", "'l", "'x", "'1", "' ", "'\n", "x'", "\u2019s", "l'été", "'\u017f", "'\u017ft", "'\u212a", "'\u00df",
          "He said 'hello' and 'GOODBYE'.", "isn't IT'S Isn'T"]
    # Digits one at a time, in every script; number-like letters and symbols.
    s += ["1234567890", "3.14159", "x1y2z3", "1a2b", "a1", "\u0663\u0664\u0665", "\u0967\u0968", "\u00b2\u00b3",
          "\u216b", "\u2460\u2461", "\uff11\uff12", "\U0001d7ce\U0001d7cf", "\u96f6\u4e00\u4e8c", "12.5e3", "$100", "-1",
          "1,000", " 1", "  1", "\n1", "'1'", "1\n"]
    # Whitespace: mixed runs, before words, before newlines, at the end, Unicode spaces.
    s += ["a \t b", "a\t\tb", " \n", "\n ", "  \n\n  x", "x  \r\n  y", "\r", "\r\r\n", "\t\n\t", "a\u00a0b",
          "\u00a0\u00a0x", "\u3000x", "x\u2028y", "\u0085", "a\u0085b", "a  ", "a \n", "   a", "\u000b\u000c",
          "\u200b", "a\u200bb", "end with spaces   ", "\n\n\nx", " \t\n \t\nx", "x \n \n y", "  \r\n", "\r\n\r\n",
          " \u00a0 x", "\t x", " \tx", "x\t", "a\u1680b", "a\u2009b", "a\u202fb", "a\u205fb", "a\u180eb",
          "a\u2003\u2003b", " " * 7 + "x", "x" + " " * 7, "\t" * 5 + "x", "\n" * 5 + " x"]
    # Punctuation runs with newlines.
    s += ["!!!\n\n", "...\r\n", " ?!\n", "a.\n\nb", " (x)", " ((", "(\n", "a -- b", "a--b", "->\n  x", "::",
          " .", ". ", " .\n", "x:\r\n\r\n", "#!", "\"\"\"doc\"\"\""]
    # NFC: compositions, singletons, reordering, and characters its Unicode 9.0 tables do not know.
    s += ["e\u0301", "E\u0301", "a\u0328\u0301", "a\u0301\u0328", "\u1100\u1161", "\u1100\u1161\u11a8", "\u212b",
          "\u2126", "A\u030a", "\u0958", "\u1e9b\u0323", "q\u0307\u0323", "\u00c5\u0316", "x\u0301\u0316\u0301",
          "a\u1acc\u0316", "a\u0301\u1acc\u0316", "\u0915\u093c", "e\u0301\u0301", "\U0001d15e",
          "a\u088fb", "1\U00011de0", "\U0001611e\U0001611f", "\U00016d63\U00016d67", "\uac00\u11a8", "\ud4db\u11c2",
          "\U00010041\u0301", "\U00020045\u0323\u0302", "\U00011099\U000110ba", "\u1099\U000110ba",
          "\U00011935\U00011930"]
    # Emoji: ZWJ sequences, skin tones, keycaps, tags, variation selectors.
    s += ["\U0001F469\U0001F3FF\u200d\U0001F680", "\U0001F9D1\U0001F3FB\u200d\U0001F91D\u200d\U0001F9D1\U0001F3FF",
          "\U0001F44B\U0001F3FC\U0001F44B\U0001F3FD", "\u2764\ufe0f\u200d\U0001F525", "1\ufe0f\u20e3", "#\ufe0f\u20e3",
          "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "a\U0001F600b", " \U0001F600",
          "\U0001F600\n", "\U0001F600'S", "\u263a\ufe0e"]
    # Code.
    s += ["def f(x):\n    return x\n\n\ndef g():\n\tpass\n", "if(a!=b){x+=1;}", "a::b->c", "x = 1  # comment\n",
          "\t\tif x:\n\t\t\ty()\n", "{\n  \"a\": [1, 2],\n  \"b\": null\n}\n", "for (int i = 0; i < n; ++i) {}",
          "print(f\"{x!r:>10}\")", "<div class=\"x\">text</div>", "$ ls -la | grep '\\.py$'"]
    # Random mixtures of the pattern's corner pieces.
    rng = random.Random(2024)
    pool = ["'", "s", "S", "ll", "LL", "re", "VE", "d", "M", "t", " ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0",
            "\u3000", "1", "23", "\u0663", "\u00b2", "a", "word", "Word", "\u65e5\u672c", "\u00e9", "e\u0301", "\u0301",
            "\U0001F600", "\U0001F44D\U0001F3FD", "\u200d", "!", "?!", "...", "-", "(", ")", "_", "\u017f", "\u4e00",
            "<|im_end|>", "<image>", "\u0915\u093f", "\ufe0f"]
    for _ in range(200):
        s.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 10))))
    return s


def byte_ids(vocab, data):
    return [vocab[CHAR_OF_BYTE[b]] for b in data]


def decode_cases(vocab, size):
    b = lambda *bs: byte_ids(vocab, bs)
    w = lambda t: [vocab[byte_level(t)]]
    grin = b(0xF0, 0x9F, 0x98, 0x80)
    euro = b(0xE2, 0x82, 0xAC)
    endoftext, im_start, im_end, image, video = range(size, size + 5)
    return [
        [], b(0x41), grin, grin + grin, euro, grin[:3], grin[:1], euro[:2] + b(0x41), b(0xFF), b(0xFE, 0xFF),
        b(0xC0, 0xAF), b(0xED, 0xA0, 0x80), b(0xF4, 0x90, 0x80, 0x80), b(0x80, 0x80), b(0xF0, 0x9F, 0x41),
        b(0xE2, 0x82) + w(" the") + b(0xAC), w("The") + b(0xFF) + w(" the"), b(0x20, 0x20, 0x0A, 0x09),
        [im_start] + w("The") + b(0x0A) + [image] + b(0x0A) + [im_end], [endoftext, video],
        grin[:2] + [im_end] + grin[2:], [size + 5], [99999], w(" the") + [99999] + w(" the"),
    ]


def stream_cases(vocab, tok):
    b = lambda data: byte_ids(vocab, data)
    texts = ["日本語", "\U0001F600\U0001F680", "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
             "\U0001F44D\U0001F3FD ok", "e\u0301 caf\u00e9 \u212b"]
    cases = [b(t.encode("utf-8")) for t in texts]
    cases += [tok.encode(t).ids for t in [
        "Hello 😀 world 🚀!", "日本語 and 龘 and 中文文本", "👨‍👩‍👧‍👦 family, 👍🏽 thumbs, 🇫🇷 flag",
        "<|im_start|>user\n<image>\n今天天气很好<|im_end|>", "  two leading spaces\nand a newline\r\n"]]
    return cases


def main():
    vocab, merges = train()
    doc = document(vocab, merges)
    folder = os.path.join(HERE, "bytelevel")
    os.makedirs(folder, exist_ok=True)
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(text)
    tok = Tokenizer.from_str(text)
    # Round trip: the library reads back exactly the sections we wrote (no silent defaults).
    saved = json.loads(tok.to_str())
    for key in ["added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder"]:
        assert saved[key] == doc[key], key

    strings, seen = [], set()
    for x in test_strings() + regex_strings():
        if x not in seen:
            seen.add(x)
            strings.append(x)
    entry = {"vocab_size": tok.get_vocab_size(with_added_tokens=True), "cases": [],
             "special_prefix": [], "special_suffix": []}
    for x in strings:
        plain = tok.encode(x, add_special_tokens=False)
        assert tok.encode(x, add_special_tokens=True).ids == plain.ids, x
        entry["cases"].append({
            "ids": plain.ids, "tokens": plain.tokens,
            "decoded": tok.decode(plain.ids, skip_special_tokens=True),
            "decoded_all": tok.decode(plain.ids, skip_special_tokens=False)})
    entry["decode_cases"] = [
        {"ids": ids, "skip": tok.decode(ids, skip_special_tokens=True), "keep": tok.decode(ids, skip_special_tokens=False)}
        for ids in decode_cases(vocab, len(vocab))]
    entry["stream_cases"] = []
    for ids in stream_cases(vocab, tok):
        case = {"ids": ids, "skip": run_stream(tok, ids, True), "keep": run_stream(tok, ids, False)}
        assert not any(isinstance(c, dict) for c in case["skip"] + case["keep"]), ids
        entry["stream_cases"].append(case)
    entry["id_of"] = {t: tok.token_to_id(t) for t in ADDED + ["!", "Ġ", "Ċ", "Ā", byte_level(" the"), "The", " the", "nope"]}
    entry["token_of"] = {str(i): tok.id_to_token(i) for i in
                         [0, 93, 94, 187, 188, 255, 256, len(vocab) - 1, len(vocab), len(vocab) + 4, len(vocab) + 5, 99999]}
    result = {"generator": "make_bytelevel_fixtures.py", "tokenizers_version": __import__("tokenizers").__version__,
              "strings": strings, "tokenizers": {"bytelevel": entry}, "variants": {}}
    with open(os.path.join(HERE, "parity-bytelevel.json"), "w", encoding="utf-8") as f:
        f.write(serialize(result))
    print("strings:", len(strings), "vocab:", len(vocab), "merges:", len(merges))
    print("tokenizer.json", os.path.getsize(os.path.join(folder, "tokenizer.json")), "bytes")
    print("parity-bytelevel.json", os.path.getsize(os.path.join(HERE, "parity-bytelevel.json")), "bytes")


if __name__ == "__main__":
    sys.exit(main())
