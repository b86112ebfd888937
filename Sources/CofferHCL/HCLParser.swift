import CofferSDK

/// One `key label… = value` or `key label… { … }` entry of an HCL object.
struct HCLItem: Sendable {
    var keys: [(name: String, line: Int, column: Int)]
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

    // Depth. Every parse function below takes the `level` its result would have in the resulting JSON document (the
    // top-level object is level 1) and refuses to open a list or object beyond ``HCL/maxDepth``, so recursion here, in
    // the object builder and in every consumer of the result stays bounded. An item with n keys opens up to 2n levels
    // below its object: n - 1 objects for the labels and the value, and for each of these the array that a repeated
    // block turns it into (see ``HCLObjectBuilder``). The count is conservative, so a document that parses here
    // serializes to JSON that ``JSONValue/parse(_:)`` (limit 512) reads back.

    mutating func parseDocument() throws(HCLError) -> [HCLItem] {
        var items: [HCLItem] = []
        while current.kind != .eof {
            items.append(try parseItem(level: 1))
            if current.kind == .comma { _ = advance() }
        }
        return items
    }

    private mutating func parseObjectBody(open: HCLToken, level: Int) throws(HCLError) -> [HCLItem] {
        var items: [HCLItem] = []
        while true {
            switch current.kind {
            case .rbrace:
                _ = advance()
                return items
            case .eof:
                throw error("object expected closing RBRACE got: EOF", at: current)
            default:
                items.append(try parseItem(level: level))
                if current.kind == .comma { _ = advance() }
            }
        }
    }

    /// Refuses a list or object (opened by `token`) at `level`.
    private func checkDepth(_ level: Int, at token: HCLToken) throws(HCLError) {
        if level > HCL.maxDepth { throw error("exceeded max depth", at: token) }
    }

