import CofferSDK
import Foundation

/// What a role template is rendered against: the entity, its groups and the time.
struct OIDCTemplateContext {
    var entity: Entity?
    var groups: [Group]
    var now: Date
}

/// Role templates: `{{identity.entity.name}}`-style directives replaced by JSON-encoded values, then parsed as a JSON
/// object whose members become token claims.
enum OIDCTemplate {
    /// Claims an ID token sets itself; a template may not produce them.
    static let restrictedKeys = ["iat", "aud", "exp", "iss", "sub", "namespace", "nonce", "auth_time", "at_hash", "c_hash"]

    struct Failure: Error {
        var message: String
    }

    /// Renders `template` and returns its claims ("" gives none). Errors carry OpenBao's texts.
    static func claims(_ template: String, context: OIDCTemplateContext) throws -> [String: JSONValue] {
        if template.isEmpty { return [:] }
        let rendered = try render(template, context: context)
        if let syntax = GoJSONSyntax.check(Array(rendered.utf8)) {
            throw Failure(message: "error parsing template JSON: \(syntax)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(rendered) } catch { throw Failure(message: "error parsing template JSON: \(error)") }
        let object: [String: JSONValue]
        switch value {
        case .object(let o): object = o
        case .null: object = [:]
        case .array: throw Failure(message: "error parsing template JSON: json: cannot unmarshal array into Go value of type map[string]interface {}")
        case .string: throw Failure(message: "error parsing template JSON: json: cannot unmarshal string into Go value of type map[string]interface {}")
        case .bool: throw Failure(message: "error parsing template JSON: json: cannot unmarshal bool into Go value of type map[string]interface {}")
        case .int, .double: throw Failure(message: "error parsing template JSON: json: cannot unmarshal number into Go value of type map[string]interface {}")
        }
        for key in restrictedKeys where object[key] != nil {
            throw Failure(message: "top level key \"\(key)\" not allowed. Restricted keys: \(restrictedKeys.joined(separator: ", "))")
        }
        return object
    }

    /// Replaces every `{{ directive }}` with its JSON-encoded value.
    static func render(_ template: String, context: OIDCTemplateContext) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                out += rest[open.lowerBound...]
                rest = ""
                break
            }
            let directive = afterOpen[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = resolve(directive, context) else {
                throw Failure(message: "error parsing template: no value could be found for one of the template directives")
            }
            value.write(to: &out)
            rest = afterOpen[close.upperBound...]
        }
        out += rest
        return out
    }

    static func stringMap(_ m: [String: String]?) -> JSONValue { .object((m ?? [:]).mapValues { .string($0) }) }

    /// The value of one directive, or nil when it names nothing OpenBao knows.
    static func resolve(_ directive: String, _ ctx: OIDCTemplateContext) -> JSONValue? {
        let e = ctx.entity
        if directive == "time.now" { return .int(Int64(ctx.now.timeIntervalSince1970)) }
        for (prefix, sign) in [("time.now.plus.", 1.0), ("time.now.minus.", -1.0)] where directive.hasPrefix(prefix) {
            guard let d = parseDurationSeconds(String(directive.dropFirst(prefix.count))) else { return nil }
            return .int(Int64(ctx.now.timeIntervalSince1970) + Int64(sign) * d)
        }
        switch directive {
        case "identity.entity.id": return .string(e?.id ?? "")
        case "identity.entity.name": return .string(e?.name ?? "")
        case "identity.entity.metadata": return stringMap(e?.metadata)
        case "identity.entity.groups.ids":
            return ctx.groups.isEmpty ? .null : .array(ctx.groups.map { .string($0.id) })
        case "identity.entity.groups.names":
            return ctx.groups.isEmpty ? .null : .array(ctx.groups.map { .string($0.name) })
        default: break
        }
        if directive.hasPrefix("identity.entity.metadata.") {
            let key = String(directive.dropFirst("identity.entity.metadata.".count))
            return .string(e?.metadata?[key] ?? "")
        }
        if directive.hasPrefix("identity.entity.aliases.") {
            let rest = directive.dropFirst("identity.entity.aliases.".count)
            guard let dot = rest.firstIndex(of: ".") else { return nil }
            let accessor = String(rest[..<dot])
            let field = String(rest[rest.index(after: dot)...])
            let alias = e?.aliases.first { $0.mountAccessor == accessor }
            switch field {
            case "id": return .string(alias?.id ?? "")
            case "name": return .string(alias?.name ?? "")
            case "metadata": return stringMap(alias?.metadata)
            case "custom_metadata": return stringMap(alias?.customMetadata)
            default:
                if field.hasPrefix("metadata.") {
                    return .string(alias?.metadata?[String(field.dropFirst("metadata.".count))] ?? "")
                }
                if field.hasPrefix("custom_metadata.") {
                    return .string(alias?.customMetadata?[String(field.dropFirst("custom_metadata.".count))] ?? "")
                }
                return nil
            }
        }
        return nil
    }
}

