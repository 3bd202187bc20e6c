#!/usr/bin/env python3
"""Builds the tokenizer parity fixtures used by Tests/TokenizerTests.

Run by hand (it is not part of the build), from anywhere:

    /work/venv/bin/python Tests/Fixtures/tokenizer/make_tokenizer_fixtures.py

Needs `tokenizers` (0.23) and `transformers` (5.x). Deterministic: running it twice gives the same
files. It writes, next to itself:

  legacy/            tokenizer.json with the legacy LLaMA normalizer Sequence[Prepend("▁"),
                     Replace(" ", "▁")], pre_tokenizer null, merges as "a b" strings, decoder
                     Sequence[Replace ▁→" ", ByteFallback, Fuse, Strip(" ", 1, 0)], template
                     "<s> $A"; plus tokenizer_config.json and special_tokens_map.json.
  metaspace/         normalizer null, Metaspace(prepend_scheme "first", split false), merges as
                     ["a", "b"] pairs, same decoder; tokenizer_config.json with add_eos_token true.
  metaspace-split/   Sequence[Metaspace(prepend_scheme "always", split true)], Metaspace decoder,
                     byte_fallback false (unknown characters become a fused <unk>), ignore_merges
                     true, template "$A </s>" (no BOS).
  metaspace-never/   Metaspace(prepend_scheme "never", split true), no decoder, no post-processor,
                     byte_fallback false, fuse_unk false.
  parity.json        for each tokenizer and each test string: the ids without special tokens (with
                     them, HF gives special_prefix + ids + special_suffix: checked here), the tokens, and Hugging Face's decode of the ids (skipping special
                     tokens and not); decode of hand-picked id lists (invalid UTF-8 byte runs, ids
                     out of range); streaming decode (tokenizers.decoders.DecodeStream) chunks;
                     `transformers` AutoTokenizer ids for the folders with a config; and
                     "variants": a base file with some added tokens made "normalized" (the test
                     applies the same edit).

All four share one vocabulary: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF>, then the tokens
a small deterministic BPE trainer (below) learns from the embedded corpus (alphabet limited, so that
rare characters fall back to bytes), and one token no merge reaches (for ignore_merges). Added tokens: <image>, <pad>, <tool, <tool_call> (special), <sep> (lstrip + rstrip, not
special), ZZword (single_word, normalized, not special).
"""
import json
import os
import random
import re
import sys
from collections import Counter

from tokenizers import Tokenizer
from tokenizers.decoders import DecodeStream

HERE = os.path.dirname(os.path.abspath(__file__))

