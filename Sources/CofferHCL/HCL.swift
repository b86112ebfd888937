public import CofferSDK
import Foundation

/// Parses HCL1, the configuration language Vault and OpenBao use for policies and server configuration.
///
/// The result has the shape of the equivalent Vault JSON document: a block's labels become nested object keys,
/// blocks that share a key but differ in labels merge into one object, and a block whose key and labels repeat
/// exactly becomes an array of the bodies, so the consumer can report or handle the duplicate.
///
/// ```swift
/// let value = try HCL.parse(#"path "secret/*" { capabilities = ["read"] }"#)
/// // {"path":{"secret/*":{"capabilities":["read"]}}}
/// ```
public enum HCL {
    /// How deeply lists, objects and block labels may nest, as levels of the resulting JSON document (its top-level
    /// object is level 1), the limit of ``JSONValue/parse(_:)`` too. Deeper text fails with `exceeded max depth` at the
    /// bracket or brace that goes too deep. Each key of a block counts two levels (its object, and the list a repeated
    /// block becomes), so blocks nest up to 255 deep.
    public static let maxDepth = 512

    /// Parses HCL text into a ``JSONValue`` object.
    ///
    /// - Parameter text: HCL1 source.
    /// - Returns: Always a `.object`.
    /// - Throws: ``HCLError`` naming the line and column of the first syntax error, or of the list or object that nests
    ///   deeper than ``maxDepth``.
    public static func parse(_ text: String) throws(HCLError) -> JSONValue {
        try parseWithSourceMap(text).value
    }

    /// Parses HCL text and also returns where each key was written, for validation errors that name a line.
    ///
    /// Like HCL1 itself, text whose first non-blank character is `{` is read as JSON; its source map is then empty.
    public static func parseWithSourceMap(_ text: String) throws(HCLError) -> (value: JSONValue, sourceMap: HCLSourceMap) {
        if isJSON(text) {
            let value = try parseJSON(text)
            guard value.objectValue != nil else { throw HCLError(line: 1, column: 1, message: "expected a JSON object") }
            return (value, HCLSourceMap())
        }
        var lexer = HCLLexer(text)
        let tokens = try lexer.tokenize()
        var parser = HCLParser(tokens: tokens)
        let items = try parser.parseDocument()
        var sourceMap = HCLSourceMap()
        let value = HCLObjectBuilder.build(items, sourceMap: &sourceMap)
        return (value, sourceMap)
    }
}

extension HCL {
    /// Whether the text looks like JSON: its first non-blank character is `{`.
    public static func isJSON(_ text: String) -> Bool {
        text.unicodeScalars.first(where: { !($0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{FEFF}") }) == "{"
    }

    /// Parses JSON text, reporting errors as ``HCLError`` with a line and column.
    public static func parseJSON(_ text: String) throws(HCLError) -> JSONValue {
        let bytes = Array(text.utf8)
        do {
            return try JSONValue.parse(bytes)
        } catch {
            let message = (error as? JSONParseError)?.description ?? "\(error)"
            var offset = bytes.count
            if let range = message.range(of: "at offset ") {
                offset = Int(message[range.upperBound...].prefix(while: { $0.isNumber })) ?? bytes.count
            }
            var line = 1
            var column = 1
            for b in bytes.prefix(offset) {
                if b == 0x0A {
                    line += 1
                    column = 1
                } else if b & 0xC0 != 0x80 {
                    column += 1
                }
            }
            let cleaned = message.replacingOccurrences(of: #" at offset \d+"#, with: "", options: .regularExpression)
            throw HCLError(line: line, column: column, message: cleaned)
        }
    }
}

/// A syntax error in HCL text. ``description`` reads like HCL's own errors: `At 3:10: expected …`.
public struct HCLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line of the error.
    public var line: Int
    /// 1-based column of the error.
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "At \(line):\(column): \(message)" }
}

/// The line (and column) on which each key of a parsed document was first written.
///
/// Key paths are the keys of the resulting JSON, labels included: `path "a" { foo = 1 }` records
/// `["path"]`, `["path", "a"]` and `["path", "a", "foo"]`.
public struct HCLSourceMap: Sendable, Hashable {
    /// A trie of the keys, so that recording a key costs the same at any depth: node 0 is the document.
    struct Node: Sendable, Hashable {
        var line: Int?
        var column: Int?
        var children: [String: Int] = [:]
    }

    static let root = 0
    var nodes: [Node] = [Node(line: nil)]

    public init() {}

    /// The 1-based line where the key at `keyPath` was first written, or nil if unknown.
    public func line(of keyPath: [String]) -> Int? {
        node(at: keyPath).flatMap { nodes[$0].line }
    }

    /// The 1-based line and column (in characters) where the key at `keyPath` was first written, or nil if unknown:
    /// what OpenBao prints as `file:line:column` in its configuration warnings.
    public func position(of keyPath: [String]) -> (line: Int, column: Int)? {
        guard let n = node(at: keyPath), let line = nodes[n].line, let column = nodes[n].column else { return nil }
        return (line, column)
    }

    private func node(at keyPath: [String]) -> Int? {
        var node = Self.root
        for key in keyPath {
            guard let child = nodes[node].children[key] else { return nil }
            node = child
        }
        return node
    }

    /// Records `key` below the key at node `parent` (first position wins) and returns its node.
    mutating func record(_ key: String, under parent: Int, line: Int, column: Int) -> Int {
        if let child = nodes[parent].children[key] { return child }
        nodes.append(Node(line: line, column: column))
        nodes[parent].children[key] = nodes.count - 1
        return nodes.count - 1
    }
}
