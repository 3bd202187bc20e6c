"""Writes metric_cases.json: reference values for the Swift metrics in Sources/Evaluation.

Run with the project's venv:  venv/bin/python Tests/Fixtures/eval/make_metric_fixtures.py

Two ports, written for this project (Python 3, standard library only):

* VQA accuracy, after GT-Vision-Lab/VQA commit a013f0043c1e2cdc995922dfe257f7149aa9af06,
  PythonEvaluationTools/vqaEvaluation/vqaEval.py, class VQAEval: the tables of __init__
  (contractions, manualMap, articles, periodStrip, commaStrip, punct), processPunctuation,
  processDigitArticle, and the per-question loop of evaluate. Quirks kept on purpose:
  - the normalisation runs only when the ten answers are not all the same string;
  - periodStrip "(?!<=\\d)(\\.)(?!\\d)" is a negative lookahead of "<=" + digit (always true at a
    '.'), so it removes every '.' not followed by a digit;
  - periodStrip.sub("", text, re.UNICODE) passes re.UNICODE (32) as `count`: at most 32 periods go;
  - the punctuation test looks at the text as it came in, not as it is being rewritten;
  - leave-one-out is by position (the official answers are dicts with distinct answer_id).
  The original is Python 2; this port runs on Python 3, where `\\d` is any Unicode decimal digit.
* ANLS, after EvolvingLMMs-Lab/lmms-eval commit 75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3,
  lmms_eval/api/metrics.py, functions anls and levenshtein_distance (the same computation as the
  Robust Reading Competition's InfographicVQA/DocVQA script): distance on
  " ".join(s.strip().lower().split()), divided by the larger len(s.upper()) of the raw strings,
  1 - min over references, 0 when that is below 0.5.
"""

import json
import os
import re

CONTRACTIONS = dict(pair.split(":") for pair in """
aint:ain't arent:aren't cant:can't couldve:could've couldnt:couldn't couldn'tve:couldn't've
couldnt've:couldn't've didnt:didn't doesnt:doesn't dont:don't hadnt:hadn't hadnt've:hadn't've
hadn'tve:hadn't've hasnt:hasn't havent:haven't hed:he'd hed've:he'd've he'dve:he'd've hes:he's
howd:how'd howll:how'll hows:how's Id've:I'd've I'dve:I'd've Im:I'm Ive:I've isnt:isn't itd:it'd
itd've:it'd've it'dve:it'd've itll:it'll let's:let's maam:ma'am mightnt:mightn't
mightnt've:mightn't've mightn'tve:mightn't've mightve:might've mustnt:mustn't mustve:must've
neednt:needn't notve:not've oclock:o'clock oughtnt:oughtn't ow's'at:'ow's'at 'ows'at:'ow's'at
'ow'sat:'ow's'at shant:shan't shed've:she'd've she'dve:she'd've she's:she's shouldve:should've
shouldnt:shouldn't shouldnt've:shouldn't've shouldn'tve:shouldn't've somebody'd:somebodyd
somebodyd've:somebody'd've somebody'dve:somebody'd've somebodyll:somebody'll somebodys:somebody's
someoned:someone'd someoned've:someone'd've someone'dve:someone'd've someonell:someone'll
someones:someone's somethingd:something'd somethingd've:something'd've
something'dve:something'd've somethingll:something'll thats:that's thered:there'd
thered've:there'd've there'dve:there'd've therere:there're theres:there's theyd:they'd
theyd've:they'd've they'dve:they'd've theyll:they'll theyre:they're theyve:they've twas:'twas
wasnt:wasn't wed've:we'd've we'dve:we'd've weve:we've werent:weren't whatll:what'll
whatre:what're whats:what's whatve:what've whens:when's whered:where'd wheres:where's
whereve:where've whod:who'd whod've:who'd've who'dve:who'd've wholl:who'll whos:who's
whove:who've whyll:why'll whyre:why're whys:why's wont:won't wouldve:would've wouldnt:wouldn't
wouldnt've:wouldn't've wouldn'tve:wouldn't've yall:y'all yall'll:y'all'll y'allll:y'all'll
yall'd've:y'all'd've y'alld've:y'all'd've y'all'dve:y'all'd've youd:you'd youd've:you'd've
you'dve:you'd've youll:you'll youre:you're youve:you've
""".split())
assert len(CONTRACTIONS) == 120
NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
NUMBER_WORDS["none"] = "0"
ARTICLES = {"a", "an", "the"}
PUNCTUATION = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]
PERIOD = re.compile(r"(?!<=\d)(\.)(?!\d)")  # the original's pattern, bug included
DIGIT_COMMA_DIGIT = re.compile(r"(\d)(\,)(\d)")