CORPUS = """
The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs away.
A language model reads tokens, one after another, and predicts the next token from the ones before it.
Images are split into patches; each patch becomes a visual token that the language model can attend to.
PyramidDrop keeps the most important image tokens at each stage and drops the rest of them.
In the first stage all tokens are kept, in the second half of them, then a quarter, then an eighth.
The assistant answers the question about the image: what is in the picture, and where is it?
USER: What is shown in this image? ASSISTANT: A cat is sitting on a wooden table next to a cup of tea.
USER: How many people are in the photo? ASSISTANT: There are three people standing near the river.
Tokenization is the first step: the text is normalized, split into pieces, and each piece is encoded.
Byte pair encoding starts from characters and repeatedly merges the most frequent pair of symbols.
Unknown characters fall back to bytes, so every string can be encoded without an unknown token.
def encode(text): return [vocab[t] for t in tokenize(text)]  # a tiny function
for i in range(10): print(i, i * i, i ** 3)
if (x > 0 && y < 10) { return x + y; } else { return -1; }
let numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 1000, 2024, 3.14159, 42];
The year 2024 had 366 days; the price was $19.99 or 17,50 € and the rate was 3.5%.
Call me at 555-0100 between 9:00 and 17:30, or write to hello@example.com before 12/31.
Le café est très bon, et la crème brûlée aussi. Où est la bibliothèque ? À bientôt, élève !
Les élèves étudient l'été à côté de la forêt; ils préfèrent le thé glacé et les crêpes.
Der Bär läuft über die Straße, und die Größe der Bäume ist schön. Grüße aus München!
El niño comió una manzana en el jardín; mañana irá a la montaña con su señora.
Tiếng Việt có nhiều dấu: một, hai, ba, bốn, năm. Người ta ở đó rất lâu.
São Paulo é uma cidade grande; a informação está disponível em português.
café café café cafe\u0301 cafe\u0301 cafe\u0301 re\u0301sume\u0301 re\u0301sume\u0301 élan élan e\u0301lan
naïve naïve coöperate façade jalapeño piñata smörgåsbord Ångström
日本語のテキストも少し含まれています。東京は大きな都市です。
中文文本也包括在内。我们喜欢学习语言模型。今天天气很好。
한국어 문장도 조금 있습니다. 안녕하세요, 만나서 반갑습니다.
Emoji time 😀 😃 😄 and hearts ❤️ 💙 plus a rocket 🚀 and a cat 🐱 on the mat.
Math: α + β = γ, ∑ x² ≤ ∞, π ≈ 3.14, √2 ≈ 1.414, and ½ + ¼ = ¾.
Quotes “like these” and ‘these’ — with dashes – and ellipses… are common in prose.
    Indented code lines start with four spaces, and tabs\tseparate\tcolumns\there.
Line one\nLine two\n\nLine four after an empty line.
THE END IS NEAR, SAID THE SIGN IN CAPITAL LETTERS; the end is near, said the sign again.
Small models are trained on small corpora; large models on large ones. Models, models, models.
The image shows a red bus, a green tree, a blue sky, and a yellow taxi in the street.
Describe the image in detail. The image features a dog playing with a ball on the grass.
Please answer with a single word. Yes. No. Maybe. Sure, here is the answer you asked for.
""".strip().split("\n")

# A second pass over the main lines weights common English words, so that merges go deep.
CORPUS = CORPUS + CORPUS[:20] * 3

SPECIALS = ["<unk>", "<s>", "</s>"]
BYTE_TOKENS = ["<0x%02X>" % b for b in range(256)]
# A token no merge sequence reaches: only `ignore_merges` can produce it.
UNREACHABLE = "▁zzqx"


