import CofferSDK
import Testing

@testable import CofferHCL

/// The object builder merges blocks in linear time; these tests hold it to the quadratic original it replaced
/// (kept below as the reference) on random documents full of repeated and overlapping blocks.
@Suite("HCL object builder")
struct HCLBuilderTests {
    /// The builder as it was before the depth-limit work: the reference for Vault's JSON shape.
    enum Reference {
        static func build(_ items: [HCLItem], keyPath: [String], lines: inout [[String]: Int]) -> JSONValue {
            var object: [String: JSONValue] = [:]
            for item in items {
                var path = keyPath
                for key in item.keys {
                    path.append(key.name)
                    if lines[path] == nil { lines[path] = key.line }
                }
                let value = convert(item.value, keyPath: path, lines: &lines)
                insert(value, at: item.keys.map(\.name)[...], into: &object)
            }
            return .object(object)
        }

        static func convert(_ node: HCLNode, keyPath: [String], lines: inout [[String]: Int]) -> JSONValue {
            switch node {
            case .scalar(let v): return v
            case .list(let elements): return .array(elements.map { convert($0, keyPath: keyPath, lines: &lines) })
            case .object(let items): return build(items, keyPath: keyPath, lines: &lines)
            }
        }

        static func insert(_ value: JSONValue, at keys: ArraySlice<String>, into object: inout [String: JSONValue]) {
            guard let key = keys.first else { return }
            if keys.count == 1 {
                switch (object[key], value) {
                case (.object(let existing)?, .object):
                    object[key] = .array([.object(existing), value])
                case (.array(let existing)?, .object) where !existing.isEmpty && existing.allSatisfy({ $0.objectValue != nil }):
                    object[key] = .array(existing + [value])
                default:
                    object[key] = value
                }
                return
            }
            var nested = object[key]?.objectValue ?? [:]
            insert(value, at: keys.dropFirst(), into: &nested)
            object[key] = .object(nested)
        }
    }

    /// A small random HCL document generator over few key names, so that blocks repeat and overlap.
    struct Generator {
        var state: UInt64

        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }

        mutating func key() -> String { ["a", "b", "\"c\"", "d"][next(4)] }

        mutating func value(_ depth: Int) -> String {
            switch depth > 3 ? next(2) : next(5) {
            case 0: return String(next(10))
            case 1: return "\"s\(next(3))\""
            case 2: return "[" + (0..<next(3)).map { _ in value(depth + 1) }.joined(separator: ", ") + "]"
            case 3: return "[" + (0..<(1 + next(2))).map { _ in "{" + body(depth + 1) + "}" }.joined(separator: ", ") + "]"
            default: return "{" + body(depth + 1) + "}"
            }
        }

        mutating func body(_ depth: Int) -> String {
            (0..<next(depth > 3 ? 2 : 6)).map { _ in
                if next(2) == 0 { return key() + " = " + value(depth) }
                return (0..<(1 + next(3))).map { _ in key() }.joined(separator: " ") + " {\n" + body(depth + 1) + "}"
            }.joined(separator: "\n")
        }
    }

    @Test func matchesTheReferenceOnRandomDocuments() throws {
        var generator = Generator(state: 0x5EED)
        for _ in 0..<3_000 {
            let text = generator.body(0)
            var lexer = HCLLexer(text)
            var parser = HCLParser(tokens: try lexer.tokenize())
            let items = try parser.parseDocument()
            var lines: [[String]: Int] = [:]
            let expected = Reference.build(items, keyPath: [], lines: &lines)
            let (value, sourceMap) = try HCL.parseWithSourceMap(text)
            #expect(value == expected, "\(text)")
            for (path, line) in lines { #expect(sourceMap.line(of: path) == line, "\(path) in \(text)") }
            #expect(sourceMap.line(of: []) == nil)
            #expect(sourceMap.line(of: ["nope"]) == nil)
        }
    }

    @Test func manyRepeatedAndSiblingBlocksBuildQuickly() throws {
        // 40,000 blocks under one key, then 40,000 repeats of one block: quadratic merging took tens of seconds.
        let siblings = (0..<40_000).map { #"path "p\#($0)" { capabilities = ["read"] }"# }.joined(separator: "\n")
        let repeats = String(repeating: "path \"p\" { capabilities = [\"read\"] }\n", count: 40_000)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try HCL.parse(siblings)["path"]?.objectValue?.count == 40_000)
        #expect(try HCL.parse(repeats)["path"]?["p"]?.arrayValue?.count == 40_000)
        #expect(clock.now - start < .seconds(20))
    }
}
