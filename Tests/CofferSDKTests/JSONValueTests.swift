import CofferSDK
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func stringsAreEscapedAsGoEscapesThem() {
        let s = "plain <b>&amp;</b> \"q\" back\\slash\nnew\ttab\u{01}é"
        #expect(JSONValue.string(s).serialized() == #""plain \u003cb\u003e\u0026amp;\u003c/b\u003e \"q\" back\\slash\nnew\ttab\u0001é""#)
        // Long runs without escapes are copied whole, also when an escape comes late.
        let long = String(repeating: "QUJD", count: 2000)
        #expect(JSONValue.string(long).serialized() == "\"" + long + "\"")
        #expect(JSONValue.string(long + "<").serialized() == "\"" + long + "\\u003c\"")
    }

    @Test func parsedStringsMatchFoundationsDecoder() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019+/= <>&\"\\\n\t\u{7f}é€😀".unicodeScalars)
        for _ in 0..<200 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0..<300, using: &rng) { scalars.append(alphabet.randomElement(using: &rng)!) }
            let s = String(scalars)
            let text = JSONValue.object(["k": .string(s)]).serialized()
            #expect(try JSONValue.parse(text)["k"]?.stringValue == s)
            let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
            #expect(foundation?["k"] == s, "Foundation reads what we write")
        }
        #expect(try JSONValue.parse(#"["a\u00e9\ud83d\ude00\/b"]"#) == .array([.string("aé😀/b")]))
    }

    /// Every special byte at every offset of short strings: the eight-bytes-at-a-time scans must not skip one that
    /// sits at a word's edge, in writing or in parsing.
    @Test func specialBytesAtEveryOffset() throws {
        let specials: [(String, String)] = [
            ("\"", #"\""#), ("\\", #"\\"#), ("<", #"\u003c"#), (">", #"\u003e"#), ("&", #"\u0026"#), ("\n", #"\n"#),
            ("\u{01}", #"\u0001"#), ("\u{1f}", #"\u001f"#), ("é", "é"), (" ", " "), ("\u{7f}", "\u{7f}"),
        ]
        for length in 0..<26 {
            for position in 0...length {
                for (raw, escaped) in specials {
                    let head = String(repeating: "A", count: position), tail = String(repeating: "z", count: length - position)
                    let s = head + raw + tail
                    let text = JSONValue.string(s).serialized()
                    #expect(text == "\"" + head + escaped + tail + "\"", "\(length) \(position) \(escaped)")
                    #expect(try JSONValue.parse(text).stringValue == s, "\(length) \(position) \(escaped)")
                }
            }
        }
        // A raw control byte is refused wherever it sits in a literal.
        for position in 0..<20 {
            let bad = "\"" + String(repeating: "x", count: position) + "\u{02}" + String(repeating: "y", count: 19 - position) + "\""
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bad) }
        }
    }

    @Test func malformedStringsAreRejected() {
        for bad in ["\"abc", "\"ab\u{01}c\"", "\"a\\qb\"", "\"" + String(repeating: "x", count: 5000)] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bad) }
        }
    }
}