def learn_merges(words, seqs, vocab, target_size):
    """Greedy BPE on `words` (word → count), whose symbols `seqs` holds (word → list; None is a
    barrier that never merges): each step merges the most frequent adjacent pair (ties: the smaller
    pair in code-point order) until `vocab` (grown in place) reaches target_size or no pair occurs
    twice. Returns the merges in rank order."""
    merges = []
    while len(vocab) < target_size:
        pairs = Counter()
        for w, seq in seqs.items():
            for x, y in zip(seq, seq[1:]):
                if x is not None and y is not None:
                    pairs[(x, y)] += words[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(list(best))
        merged = best[0] + best[1]
        if merged not in vocab:
            vocab[merged] = len(vocab)
        for w, seq in seqs.items():
            out, i = [], 0
            while i < len(seq):
                if i + 1 < len(seq) and seq[i] == best[0] and seq[i + 1] == best[1]:
                    out.append(merged)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            seqs[w] = out
    return merges


def train_vocab_and_merges(target_size=1150, alphabet_limit=170):
    """A small deterministic BPE trainer (tokenizers' BpeTrainer breaks ties by hash order, so its
    output changes from run to run). Words are Metaspace pieces ("▁word"); the alphabet keeps the
    most frequent characters (rarer ones fall back to bytes); the merges come from `learn_merges`."""
    words = Counter()
    for line in CORPUS:
        for word in re.split(r"(?=▁)", "▁" + line.replace(" ", "▁")):
            if word:
                words[word] += 1
    chars = Counter()
    for word, n in words.items():
        for c in word:
            chars[c] += n
    alphabet = sorted(chars, key=lambda c: (-chars[c], c))[:alphabet_limit]
    known = set(alphabet)
    # A character outside the alphabet is a barrier: None never merges.
    seqs = {w: [c if c in known else None for c in w] for w in words}
    vocab = {}
    for token in SPECIALS + BYTE_TOKENS + sorted(alphabet):
        vocab[token] = len(vocab)
    merges = learn_merges(words, seqs, vocab, target_size)
    vocab[UNREACHABLE] = len(vocab)
    return vocab, merges


def added_token(id, content, special, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def added_tokens(vocab_size):
    n = vocab_size
    return [
        added_token(0, "<unk>", True), added_token(1, "<s>", True), added_token(2, "</s>", True),
        added_token(n, "<image>", True), added_token(n + 1, "<pad>", True),
        added_token(n + 2, "<tool", True), added_token(n + 3, "<tool_call>", True),
        added_token(n + 4, "<sep>", False, lstrip=True, rstrip=True),
        added_token(n + 5, "ZZword", False, normalized=True, single_word=True),
    ]


def template(single, specials):
    def piece(p):
        return {"Sequence": {"id": p[1:], "type_id": 0}} if p.startswith("$") else {"SpecialToken": {"id": p, "type_id": 0}}
    pair = single + [("$B" if p == "$A" else p) for p in single]
    return {"type": "TemplateProcessing", "single": [piece(p) for p in single], "pair": [piece(p) for p in pair],
            "special_tokens": {s: {"id": s, "ids": [i], "tokens": [s]} for s, i in specials}}


LLAMA_DECODER = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def model_section(vocab, merges, legacy_merges, byte_fallback, fuse_unk, ignore_merges):
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": fuse_unk, "byte_fallback": byte_fallback,
            "ignore_merges": ignore_merges, "vocab": vocab,
            "merges": [" ".join(m) for m in merges] if legacy_merges else merges}


def document(vocab, merges, **parts):
    model = parts.pop("model")
    doc = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": added_tokens(len(vocab))}
    doc.update(parts)
    doc["model"] = model_section(vocab, merges, **model)
    return doc


def build_documents(vocab, merges):
    meta_first = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    return {
        "legacy": document(
            vocab, merges,
            normalizer={"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
            pre_tokenizer=None,
            post_processor=template(["<s>", "$A"], [("<s>", 1)]),
            decoder=LLAMA_DECODER,
            model=dict(legacy_merges=True, byte_fallback=True, fuse_unk=True, ignore_merges=False)),
        "metaspace": document(
            vocab, merges,
            normalizer=None, pre_tokenizer=meta_first,
            post_processor=template(["<s>", "$A"], [("<s>", 1)]),
            decoder=LLAMA_DECODER,
            model=dict(legacy_merges=False, byte_fallback=True, fuse_unk=True, ignore_merges=False)),
        "metaspace-split": document(
            vocab, merges,
            normalizer={"type": "Sequence", "normalizers": []},
            pre_tokenizer={"type": "Sequence", "pretokenizers": [
                {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}]},
            post_processor=template(["$A", "</s>"], [("</s>", 2)]),
            decoder={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
            model=dict(legacy_merges=False, byte_fallback=False, fuse_unk=True, ignore_merges=True)),
        "metaspace-never": document(
            vocab, merges,
            normalizer=None,
            pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": True},
            post_processor=None, decoder=None,
            model=dict(legacy_merges=False, byte_fallback=False, fuse_unk=False, ignore_merges=False)),
    }


CONFIGS = {
    # A LLaVA-1.5-like tokenizer_config.json (+ special_tokens_map.json).
    "legacy": ({"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>",
                "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": False, "normalized": False,
                              "rstrip": False, "single_word": False},
                "pad_token": "<pad>", "unk_token": "<unk>", "model_max_length": 4096,
                "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False},
               {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}),
    # transformers 5 ignores add_bos_token/add_eos_token when tokenizer.json exists (its template
    # wins), and adds named special tokens the file lacks (<pad2>, <extra_0>) as new special tokens;
    # tokens the file already has (<sep>) keep their properties.
    "metaspace": ({"add_bos_token": True, "add_eos_token": True, "bos_token": "<s>", "eos_token": "</s>",
                   "pad_token": "<pad2>", "unk_token": "<unk>", "additional_special_tokens": ["<extra_0>", "<sep>"],
                   "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False},
                  None),
}


VARIANTS = {"legacy-normalized-specials": ("legacy", ["<s>", "</s>", "<sep>"])}


def test_strings():
    s = []
    # ASCII prose and sentences from the corpus.
    s += CORPUS[:12]
    s += ["Hello world", "hello world", "Hello, world!", "The cat sat on the mat.", "a", "I", "x", "the",
          "The", "THE", "tokenization", "Tokenization is fun", "What is shown in this image?",
          "USER: <image>\nWhat is in the picture? ASSISTANT:", "Describe the image.",
          "This is a test of the emergency broadcast system."]
    # Spaces: leading, trailing, multiple, only spaces.
    s += ["", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " hello", "  hello", "hello ", "hello  ",
          " hello ", "hello   world", "hello \t world", "a b c d e", " a  b   c    d ", "▁", "▁hello",
          "hello▁world", "▁ ▁", "  \n  ", "\u00a0nbsp\u00a0", "ideographic\u3000space", "word\u2003em space"]
    # Newlines and tabs.
    s += ["line1\nline2", "line1\n\nline2\n", "\ttabbed", "col1\tcol2\tcol3", "a\r\nb\r\nc",
          "Line one\nLine two\n\nLine four", "trailing newline\n", "\nleading newline"]
    # Digits.
    s += ["0", "1", "42", "2024", "3.14159", "1,000,000", "12345678901234567890", "0x1F600", "555-0100",
          "9:00 and 17:30", "$19.99", "17,50 €", "3.5%", "1e-9", "-273.15", "v1.2.3"]
    # Punctuation runs.
    s += ["!!!", "???", "...", "!?!?", "---", "***", "(((", ")))", "[[[]]]", "{}", "<>", "<<>>", "a.b,c;d:e",
          "\"quoted\"", "'single'", "it's", "don't", "#hashtag", "@mention", "a/b\\c", "~`^|", "=>", "->",
          "!=", "==", "&&", "||", "::", "//", "/* comment */", "<!-- html -->", "x==y&&z!=w"]
    # Accented Latin, precomposed and decomposed.
    s += ["café", "cafe\u0301", "crème brûlée", "Où est la bibliothèque ?", "élève", "e\u0301le\u0300ve",
          "Größe", "Straße", "über", "u\u0308ber", "mañana", "man\u0303ana", "São Paulo", "naïve",
          "Ångström", "A\u030angstro\u0308m", "Å", "\u212b", "Ω", "\u2126", "Tiếng Việt", "một", "ở",
          "Łódź", "Dvořák", "Ærøskøbing", "œuvre", "ﬁ ligature", "Ｆｕｌｌｗｉｄｔｈ"]
    # Combining marks on their own and stacked.
    s += ["\u0301", "a\u0301\u0302\u0303", "e\u0301\u0301\u0301", "Z\u0351\u036b\u0343\u036a\u0302\u036b",
          "q\u0307\u0323", "\u0915\u093f", "\u0915\u094d\u0937", "\u1100\u1161\u11a8", "각"]
    # CJK and other scripts.
    s += ["日本語", "東京は大きな都市です。", "中文", "我们喜欢学习语言模型。", "今天天气很好", "龘", "𠀋",
          "한국어", "안녕하세요", "Привет, мир!", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם",
          "नमस्ते दुनिया", "สวัสดีชาวโลก", "ሰላም", "Hello 世界", "mixed日本語text"]
    # Emoji (4-byte UTF-8), ZWJ sequences, flags, skin tones, variation selectors.
    s += ["😀", "😀😀", "😀 😃 😄", "I ❤️ you", "❤", "🚀 launch", "a🐱b", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵",
          "🏳️‍🌈", "emoji at end 🎉", "🎉 emoji at start", "✨✨✨", "😀a😀b😀", "\U0001F9D1\u200D\U0001F4BB",
          "\U0001FAE0", "𝕳𝖊𝖑𝖑𝖔", "\U000E0067"]
    # Math and symbols.
    s += ["α + β = γ", "∑ x² ≤ ∞", "π ≈ 3.14", "√2", "½ + ¼ = ¾", "“curly” ‘quotes’", "em—dash en–dash",
          "ellipsis…", "©®™", "°C", "§ 5", "¶", "•", "\u200b", "zero\u200bwidth", "\ufeffbom", "\u0000nul"]
    # Added and special tokens, literally and adjacent to text.
    s += ["<image>", "<image><image>", "<image> <image>", "<image>\n", "\n<image>", " <image>", "<image> ",
          "USER: <image>\nDescribe it.", "text<image>text", "text <image> text", "<image>hello", "hello<image>",
          "<s>", "</s>", "<s>hello</s>", "<s> hello </s>", "hello</s>", "</s><s>", "<s><s>", " <s>", "<s> ",
          "<unk>", "a<unk>b", "<pad>", "<pad><pad>", "<tool", "<tool_call>", "<tool_call", "<tool_x",
          "<tool_call>{\"a\": 1}</tool_call>", "x<tool_call>y", "<toolbox>", "<<image>>", "<image",
          "image>", "<Image>", "< image >", "<im age>",
          "<sep>", "a<sep>b", "a <sep> b", "a   <sep>   b", "a\t<sep>\n b", " <sep>", "<sep> ", "  <sep>  ",
          "<sep><sep>", "<sep> <sep>", "a <sep><sep> b", "<image> <sep> <image>", "<s> <sep> </s>",
          "ZZword", "ZZword here", "a ZZword b", "aZZword", "ZZwordb", "ZZword!", "(ZZword)", " ZZword ",
          "ZZwordZZword", "ZZword ZZword", "x ZZword", "éZZword", "ZZword_", "1ZZword", "ZZword\u0301"]
    # Very long words and texts.
    s += ["a" * 300, "ab" * 200, "the" * 100, "x" * 257, "supercalifragilisticexpialidocious",
          "Pneumonoultramicroscopicsilicovolcanoconiosis", "😀" * 50, "日本" * 60, "é" * 120, "e\u0301" * 60,
          " ".join(["word"] * 60), "-" * 80, "=" * 64, "\n" * 20, " " * 50, "ab\u0301" * 40,
          "zzqx", "zzqx zzqx", " zzqx", "zzqxzzqx", "azzqx"]
    # Code.
    s += ["def encode(text): return [vocab[t] for t in tokenize(text)]",
          "for i in range(10):\n    print(i)", "if (x > 0 && y < 10) { return x + y; }",
          "let numbers = [1, 2, 3];", "    indented", "\t\tdouble tab", "#include <stdio.h>",
          "int main(void) { return 0; }", "SELECT * FROM t WHERE id = 1;", "{\"key\": [1, 2, {\"b\": null}]}",
          "https://example.com/path?q=1&r=2#frag", "hello@example.com", "C:\\Users\\name", "~/.bashrc"]
    # Seeded random mixtures of corpus words, unicode samples and specials.
    rng = random.Random(1234)
    pool = " ".join(CORPUS).split(" ") + ["😀", "日本", "é", "e\u0301", "<image>", "<s>", "</s>", "<sep>",
                                          "ZZword", "\n", "\t", "  ", "龘", "🚀", "ß", "Ω", "!", "?", "…"]
    while len(s) < 420:
        n = rng.randint(1, 12)
        sep = rng.choice([" ", " ", " ", "", "  ", "\n"])
        s.append(sep.join(rng.choice(pool) for _ in range(n)))
    out, seen = [], set()
    for x in s:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def byte_ids(vocab, *bs):
    return [vocab["<0x%02X>" % b] for b in bs]


def decode_cases(vocab, size):
    v = vocab
    b = lambda *bs: byte_ids(vocab, *bs)
    w = lambda t: [v[t]] if t in v else []
    euro = b(0xE2, 0x82, 0xAC)
    grin = b(0xF0, 0x9F, 0x98, 0x80)
    return [
        [], [0], [1], [2], [1, 2], b(0x41), b(0x41, 0x42), euro, grin, grin + grin,
        b(0xFF), b(0xFE, 0xFF), b(0xE2, 0x82), b(0xE2), b(0x82, 0xAC), b(0xC0, 0xAF), b(0xED, 0xA0, 0x80),
        b(0xF4, 0x90, 0x80, 0x80), b(0x41, 0xFF), b(0xFF, 0x41), b(0x41, 0xE2, 0x82),
        euro + w("▁the") + b(0xE2, 0x82) + w("▁the") + euro,
        w("▁the") + b(0xFF) + w("▁the"), [1] + euro + [2] + grin, grin[:2] + [1] + grin[2:],
        b(0x20) + w("▁the"), b(0x20, 0x20), w("▁") + w("▁") + w("▁the"), w("▁the") + w("▁"),
        b(0x0A) + w("▁the"), w("▁the") + b(0x0A) + w("▁the"), b(0x09, 0x0A, 0x0D),
        b(0xE2, 0x96, 0x81) + w("▁the"), w("▁the") + b(0xE2, 0x96, 0x81),
        [size] + w("▁the") + [size + 1], [size + 4, size + 5], [size + 2, size + 3],
        [99999], w("▁the") + [99999] + w("▁the"), [0, 0, 0],
    ]


def stream_cases(vocab, tok):
    b = lambda *bs: byte_ids(vocab, *bs)
    cases = [
        b(0xF0, 0x9F, 0x98, 0x80) + b(0xF0, 0x9F, 0x9A, 0x80),
        tok.encode("Hello 😀 world 🚀!", add_special_tokens=True).ids,
        tok.encode("日本語 and 龘 and e\u0301", add_special_tokens=True).ids,
        tok.encode("The quick brown fox jumps over the lazy dog.", add_special_tokens=True).ids,
        tok.encode("  two leading spaces\nand a newline", add_special_tokens=True).ids,
        b(0x41) + b(0xE2, 0x82, 0xAC) + b(0x42),
        b(0xFF) + tok.encode("a", add_special_tokens=False).ids,
        tok.encode("<image> then text </s>", add_special_tokens=True).ids,
    ]
    return cases


def run_stream(tok, ids, skip):
    stream = DecodeStream(skip_special_tokens=skip)
    out = []
    for i in ids:
        try:
            out.append(stream.step(tok, i))
        except Exception as e:  # InvalidPrefix
            out.append({"error": str(e)})
            break
    return out


def main():
    vocab, merges = train_vocab_and_merges()
    docs = build_documents(vocab, merges)
    strings = test_strings()
    result = {"generator": "make_tokenizer_fixtures.py", "tokenizers_version": __import__("tokenizers").__version__,
              "strings": strings, "tokenizers": {}}
    for name, doc in docs.items():
        folder = os.path.join(HERE, name)
        os.makedirs(folder, exist_ok=True)
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(text)
        tok = Tokenizer.from_str(text)
        # Round trip: the library must read back exactly what we wrote (no silent defaults).
        assert json.loads(tok.to_str())["added_tokens"] == doc["added_tokens"], name
        # encode(s, add_special_tokens=True) is always prefix + encode(s, False) + suffix (checked
        # below), so the file stores the plain ids once and the template's ids once.
        prefix = tok.encode("", add_special_tokens=True).ids
        entry = {"vocab_size": tok.get_vocab_size(with_added_tokens=True), "cases": []}
        suffix = []
        if doc["post_processor"] and doc["post_processor"]["single"][-1].get("SpecialToken"):
            prefix, suffix = prefix[:-1], prefix[-1:]
        entry["special_prefix"], entry["special_suffix"] = prefix, suffix
        for s in strings:
            with_special = tok.encode(s, add_special_tokens=True)
            plain = tok.encode(s, add_special_tokens=False)
            assert with_special.ids == prefix + plain.ids + suffix, (name, s)
            entry["cases"].append({
                "ids": plain.ids, "tokens": plain.tokens,
                "decoded": tok.decode(with_special.ids, skip_special_tokens=True),
                "decoded_all": tok.decode(with_special.ids, skip_special_tokens=False)})
        entry["decode_cases"] = [
            {"ids": ids, "skip": tok.decode(ids, skip_special_tokens=True),
             "keep": tok.decode(ids, skip_special_tokens=False)}
            for ids in decode_cases(vocab, len(vocab))]
        entry["stream_cases"] = [
            {"ids": ids, "skip": run_stream(tok, ids, True), "keep": run_stream(tok, ids, False)}
            for ids in stream_cases(vocab, tok)]
        entry["id_of"] = {t: tok.token_to_id(t) for t in
                          ["<unk>", "<s>", "</s>", "<image>", "<pad>", "<sep>", "ZZword", "▁the", "<0x41>", "nope"]}
        entry["token_of"] = {str(i): tok.id_to_token(i) for i in
                             [0, 1, 2, 3, 68, 259, 300, len(vocab) - 1, len(vocab), len(vocab) + 4, len(vocab) + 5, 99999]}
        if name in CONFIGS:
            config, special_map = CONFIGS[name]
            with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                f.write(json.dumps(config, ensure_ascii=False, indent=2) + "\n")
            if special_map is not None:
                with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
                    f.write(json.dumps(special_map, ensure_ascii=False, indent=2) + "\n")
            from transformers import AutoTokenizer
            hf = AutoTokenizer.from_pretrained(folder)
            encoded = [hf(s)["input_ids"] for s in strings]
            entry["transformers"] = {
                "bos_id": hf.bos_token_id, "eos_id": hf.eos_token_id, "pad_id": hf.pad_token_id,
                "vocab_size": len(hf), "ids": encoded}
        result["tokenizers"][name] = entry
    # Variants: a base file with some added tokens switched to "normalized": true (the Swift test
    # makes the same edit). With the legacy normalizer such a token is matched as "▁<s>" and
    # decoded from that form, so decode no longer skips it.
    result["variants"] = {}
    for name, (base, contents) in VARIANTS.items():
        doc = json.loads(json.dumps(docs[base]))
        for token in doc["added_tokens"]:
            if token["content"] in contents:
                token["normalized"] = True
        tok = Tokenizer.from_str(json.dumps(doc, ensure_ascii=False))
        chosen = strings[:20] + [x for x in strings[20:] if "<" in x or "ZZ" in x]
        cases = []
        for x in chosen:
            ids = tok.encode(x).ids
            cases.append({"text": x, "ids": ids, "tokens": tok.encode(x).tokens,
                          "decoded": tok.decode(ids, skip_special_tokens=True),
                          "decoded_all": tok.decode(ids, skip_special_tokens=False)})
        result["variants"][name] = {"base": base, "normalized": contents, "cases": cases}
    with open(os.path.join(HERE, "parity.json"), "w", encoding="utf-8") as f:
        f.write(serialize(result))
    print("strings:", len(strings), "vocab:", len(vocab), "merges:", len(merges))
    for name in docs:
        print(name, os.path.getsize(os.path.join(HERE, name, "tokenizer.json")), "bytes")
    print("parity.json", os.path.getsize(os.path.join(HERE, "parity.json")), "bytes")


def serialize(result):
    """Compact JSON with one case per line, so that diffs stay readable."""
    def dump(x):
        return json.dumps(x, ensure_ascii=False, separators=(",", ":"))
    lines = ["{", '"generator":' + dump(result["generator"]) + ",",
             '"tokenizers_version":' + dump(result["tokenizers_version"]) + ",",
             '"strings":[', ",\n".join(dump(s) for s in result["strings"]), "],", '"tokenizers":{']
    names = list(result["tokenizers"])
    for n, name in enumerate(names):
        entry = result["tokenizers"][name]
        lines.append(dump(name) + ":{")
        parts = []
        for key, value in entry.items():
            if isinstance(value, list):
                parts.append(dump(key) + ":[\n" + ",\n".join(dump(v) for v in value) + "]")
            elif key == "transformers":
                parts.append(dump(key) + ":{" + ",".join(dump(k) + ":" + (
                    "[\n" + ",\n".join(dump(i) for i in v) + "]" if isinstance(v, list) else dump(v))
                    for k, v in value.items()) + "}")
            else:
                parts.append(dump(key) + ":" + dump(value))
        lines.append(",\n".join(parts))
        lines.append("}" + ("," if n + 1 < len(names) else ""))
    lines.append("},")
    lines.append('"variants":{')
    vnames = list(result["variants"])
    for n, name in enumerate(vnames):
        v = result["variants"][name]
        lines.append(dump(name) + ":{" + '"base":' + dump(v["base"]) + ',"normalized":' + dump(v["normalized"]) + ',"cases":[')
        lines.append(",\n".join(dump(c) for c in v["cases"]))
        lines.append("]}" + ("," if n + 1 < len(vnames) else ""))
    lines.append("}}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == json.loads(json.dumps(result))
    return text


if __name__ == "__main__":
    sys.exit(main())
