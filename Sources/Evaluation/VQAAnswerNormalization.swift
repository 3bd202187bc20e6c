/// The answer normalisation of the official VQA evaluation: GT-Vision-Lab/VQA,
/// `PythonEvaluationTools/vqaEvaluation/vqaEval.py`, class `VQAEval` (read at commit a013f004),
/// with the tables of its `__init__` and its quirks kept, so scores equal the official ones.
enum VQAAnswerNormalization {
    typealias Scalars = PythonText.Scalars

    /// `VQAEval.__init__` `punct`: replaced by nothing or by a space.
    static let punctuation: [Unicode.Scalar] = [";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]

    /// `VQAEval.__init__` `articles`: dropped words.
    static let articles = Set(["a", "an", "the"].map(scalars))

    /// `VQAEval.__init__` `manualMap`: number words up to ten, and "none", as digits.
    static let numberWords: [Scalars: Scalars] = {
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        var map = Dictionary(uniqueKeysWithValues: words.enumerated().map { (scalars($1), scalars(String($0))) })
        map[scalars("none")] = scalars("0")
        return map
    }()

    /// `VQAEval.__init__` `contractions` (all 120 entries; the capitalised keys never match, since
    /// the words are lower-cased first, but they are kept as the original has them).
    static let contractions: [Scalars: Scalars] = {
        let table = """
            aint:ain't arent:aren't cant:can't couldve:could've couldnt:couldn't couldn'tve:couldn't've \
            couldnt've:couldn't've didnt:didn't doesnt:doesn't dont:don't hadnt:hadn't hadnt've:hadn't've \
            hadn'tve:hadn't've hasnt:hasn't havent:haven't hed:he'd hed've:he'd've he'dve:he'd've hes:he's \
            howd:how'd howll:how'll hows:how's Id've:I'd've I'dve:I'd've Im:I'm Ive:I've isnt:isn't itd:it'd \
            itd've:it'd've it'dve:it'd've itll:it'll let's:let's maam:ma'am mightnt:mightn't \
            mightnt've:mightn't've mightn'tve:mightn't've mightve:might've mustnt:mustn't mustve:must've \
            neednt:needn't notve:not've oclock:o'clock oughtnt:oughtn't ow's'at:'ow's'at 'ows'at:'ow's'at \
            'ow'sat:'ow's'at shant:shan't shed've:she'd've she'dve:she'd've she's:she's shouldve:should've \
            shouldnt:shouldn't shouldnt've:shouldn't've shouldn'tve:shouldn't've somebody'd:somebodyd \
            somebodyd've:somebody'd've somebody'dve:somebody'd've somebodyll:somebody'll somebodys:somebody's \
            someoned:someone'd someoned've:someone'd've someone'dve:someone'd've someonell:someone'll \
            someones:someone's somethingd:something'd somethingd've:something'd've \
            something'dve:something'd've somethingll:something'll thats:that's thered:there'd \
            thered've:there'd've there'dve:there'd've therere:there're theres:there's theyd:they'd \
            theyd've:they'd've they'dve:they'd've theyll:they'll theyre:they're theyve:they've twas:'twas \
            wasnt:wasn't wed've:we'd've we'dve:we'd've weve:we've werent:weren't whatll:what'll \
            whatre:what're whats:what's whatve:what've whens:when's whered:where'd wheres:where's \
            whereve:where've whod:who'd whod've:who'd've who'dve:who'd've wholl:who'll whos:who's \
            whove:who've whyll:why'll whyre:why're whys:why's wont:won't wouldve:would've wouldnt:wouldn't \
            wouldnt've:wouldn't've wouldn'tve:wouldn't've yall:y'all yall'll:y'all'll y'allll:y'all'll \
            yall'd've:y'all'd've y'alld've:y'all'd've y'all'dve:y'all'd've youd:you'd youd've:you'd've \
            you'dve:you'd've youll:you'll youre:you're youve:you've
            """
        return Dictionary(uniqueKeysWithValues: table.split(separator: " ").map { pair in
            let parts = pair.split(separator: ":")
            return (scalars(String(parts[0])), scalars(String(parts[1])))
        })
    }()

    /// At most this many periods are removed: `periodStrip.sub("", outText, re.UNICODE)` passes the
    /// flag `re.UNICODE` (32) where `sub` takes its `count`.
    static let maxPeriodsRemoved = 32

    /// The cleanup `evaluate` applies to every answer first: newlines and tabs become spaces, then
    /// surrounding whitespace goes.
    static func clean(_ text: Scalars) -> Scalars {
        PythonText.strip(PythonText.replace(PythonText.replace(text, "\n", with: [" "]), "\t", with: [" "]))
    }

    /// `VQAEval.processPunctuation`. Each punctuation mark is deleted when the incoming text has
    /// it next to a space, or has a digit-comma-digit anywhere (`commaStrip` `(\d)(\,)(\d)`);
    /// otherwise it becomes a space. Then `periodStrip` `(?!<=\d)(\.)(?!\d)` — whose first group
    /// is a lookahead for "<=" and a digit, never true at a '.', so in effect `\.(?!\d)` — deletes
    /// the first 32 periods not followed by a digit.
    static func processPunctuation(_ text: Scalars) -> Scalars {
        let digitCommaDigit = text.indices.dropFirst().dropLast().contains {
            text[$0] == "," && PythonText.isDigit(text[$0 - 1]) && PythonText.isDigit(text[$0 + 1])
        }
        var out = text
        for mark in punctuation {
            let delete = digitCommaDigit || PythonText.contains(text, [mark, " "]) || PythonText.contains(text, [" ", mark])
            out = PythonText.replace(out, mark, with: delete ? [] : [" "])
        }
        var result: Scalars = [], removed = 0
        for (index, scalar) in out.enumerated() {
            let beforeDigit = index + 1 < out.count && PythonText.isDigit(out[index + 1])
            if scalar == ".", !beforeDigit, removed < maxPeriodsRemoved {
                removed += 1
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// `VQAEval.processDigitArticle`: lower-case, split into words, number words to digits,
    /// articles dropped, contractions given their apostrophes, words joined by single spaces.
    static func processDigitArticle(_ text: Scalars) -> Scalars {
        let words = PythonText.split(PythonText.lower(text))
            .map { numberWords[$0] ?? $0 }
            .filter { !articles.contains($0) }
            .map { contractions[$0] ?? $0 }
        return PythonText.joined(words)
    }

    static func scalars(_ text: String) -> Scalars { Array(text.unicodeScalars) }
}
