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

    @Test func malformedStringsAreRejected() {
        for bad in ["\"abc", "\"ab\u{01}c\"", "\"a\\qb\"", "\"" + String(repeating: "x", count: 5000)] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bad) }
        }
    }
}
