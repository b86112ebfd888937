import CofferHCL
import CofferSDK
import Testing

/// Deep nesting is refused with an error (issue 11, item 5: a 20 KB policy of `[` overflowed the stack).
@Suite("HCL depth limit")
struct HCLDepthTests {
    private func depthError(_ text: String) -> HCLError? {
        do {
            _ = try HCL.parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// 20 KB and 100 KB of each shape; opened only, and opened and closed.
    static let shapes: [(String, String, String)] = [
        ("lists", "[", "]"),
        ("object values", "{a=", "}"),
        ("lists of objects", "[{a=", "}]"),
        ("objects of lists", "{a=[", "]}"),
        ("blocks", "a {", "}"),
        ("labelled blocks", #"a "b" {"#, "}"),
        ("object assignments", "a = {", "}"),
    ]

    @Test(arguments: [20_000, 100_000])
    func deepNestingIsRefused(size: Int) {
        for (name, open, close) in Self.shapes {
            let count = size / open.utf8.count
            let prefix = name.hasSuffix("blocks") || name == "object assignments" ? "" : "x = "
            for text in [prefix + String(repeating: open, count: count), prefix + String(repeating: open, count: count) + String(repeating: close, count: count)] {
                let error = depthError(text)
                #expect(error?.message == "exceeded max depth", "\(name), \(size) bytes: \(String(describing: error))")
            }
        }
    }

    @Test func manyLabelsAreRefused() {
        let text = "path " + String(repeating: #""a" "#, count: 25_000) + "{}"
        #expect(depthError(text)?.description == "At 1:100006: exceeded max depth")
    }

    @Test func errorNamesTheBracketThatGoesTooDeep() {
        // `x = [` puts the list at level 3 (top object 1, x's value 2 + 1 for a repeated key); bracket n at level n + 2.
        let text = "x = " + String(repeating: "[", count: 600)
        #expect(depthError(text)?.description == "At 1:515: exceeded max depth")
    }

    @Test func nestingUpToTheLimitParsesAndItsJSONReadsBack() throws {
        // Lists: x's list at level 3, so 510 nested lists reach 512.
        let lists = "x = " + String(repeating: "[", count: 510) + String(repeating: "]", count: 510)
        // Blocks: each key two levels, so 255 nested blocks (the innermost body at level 511).
        let blocks = String(repeating: "a {", count: 255) + String(repeating: "}", count: 255)
        // A list (level 3k), its object (3k + 1), the object's value two levels further.
        let mixed = "x = " + String(repeating: "[{a=", count: 170) + "1" + String(repeating: "}]", count: 170)
        for text in [lists, blocks, mixed] {
            let value = try HCL.parse(text)
            #expect(try JSONValue.parse(value.serialized()) == value)
        }
        #expect(depthError("x = " + String(repeating: "[", count: 511) + String(repeating: "]", count: 511))?.message == "exceeded max depth")
        #expect(depthError(String(repeating: "a {", count: 256) + String(repeating: "}", count: 256))?.message == "exceeded max depth")
    }

    @Test func repeatedBlocksStayWithinTheLimit() throws {
        // Every key of a repeated block can become a list: the worst case still reads back as JSON.
        var text = String(repeating: "a {", count: 255) + String(repeating: "}", count: 255)
        // Repeat each prefix so that every level becomes an array of bodies.
        for depth in stride(from: 254, through: 0, by: -1) {
            text += "\n" + String(repeating: "a {", count: depth + 1) + String(repeating: "}", count: depth + 1)
        }
        let value = try HCL.parse(text)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test func jsonInputKeepsTheJSONLimit() {
        let deep = "{\"a\":" + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "}"
        #expect(depthError(deep)?.message == "exceeded max depth")
        let ok = "{\"a\":" + String(repeating: "[", count: 510) + String(repeating: "]", count: 510) + "}"
        #expect(depthError(ok) == nil)
    }
}
