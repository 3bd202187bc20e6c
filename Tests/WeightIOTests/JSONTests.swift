import Foundation
import Testing
import TestSupport
import WeightIO

/// `JSON` (json-c underneath): value types, integers vs doubles, key-path errors, duplicate keys,
/// trailing junk, invalid UTF-8, and round trips through `serialized()`.
@Suite struct JSONTests {
    @Test func parsesEveryValueType() throws {
        let text = #"{"n": null, "b": true, "f": false, "i": 42, "neg": -7, "d": 1.5, "e": 1e3, "s": "h\u00e9\n\"\\/", "u": "日本", "a": [1, "x", null, []], "o": {"k": {"deep": "v"}}}"#
        let json = try JSON.parse(text, source: "types")
        let expected: JSON = .object([
            "n": .null, "b": .bool(true), "f": .bool(false), "i": .int(42), "neg": .int(-7),
            "d": .double(1.5), "e": .double(1000), "s": .string("hé\n\"\\/"), "u": .string("日本"),
            "a": .array([.int(1), .string("x"), .null, .array([])]),
            "o": .object(["k": .object(["deep": .string("v")])]),
        ])
        #expect(json == expected)
        #expect(json["o"]?["k"]?["deep"]?.stringValue == "v")
        #expect(json["a"]?.arrayValue?.count == 4)
        #expect(json["missing"] == nil)
        #expect(json["i"]?["not-an-object"] == nil)
    }

    /// json-c needs to see past a top-level number or literal to finish it; these used to fail with
    /// "unexpected end of input".
    @Test(arguments: [
        ("123", JSON.int(123)), ("-5", .int(-5)), ("true", .bool(true)), ("false", .bool(false)),
        ("null", .null), ("1.5", .double(1.5)), ("2e-3", .double(0.002)), ("\"x\"", .string("x")),
        (" 7 \n", .int(7)), ("[]", .array([])), ("{}", .object([:])),
    ])
    func parsesTopLevelScalars(text: String, expected: JSON) throws {
        #expect(try JSON.parse(text, source: "scalar") == expected)
    }

    @Test func integersStayIntegersAndDoublesStayDoubles() throws {
        let json = try JSON.parse(#"{"one": 1, "oneDot": 1.0, "exp": 1e2, "half": 1.5, "big": 9007199254740993, "max": 9223372036854775807, "min": -9223372036854775808, "huge": 18446744073709551615, "negZero": -0.0}"#, source: "numbers")
        #expect(json["one"] == .int(1))
        #expect(json["oneDot"] == .double(1.0))
        #expect(json["exp"] == .double(100))
        #expect(json["big"] == .int(9_007_199_254_740_993))   // above 2^53: exact only as an integer
        #expect(json["max"] == .int(Int.max))
        #expect(json["min"] == .int(Int.min))
        #expect(json["huge"] == .double(18_446_744_073_709_551_616))  // beyond Int64: a double (2^64)
        #expect(json["negZero"]?.doubleValue == 0)

        // Typed access: an integral double reads as an integer, a fractional one does not.
        #expect(try json.int("oneDot") == 1)
        #expect(try json.double("one") == 1.0)
    }

    @Test func fractionalNumberIsNotAnInteger() throws {
        let json = try JSON.parse(#"{"half": 1.5, "name": "x"}"#, source: "numbers")
        #expect(throws: WeightIOError.jsonField(path: "half", expected: "an integer", found: "a number")) {
            try json.int("half")
        }
        #expect(throws: WeightIOError.jsonField(path: "name", expected: "a number", found: "a string")) {
            try json.double("name")
        }
        #expect(json["half"]?.intValue == nil)
        #expect(json["half"]?.doubleValue == 1.5)
    }