def process_punctuation(text):
    """vqaEval.py VQAEval.processPunctuation."""
    out = text
    for p in PUNCTUATION:
        spaced = (p + " ") in text or (" " + p) in text
        out = out.replace(p, "" if spaced or DIGIT_COMMA_DIGIT.search(text) else " ")
    return PERIOD.sub("", out, 32)  # the original passes re.UNICODE (== 32) as count


def process_digit_article(text):
    """vqaEval.py VQAEval.processDigitArticle."""
    words = [NUMBER_WORDS.get(w, w) for w in text.lower().split()]
    words = [w for w in words if w not in ARTICLES]
    return " ".join(CONTRACTIONS.get(w, w) for w in words)


def clean(text):
    """vqaEval.py VQAEval.evaluate: the cleanup applied to every answer before anything else."""
    return text.replace("\n", " ").replace("\t", " ").strip()


def vqa_accuracy(prediction, answers):
    """vqaEval.py VQAEval.evaluate, one question: mean over leave-one-out of min(1, matches / 3)."""
    gts = [clean(a) for a in answers]
    res = clean(prediction)
    if len(set(gts)) > 1:
        gts = [process_digit_article(process_punctuation(a)) for a in gts]
        res = process_digit_article(process_punctuation(res))
    accs = []
    for i in range(len(gts)):
        matching = [a for j, a in enumerate(gts) if j != i and a == res]
        accs.append(min(1, float(len(matching)) / 3))
    return float(sum(accs)) / len(accs)


def levenshtein(a, b):
    """lmms_eval/api/metrics.py levenshtein_distance (one row at a time)."""
    if len(a) > len(b):
        a, b = b, a
    row = list(range(len(a) + 1))
    for i2, c2 in enumerate(b):
        nxt = [i2 + 1]
        for i1, c1 in enumerate(a):
            nxt.append(row[i1] if c1 == c2 else 1 + min(row[i1], row[i1 + 1], nxt[-1]))
        row = nxt
    return row[-1]


def anls(prediction, references, threshold=0.5):
    """lmms_eval/api/metrics.py anls."""
    def squash(s):
        return " ".join(s.strip().lower().split())
    values = []
    for ref in references:
        length = max(len(ref.upper()), len(prediction.upper()))
        dist = levenshtein(squash(ref), squash(prediction))
        values.append(0.0 if length == 0 else float(dist) / float(length))
    result = 1 - min(values)
    return 0.0 if result < threshold else float(result)


NORMALISATION_INPUTS = [
    "yes", "Yes", "YES!", "no.", "two", "Two dogs", "none", "zero", "ten", "eleven", "a dog", "The Cat",
    "an apple", "a", "the", "dont", "Dont", "doesnt know", "im", "Im", "ive", "yall'll", "whats that",
    "1,000", "1,000 people", "10,000,000", "a,b", "a, b", "red,white", "red, white", "3.5", "3.", "end.",
    ".5", "e.g. this", "mr. smith", "u.s.a.", "..", "1.2.3", "black/white", "black / white", "(left)",
    "left (top)", "x=y", "x = y", "a+b", "c++", "back\\slash", "snake_case", "well-known", "well - known",
    "<html>", "@home", "`tick`", "what?", "what ?", "wow!", "a;b", "a; b", "[1]", "{x}", '"quoted"',
    "it's", "let's", "o'clock", "oclock", "twas", "  padded  ", "multi   space", "tab\there", "new\nline",
    "one two three", "A Two The", "1,000 and a/b", "a/b 1,2", "x,y 3,4", "9,", ",9", "1,,2", "1, 2",
    "".join("a." for _ in range(40)), "." * 40, "é.", "Ünïcode Words", "\u00a0nbsp\u00a0", "x\u3000y",
    "٣.٥", "3.٥", "", " ", "!", "?!", "-", "a-b-c", "...", "hi...", "OK."
]

