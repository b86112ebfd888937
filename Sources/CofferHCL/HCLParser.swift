import CofferSDK

/// One `key label… = value` or `key label… { … }` entry of an HCL object.
struct HCLItem: Sendable {
    var keys: [(name: String, line: Int)]
    var value: HCLNode
}

indirect enum HCLNode: Sendable {
    case scalar(JSONValue)
    case list([HCLNode])
    case object([HCLItem])
}

struct HCLParser {
    private let tokens: [HCLToken]
    private var index = 0

    init(tokens: [HCLToken]) { self.tokens = tokens }

    private var current: HCLToken { tokens[index] }

    private mutating func advance() -> HCLToken {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func error(_ message: String, at token: HCLToken) -> HCLError {
        HCLError(line: token.line, column: token.column, message: message)
    }

    mutating func parseDocument() throws(HCLError) -> [HCLItem] {
        var items: [HCLItem] = []
        while current.kind != .eof {
            items.append(try parseItem())
            if current.kind == .comma { _ = advance() }
        }
        return items
    }

    private mutating func parseObjectBody(open: HCLToken) throws(HCLError) -> [HCLItem] {
        var items: [HCLItem] = []
        while true {
            switch current.kind {
            case .rbrace:
                _ = advance()
                return items
            case .eof:
                throw error("object expected closing RBRACE got: EOF", at: current)
            default:
                items.append(try parseItem())
                if current.kind == .comma { _ = advance() }
            }
        }
    }

    private mutating func parseItem() throws(HCLError) -> HCLItem {
        var keys: [(name: String, line: Int)] = []
        while true {
            let t = current
            switch t.kind {
            case .ident(let name), .string(let name):
                _ = advance()
                keys.append((name, t.line))
            case .assign:
                guard !keys.isEmpty else {
                    throw error("expected: IDENT | STRING got: ASSIGN", at: t)
                }
                guard keys.count == 1 else {
                    throw error("nested object expected: LBRACE got: ASSIGN", at: t)
                }
                _ = advance()
                return HCLItem(keys: keys, value: try parseValue())
            case .lbrace:
                guard !keys.isEmpty else {
                    throw error("expected: IDENT | STRING got: LBRACE", at: t)
                }
                _ = advance()
                return HCLItem(keys: keys, value: .object(try parseObjectBody(open: t)))
            default:
                if keys.isEmpty {
                    throw error("expected: IDENT | STRING | ASSIGN | LBRACE got: \(t.typeName)", at: t)
                }
                if keys.count == 1 {
                    throw error("key '\(keys[0].name)' expected start of object ('{') or assignment ('=')", at: t)
                }
                throw error("nested object expected: LBRACE got: \(t.typeName)", at: t)
            }
        }
    }

    private mutating func parseValue() throws(HCLError) -> HCLNode {
        let t = advance()
        switch t.kind {
        case .string(let s), .heredoc(let s): return .scalar(.string(s))
        case .number(let n): return .scalar(.int(n))
        case .float(let d): return .scalar(.double(d))
        case .bool(let b): return .scalar(.bool(b))
        case .lbrace: return .object(try parseObjectBody(open: t))
        case .lbrack: return try parseList()
        default:
            throw error("Unknown token: \(t.line):\(t.column) \(t.typeName) \(t.text)", at: t)
        }
    }

    private mutating func parseList() throws(HCLError) -> HCLNode {
        var elements: [HCLNode] = []
        while true {
            if current.kind == .rbrack {
                _ = advance()
                return .list(elements)
            }
            switch current.kind {
            case .string, .heredoc, .number, .float, .bool, .lbrace, .lbrack:
                elements.append(try parseValue())
            default:
                throw error("error parsing list, expected comma or list end, got: \(current.typeName)", at: current)
            }
            switch current.kind {
            case .comma: _ = advance()
            case .rbrack: continue
            default:
                throw error("error parsing list, expected comma or list end, got: \(current.typeName)", at: current)
            }
        }
    }
}

/// Turns parsed items into Vault's JSON shape (see ``HCL``).
enum HCLObjectBuilder {
    static func build(_ items: [HCLItem], keyPath: [String], sourceMap: inout HCLSourceMap) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for item in items {
            var path = keyPath
            for key in item.keys {
                path.append(key.name)
                sourceMap.record(path, line: key.line)
            }
            let value = convert(item.value, keyPath: path, sourceMap: &sourceMap)
            insert(value, at: item.keys.map(\.name)[...], into: &object)
        }
        return .object(object)
    }

    private static func convert(_ node: HCLNode, keyPath: [String], sourceMap: inout HCLSourceMap) -> JSONValue {
        switch node {
        case .scalar(let v): return v
        case .list(let elements): return .array(elements.map { convert($0, keyPath: keyPath, sourceMap: &sourceMap) })
        case .object(let items): return build(items, keyPath: keyPath, sourceMap: &sourceMap)
        }
    }

    private static func insert(_ value: JSONValue, at keys: ArraySlice<String>, into object: inout [String: JSONValue]) {
        guard let key = keys.first else { return }
        if keys.count == 1 {
            switch (object[key], value) {
            case (.object(let existing)?, .object):
                // The same fully-labelled key twice: keep both bodies.
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