    @Test func keyPathErrorsNameTheWholePath() throws {
        let json = try JSON.parse(#"{"text_config": {"hidden_size": "4096", "layers": 32, "act": null, "sub": {"list": [1]}}, "flag": true}"#, source: "config.json")
        #expect(try json.requireInt("text_config", "layers") == 32)
        #expect(try json.int("text_config", "missing") == nil)
        #expect(try json.string("text_config", "act") == nil, "null reads as absent")
        #expect(try json.array("text_config", "sub", "list")?.count == 1)
        #expect(try json.bool("flag") == true)

        #expect(throws: WeightIOError.jsonField(path: "text_config.hidden_size", expected: "an integer", found: "a string")) {
            try json.requireInt("text_config", "hidden_size")
        }
        #expect(throws: WeightIOError.jsonField(path: "text_config.vocab_size", expected: "an integer", found: "nothing")) {
            try json.requireInt("text_config", "vocab_size")
        }
        #expect(throws: WeightIOError.jsonField(path: "vision_config.image_size", expected: "an integer", found: "nothing")) {
            try json.requireInt("vision_config", "image_size")
        }
        #expect(throws: WeightIOError.jsonField(path: "text_config.sub", expected: "an array", found: "an object")) {
            try json.requireArray("text_config", "sub")
        }
        #expect(throws: WeightIOError.jsonField(path: "text_config.act", expected: "a string", found: "nothing")) {
            try json.requireString("text_config", "act")
        }
        #expect(throws: WeightIOError.jsonField(path: "flag", expected: "an object", found: "a boolean")) {
            try json.requireObject("flag")
        }
        // A present intermediate of the wrong type is named, rather than read as absent.
        #expect(throws: WeightIOError.jsonField(path: "flag", expected: "an object", found: "a boolean")) {
            try json.int("flag", "x")
        }
        #expect(throws: WeightIOError.jsonField(path: "text_config.layers", expected: "an object", found: "an integer")) {
            try json.requireInt("text_config", "layers", "count")
        }
        #expect(throws: WeightIOError.jsonField(path: "text_config.sub.list", expected: "an object", found: "an array")) {
            try json.string("text_config", "sub", "list", "0")
        }
        #expect(try json.int("text_config", "act", "x") == nil, "a null step is absent")
        #expect(json.value(at: ["flag", "x"]) == nil)

        let error = WeightIOError.jsonField(path: "text_config.hidden_size", expected: "an integer", found: "a string")
        #expect(error.description == "field 'text_config.hidden_size': expected an integer, found a string")
    }

    @Test(arguments: [
        (#"{"a": 1, "a": 2}"#, "a"),
        (#"{"x": {"b": 1, "c": 2, "b": 3}}"#, "b"),
        (#"[{"k": 1}, {"k": 2, "k": 3}]"#, "k"),
        (#"{"a": [1, {"z": 0}], "a": 2}"#, "a"),
        (#"{"a": 1, "\u0061": 2}"#, "a"),           // the same key, once escaped
        (#"{"q\"": 1, "q\"": 2}"#, "q\""),
    ])
    func duplicateKeysAreErrors(text: String, key: String) {
        #expect(throws: WeightIOError.duplicateKey(source: "dup.json", key: key)) {
            try JSON.parse(text, source: "dup.json")
        }
    }

    /// Keys are compared as bytes: canonically equivalent spellings ("é" precomposed and "e" +
    /// combining acute) are different keys, as in every JSON parser (real vocabularies hold both).
    @Test func canonicallyEquivalentKeysAreDistinct() throws {
        #expect(throws: Never.self) { try JSON.parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}", source: "vocab.json") }
    }

    @Test func sameKeyInDifferentObjectsIsFine() throws {
        let json = try JSON.parse(#"{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}], "c": "a", "d": ["a", "a"]}"#, source: "ok")
        #expect(json["a"]?["a"] == .int(1))
    }

    @Test(arguments: ["{} x", "{}{}", "[1]]", "12 13", "{\"a\":1} // comment", "{} \u{0}", "true false", "\"s\" ,"])
    func trailingJunkIsAnError(text: String) {
        #expect(throws: WeightIOError.self) { try JSON.parse(text, source: "junk") }
        do {
            _ = try JSON.parse(text, source: "junk")
        } catch let error as WeightIOError {
            guard case .invalidJSON(let source, _) = error else {
                Issue.record("expected invalidJSON, got \(error)")
                return
            }
            #expect(source == "junk")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func trailingWhitespaceIsFine() throws {
        #expect(try JSON.parse("{\"a\": 1}  \n\t\r\n", source: "ws") == .object(["a": .int(1)]))
    }

    /// Includes what json-c 0.16 accepts even in strict mode and `JSON` refuses on its own:
    /// single-quoted strings and raw control characters inside strings.
    @Test(arguments: ["", " ", "{", "[1,]", "{\"a\" 1}", "{'a': 1}", "['x']", "{\"a\": 'b'}", "01", "[1 2]", "{\"a\":}", "nul",
                      "\"unterminated", "[\"a\nb\"]", "{\"a\tb\": 1}", "[\"\u{1}\"]", "[\"a\u{0}b\"]", "{\"a\":1,}", "/*c*/[1]",
                      "[\"\\x41\"]", "[+1]", "[.5]", "[0x10]"])
    func syntaxErrorsAreInvalidJSON(text: String) {
        let error = #expect(throws: WeightIOError.self) { try JSON.parse(text, source: "bad") }
        guard case .invalidJSON(source: "bad", reason: _)? = error else {
            Issue.record("expected invalidJSON for \(text.debugDescription), got \(String(describing: error))")
            return
        }
    }

    @Test func invalidUTF8FileIsRefused() throws {
        let folder = try TemporaryDirectory()
        for (name, bytes) in [("ff.json", [UInt8]([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])),       // {"\xff":1}
                              ("overlong.json", [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D]),                  // ["\xc0\xaf"]
                              ("surrogate.json", [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D]),           // UTF-8 of U+D800
                              ("cut.json", [0x5B, 0x22, 0xE6, 0x97, 0x22, 0x5D])] {                     // truncated 3-byte sequence
            let path = try folder.write(bytes, to: name)
            #expect(throws: WeightIOError.invalidJSON(source: path, reason: "not valid UTF-8")) {
                try JSON.parse(contentsOf: path)
            }
        }
        let good = try folder.write(Array(#"{"名前": "値"}"#.utf8), to: "good.json")
        #expect(try JSON.parse(contentsOf: good) == .object(["名前": .string("値")]))
    }

    @Test func missingFileIsCannotOpen() {
        let error = #expect(throws: WeightIOError.self) { try JSON.parse(contentsOf: "/nonexistent/config.json") }
        guard case .cannotOpen(path: "/nonexistent/config.json", reason: _)? = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
    }

    @Test func serialisationRoundTripsAndSortsKeys() throws {
        let value: JSON = .object([
            "b": .array([.int(1), .double(0.1), .double(-2.5e-8), .bool(false), .null]),
            "a": .string("quote\" slash/ back\\ nl\n tab\t é 日本 \u{1F600}"),
            "c": .object(["z": .int(Int.min), "y": .int(Int.max), "x": .string("")]),
        ])
        let text = value.serialized()
        #expect(text.hasPrefix(#"{"a":"#))
        #expect(text.contains(#"slash/"#), "slashes are not escaped")
        #expect(try JSON.parse(text, source: "roundtrip") == value)
        #expect(try JSON.parse(value.serialized(pretty: true), source: "pretty") == value)
        #expect(JSON.int(5).serialized() == "5")
        #expect(JSON.string("").serialized() == #""""#)
    }
}