VQA_CASES = [
    # (prediction, ten answers)
    ("yes", ["yes"] * 10),
    ("Yes", ["yes"] * 10),                           # all answers equal: no normalisation, case counts
    ("yes.", ["yes"] * 10),
    (" yes \n", ["yes"] * 10),                        # the cleanup runs always
    ("Yes", ["yes"] * 9 + ["no"]),                    # now normalised: lower-cased
    ("yes.", ["yes"] * 9 + ["Yes"]),
    ("two", ["2"] * 5 + ["two"] * 5),
    ("Two", ["2"] * 4 + ["3"] * 6),
    ("none", ["0"] * 3 + ["1"] * 7),
    ("a dog", ["dog"] * 2 + ["cat"] * 8),
    ("the dog", ["Dog"] + ["cat"] * 9),
    ("dont know", ["don't know"] * 3 + ["no"] * 7),
    ("1,000", ["1000"] * 4 + ["1,000"] * 6),
    ("1000", ["1,000"] * 10),                        # all equal: no normalisation
    ("1000", ["1,000"] * 9 + ["thousand"]),
    ("3.5", ["3.5"] * 2 + ["3"] * 8),
    ("red, white", ["red white"] * 3 + ["red"] * 7),
    ("red,white", ["red white"] * 3 + ["red"] * 7),
    ("black/white", ["black white"] * 2 + ["gray"] * 8),
    ("black / white", ["black white"] * 2 + ["blackwhite"] * 8),
    ("", ["yes"] * 10),
    ("", [""] * 10),
    ("", [""] * 4 + ["a"] * 6),                       # "a" normalises to "" too
    ("cat", ["dog"] * 10),
    ("cat", ["cat"] + ["dog"] * 9),
    ("cat", ["cat"] * 2 + ["dog"] * 8),
    ("cat", ["cat"] * 3 + ["dog"] * 7),
    ("cat", ["cat"] * 4 + ["dog"] * 6),
    ("cat", ["cat"] * 5 + ["dog"] * 5),
    ("cat", ["cat"] * 9 + ["dog"]),
    ("Cat!", ["cat"] * 3 + ["CAT"] * 2 + ["dog"] * 5),
    ("tab\tcat", ["tab cat"] * 3 + ["dog"] * 7),
    ("yes", ["yes", "yes", "no"]),                    # not ten answers: the same formula
    ("yes", ["yes"]),
    ("yes", ["no"]),
]

ANLS_CASES = [
    ("hello", ["hello"]),
    ("Hello ", ["hello"]),
    ("hallo", ["hello"]),          # 1/5 -> 0.8
    ("hxllx", ["hello"]),          # 2/5 -> 0.6
    ("hxxlx", ["hello"]),          # 3/5 -> 0.4 -> 0
    ("abcd", ["abxx"]),            # exactly 0.5: kept
    ("abc", ["xyz"]),
    ("", [""]),
    ("", ["abc"]),
    ("abc", [""]),
    ("new  york", ["New York"]),
    ("  new york  ", ["new york"]),
    ("  new yorx  ", ["new york"]),   # raw lengths in the denominator: 1 - 1/12
    ("new york city", ["new york", "nyc"]),
    ("nyc", ["new york", "nyc"]),
    ("1,234", ["1234"]),
    ("straße", ["strasse"]),        # upper() makes "ß" two letters
    ("kitten", ["sitting"]),
    ("flaw", ["lawn", "flaw n"]),
    ("the answer is 42", ["42"]),
    ("Dr. Smith", ["dr smith", "smith"]),
    ("ÉCOLE", ["école"]),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = {
        "about": "Written by make_metric_fixtures.py (ports of vqaEval.py at GT-Vision-Lab/VQA "
                 "a013f004 and lmms-eval anls at 75571cfe); do not edit by hand.",
        "normalisation": [
            {"input": s, "punctuation": process_punctuation(s),
             "digitArticle": process_digit_article(s),
             "both": process_digit_article(process_punctuation(s))}
            for s in NORMALISATION_INPUTS],
        "vqa": [{"prediction": p, "answers": a, "accuracy": vqa_accuracy(p, a)} for p, a in VQA_CASES],
        "anls": [{"prediction": p, "answers": a, "anls": anls(p, a)} for p, a in ANLS_CASES],
    }
    with open(os.path.join(here, "metric_cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