    /// An item of the object at `level`.
    private mutating func parseItem(level: Int) throws(HCLError) -> HCLItem {
        var keys: [(name: String, line: Int, column: Int)] = []
        while true {
            let t = current
            switch t.kind {
            case .ident(let name), .string(let name):
                _ = advance()
                keys.append((name, t.line, t.column))
            case .assign:
                guard !keys.isEmpty else {
                    throw error("expected: IDENT | STRING got: ASSIGN", at: t)
                }
                guard keys.count == 1 else {
                    throw error("nested object expected: LBRACE got: ASSIGN", at: t)
                }
                _ = advance()
                return HCLItem(keys: keys, value: try parseValue(level: level + 2))
            case .lbrace:
                guard !keys.isEmpty else {
                    throw error("expected: IDENT | STRING got: LBRACE", at: t)
                }
                let bodyLevel = level + 2 * keys.count
                try checkDepth(bodyLevel, at: t)
                _ = advance()
                return HCLItem(keys: keys, value: .object(try parseObjectBody(open: t, level: bodyLevel)))
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

    /// A value that, when it is a list or an object, sits at `level`.
    private mutating func parseValue(level: Int) throws(HCLError) -> HCLNode {
        let t = current
        switch t.kind {
        case .lbrace, .lbrack: try checkDepth(level, at: t)
        default: break
        }
        _ = advance()
        switch t.kind {
        case .string(let s), .heredoc(let s): return .scalar(.string(s))
        case .number(let n): return .scalar(.int(n))
        case .float(let d): return .scalar(.double(d))
        case .bool(let b): return .scalar(.bool(b))
        case .lbrace: return .object(try parseObjectBody(open: t, level: level))
        case .lbrack: return try parseList(level: level)
        default:
            throw error("Unknown token: \(t.line):\(t.column) \(t.typeName) \(t.text)", at: t)
        }
    }

    /// The elements of a list at `level`, after its `[`.
    private mutating func parseList(level: Int) throws(HCLError) -> HCLNode {
        var elements: [HCLNode] = []
        while true {
            if current.kind == .rbrack {
                _ = advance()
                return .list(elements)
            }
            switch current.kind {
            case .string, .heredoc, .number, .float, .bool, .lbrace, .lbrack:
                elements.append(try parseValue(level: level + 1))
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

/// Turns parsed items into Vault's JSON shape (see ``HCL``), in time linear in the number of items: objects under
/// construction and lists of repeated blocks are reference types, so merging a block into an object that already has
/// thousands of members, or appending the thousandth repeat of a block, copies nothing.
enum HCLObjectBuilder {
    /// An object still open to the labelled blocks that follow.
    private final class Object {
        var members: [String: Member] = [:]
    }

    /// A non-empty list of objects: repeated blocks, or a list value of objects, that another block can join.
    private final class Objects {
        var elements: [Member]
        init(_ elements: [Member]) { self.elements = elements }
    }

    private enum Member {
        case value(JSONValue)
        case object(Object)
        case objects(Objects)
    }

    static func build(_ items: [HCLItem], sourceMap: inout HCLSourceMap) -> JSONValue {
        finish(.object(object(items, node: HCLSourceMap.root, sourceMap: &sourceMap)))
    }

    private static func object(_ items: [HCLItem], node: Int, sourceMap: inout HCLSourceMap) -> Object {
        let object = Object()
        for item in items {
            var keyNode = node
            for key in item.keys { keyNode = sourceMap.record(key.name, under: keyNode, line: key.line, column: key.column) }
            let value = convert(item.value, node: keyNode, sourceMap: &sourceMap)
            insert(value, at: item.keys[...], into: object)
        }
        return object
    }

    private static func convert(_ node: HCLNode, node keyNode: Int, sourceMap: inout HCLSourceMap) -> Member {
        switch node {
        case .scalar(let v): return .value(v)
        case .list(let elements):
            let values = elements.map { finish(convert($0, node: keyNode, sourceMap: &sourceMap)) }
            if !values.isEmpty && values.allSatisfy({ $0.objectValue != nil }) { return .objects(Objects(values.map { .value($0) })) }
            return .value(.array(values))
        case .object(let items): return .object(object(items, node: keyNode, sourceMap: &sourceMap))
        }
    }

    private static func isObject(_ member: Member) -> Bool {
        switch member {
        case .object: return true
        case .value(let v): return v.objectValue != nil
        case .objects: return false
        }
    }

    /// Puts `value` at `keys` below `object`: a last key that already holds an object (or a list of objects) and
    /// receives another one becomes the list of both; earlier keys merge into the object they hold, or replace what
    /// is not an object.
    private static func insert(_ value: Member, at keys: ArraySlice<(name: String, line: Int, column: Int)>, into object: Object) {
        guard let key = keys.first?.name else { return }
        if keys.count == 1 {
            switch object.members[key] {
            case let existing? where isObject(value) && isObject(existing):
                object.members[key] = .objects(Objects([existing, value]))
            case .objects(let list)? where isObject(value):
                list.elements.append(value)
            case .value(.array(let existing))? where isObject(value) && !existing.isEmpty && existing.allSatisfy({ $0.objectValue != nil }):
                object.members[key] = .objects(Objects(existing.map { .value($0) } + [value]))
            default:
                object.members[key] = value
            }
            return
        }
        let nested: Object
        switch object.members[key] {
        case .object(let o)?:
            nested = o
        case .value(.object(let members))?:
            nested = Object()
            nested.members = members.mapValues { .value($0) }
            object.members[key] = .object(nested)
        default:
            nested = Object()
            object.members[key] = .object(nested)
        }
        insert(value, at: keys.dropFirst(), into: nested)
    }

    private static func finish(_ member: Member) -> JSONValue {
        switch member {
        case .value(let v): return v
        case .object(let o): return .object(o.members.mapValues(finish))
        case .objects(let list): return .array(list.elements.map(finish))
        }
    }
}