/// A JSON syntax check that reports the first error in the words of Go's `encoding/json` scanner.
enum GoJSONSyntax {
    /// nil when `bytes` is one valid JSON value.
    static func check(_ bytes: [UInt8]) -> String? {
        var s = Scanner(bytes: bytes)
        do {
            s.skipSpace()
            try s.value(context: "looking for beginning of value")
            s.skipSpace()
            if s.i < bytes.count { return invalid(bytes[s.i], "after top-level value") }
            return nil
        } catch let e as SyntaxError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    struct SyntaxError: Error {
        var message: String
    }

    static func quoteChar(_ c: UInt8) -> String {
        if c == UInt8(ascii: "'") { return "'\\''" }
        if c == UInt8(ascii: "\"") { return "'\"'" }
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        switch c {
        case 0x0A: return "'\\n'"
        case 0x0D: return "'\\r'"
        case 0x09: return "'\\t'"
        case 0x07: return "'\\a'"
        case 0x08: return "'\\b'"
        case 0x0C: return "'\\f'"
        case 0x0B: return "'\\v'"
        default:
            if c < 0x20 || c == 0x7F { return "'\\x" + String(c, radix: 16).leftPad2 + "'" }
            return "'\\ufffd'"
        }
    }

    static func invalid(_ c: UInt8, _ context: String) -> String { "invalid character \(quoteChar(c)) \(context)" }

    /// Nesting deeper than this is refused as Go's scanner refuses it past 10,000 ("exceeded max depth"); 512 is
    /// `JSONValue.parse`'s limit, which the rendered template must pass next, and keeps the recursion shallow.
    static let maxDepth = 512

    struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        func peek() throws -> UInt8 {
            guard i < bytes.count else { throw SyntaxError(message: "unexpected end of JSON input") }
            return bytes[i]
        }

        mutating func value(context: String) throws {
            let c = try peek()
            switch c {
            case UInt8(ascii: "{"): try object()
            case UInt8(ascii: "["): try array()
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw SyntaxError(message: invalid(c, context))
            }
        }

        mutating func object() throws {
            try enter()
            defer { depth -= 1 }
            if try isEmptyContainer(closing: UInt8(ascii: "}")) { return }
            repeat {
                let c = try peek()
                guard c == UInt8(ascii: "\"") else {
                    throw SyntaxError(message: invalid(c, "looking for beginning of object key string"))
                }
                try string()
                skipSpace()
                let colon = try peek()
                guard colon == UInt8(ascii: ":") else { throw SyntaxError(message: invalid(colon, "after object key")) }
                i += 1
                skipSpace()
                try value(context: "looking for beginning of value")
            } while try moreElements(closing: UInt8(ascii: "}"), after: "after object key:value pair")
        }

        /// Past an opening `{` or `[`: whether the container closes at once (consuming the closing byte).
        mutating func isEmptyContainer(closing: UInt8) throws -> Bool {
            i += 1
            skipSpace()
            guard try peek() == closing else { return false }
            i += 1
            return true
        }

        /// After an element: a `,` means another follows (true), `closing` ends the container (false, consumed);
        /// anything else is Go's error `invalid character … <after>`.
        mutating func moreElements(closing: UInt8, after: String) throws -> Bool {
            skipSpace()
            let sep = try peek()
            if sep == UInt8(ascii: ",") {
                i += 1
                skipSpace()
                return true
            }
            if sep == closing {
                i += 1
                return false
            }
            throw SyntaxError(message: invalid(sep, after))
        }

        /// One level deeper into an object or array.
        mutating func enter() throws {
            depth += 1
            if depth > GoJSONSyntax.maxDepth { throw SyntaxError(message: "exceeded max depth") }
        }

        mutating func array() throws {
            try enter()
            defer { depth -= 1 }
            if try isEmptyContainer(closing: UInt8(ascii: "]")) { return }
            repeat {
                try value(context: "looking for beginning of value")
            } while try moreElements(closing: UInt8(ascii: "]"), after: "after array element")
        }

        mutating func string() throws {
            i += 1
            while true {
                let c = try peek()
                i += 1
                switch c {
                case UInt8(ascii: "\""): return
                case UInt8(ascii: "\\"):
                    let e = try peek()
                    i += 1
                    switch e {
                    case UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"),
                        UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "\""):
                        break
                    case UInt8(ascii: "u"):
                        for _ in 0..<4 {
                            let h = try peek()
                            guard isHex(h) else {
                                throw SyntaxError(message: invalid(h, "in \\u hexadecimal character escape"))
                            }
                            i += 1
                        }
                    default: throw SyntaxError(message: invalid(e, "in string escape code"))
                    }
                default:
                    if c < 0x20 { throw SyntaxError(message: invalid(c, "in string literal")) }
                }
            }
        }

        func isHex(_ c: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c)
        }

        func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }

        mutating func number() throws {
            if bytes[i] == UInt8(ascii: "-") {
                i += 1
                let c = try peek()
                guard isDigit(c) else { throw SyntaxError(message: invalid(c, "in numeric literal")) }
            }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                let c = try peek()
                guard isDigit(c) else { throw SyntaxError(message: invalid(c, "after decimal point in numeric literal")) }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                let c = try peek()
                guard isDigit(c) else { throw SyntaxError(message: invalid(c, "in exponent of numeric literal")) }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            i += 1
            for k in 1..<expected.count {
                let c = try peek()
                guard c == expected[k] else {
                    throw SyntaxError(
                        message: invalid(c, "in literal \(word) (expecting \(quoteChar(expected[k])))"))
                }
                i += 1
            }
        }
    }
}

extension String {
    fileprivate var leftPad2: String { count >= 2 ? self : "0" + self }
}
