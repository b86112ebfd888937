import CofferSDK
import Crypto
import Foundation

/// The username template language of OpenBao's database plugins: a subset of Go's `text/template` with the
/// functions of OpenBao's `template` helper.
///
/// Supported: text, `{{ pipeline }}` (also `{{-`/`-}}` trimming), fields `.DisplayName` and `.RoleName`, string and
/// integer literals, parentheses, pipes (`x | f a` = `f a x`), and the functions `random N`, `unix_time`,
/// `unix_time_millis`, `timestamp "layout"` (Go layout), `truncate N s`, `truncate_sha256 N s`, `lowercase`,
/// `uppercase`, `replace old new s`, `sha256`, `base64`, `uuid` and `printf` (`%s`, `%d`, `%v`, `%%`).
struct UsernameTemplate: Sendable {
    /// OpenBao's default for PostgreSQL.
    static let defaultText =
        #"{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}"#

    struct ParseError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    indirect enum Node: Sendable {
        case text(String)
        case field(String)
        case string(String)
        case number(Int)
        case call(String, [Node])  // a function applied to its arguments
    }

    enum Value {
        case string(String)
        case int(Int)
        var text: String {
            switch self {
            case .string(let s): return s
            case .int(let i): return String(i)
            }
        }
    }

    let nodes: [Node]

    init(_ text: String) throws(ParseError) {
        nodes = try Self.parse(text)
    }

    struct Inputs {
        var displayName: String
        var roleName: String
        var now: Date = Date()
    }

    func render(_ inputs: Inputs) throws(ParseError) -> String {
        var out = ""
        for n in nodes { out += try Self.eval(n, inputs).text }
        return out
    }

    // MARK: Parsing

    static let functions: [String: ClosedRange<Int>] = [
        "random": 1...1, "unix_time": 0...0, "unix_time_millis": 0...0, "timestamp": 1...1, "truncate": 2...2,
        "truncate_sha256": 2...2, "lowercase": 1...1, "uppercase": 1...1, "replace": 3...3, "sha256": 1...1,
        "base64": 1...1, "uuid": 0...0, "printf": 1...64,
    ]

    static func parse(_ text: String) throws(ParseError) -> [Node] {
        var nodes: [Node] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            var before = String(rest[..<open.lowerBound])
            rest = rest[open.upperBound...]
            if rest.hasPrefix("-") && rest.dropFirst().first?.isWhitespace == true {
                before = String(before.reversed().drop(while: \.isWhitespace).reversed())
                rest = rest.dropFirst()
            }
            if !before.isEmpty { nodes.append(.text(before)) }
            guard let close = Self.actionEnd(rest) else { throw ParseError(message: "template: unclosed action") }
            var body = rest[..<close]
            rest = rest[rest.index(close, offsetBy: 2)...]
            if body.hasSuffix("-"), body.dropLast().last?.isWhitespace == true {
                body = body.dropLast()
                rest = rest.drop(while: \.isWhitespace)
            }
            var tokens = try tokenize(body)
            if tokens.isEmpty { throw ParseError(message: "template: missing value for command") }
            let node = try parsePipeline(&tokens)
            if !tokens.isEmpty { throw ParseError(message: "template: unexpected \"\(tokens[0])\" in command") }
            nodes.append(node)
        }
        if !rest.isEmpty { nodes.append(.text(String(rest))) }
        return nodes
    }

    /// The `}}` ending an action, outside string literals.
    private static func actionEnd(_ s: Substring) -> String.Index? {
        var i = s.startIndex
        var inString = false
        while i < s.endIndex {
            let c = s[i]
            if inString {
                if c == "\\" {
                    i = s.index(after: i)
                    if i == s.endIndex { return nil }
                } else if c == "\"" {
                    inString = false
                }
            } else if c == "\"" {
                inString = true
            } else if c == "}", s.index(after: i) < s.endIndex, s[s.index(after: i)] == "}" {
                return i
            }
            i = s.index(after: i)
        }
        return nil
    }

    enum Token: Equatable, CustomStringConvertible {
        case ident(String), field(String), string(String), number(Int), pipe, open, close
        var description: String {
            switch self {
            case .ident(let s): return s
            case .field(let s): return "." + s
            case .string(let s): return "\"\(s)\""
            case .number(let n): return String(n)
            case .pipe: return "|"
            case .open: return "("
            case .close: return ")"
            }
        }
    }

    static func tokenize(_ s: Substring) throws(ParseError) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "|" {
                tokens.append(.pipe)
                i += 1
            } else if c == "(" {
                tokens.append(.open)
                i += 1
            } else if c == ")" {
                tokens.append(.close)
                i += 1
            } else if c == "\"" {
                var value = ""
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", i + 1 < chars.count {
                        let e = chars[i + 1]
                        switch e {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        default: value.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == "\"" {
                        closed = true
                        i += 1
                        break
                    }
                    value.append(d)
                    i += 1
                }
                if !closed { throw ParseError(message: "template: unterminated quoted string") }
                tokens.append(.string(value))
            } else if c == "." {
                var name = ""
                i += 1
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" {
                    name.append(chars[i])
                    i += 1
                }
                tokens.append(.field(name))
            } else if c.isNumber || c == "-" {
                var digits = String(c)
                i += 1
                while i < chars.count, chars[i].isNumber {
                    digits.append(chars[i])
                    i += 1
                }
                guard let n = Int(digits), abs(n) <= 1_000_000 else { throw ParseError(message: "template: bad number syntax: \"\(digits)\"") }
                tokens.append(.number(n))
            } else if c.isLetter || c == "_" {
                var name = ""
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" {
                    name.append(chars[i])
                    i += 1
                }
                tokens.append(.ident(name))
            } else {
                throw ParseError(message: "template: unexpected \"\(c)\" in command")
            }
        }
        return tokens
    }

    /// pipeline := command ('|' command)*
    static func parsePipeline(_ tokens: inout [Token]) throws(ParseError) -> Node {
        var node = try parseCommand(&tokens, piped: nil)
        while tokens.first == .pipe {
            tokens.removeFirst()
            node = try parseCommand(&tokens, piped: node)
        }
        return node
    }

    /// command := operand operand* (a function with its arguments, the piped value last)
    static func parseCommand(_ tokens: inout [Token], piped: Node?) throws(ParseError) -> Node {
        guard let first = tokens.first else { throw ParseError(message: "template: missing value for command") }
        if case .ident(let name) = first {
            tokens.removeFirst()
            guard let arity = functions[name] else { throw ParseError(message: "template: function \"\(name)\" not defined") }
            var args: [Node] = []
            while let t = tokens.first, t != .pipe, t != .close {
                args.append(try parseOperand(&tokens))
            }
            if let piped { args.append(piped) }
            guard arity.contains(args.count) else {
                throw ParseError(message: "template: wrong number of args for \(name): want \(arity.lowerBound) got \(args.count)")
            }
            return .call(name, args)
        }
        if piped != nil { throw ParseError(message: "template: non executable command in pipeline stage 2") }
        let operand = try parseOperand(&tokens)
        if let t = tokens.first, t != .pipe, t != .close {
            throw ParseError(message: "template: can't give argument to non-function \(first)")
        }
        return operand
    }

    static func parseOperand(_ tokens: inout [Token]) throws(ParseError) -> Node {
        guard !tokens.isEmpty else { throw ParseError(message: "template: missing value for command") }
        let t = tokens.removeFirst()
        switch t {
        case .field(let f):
            guard f == "DisplayName" || f == "RoleName" else {
                throw ParseError(message: "template: can't evaluate field \(f)")
            }
            return .field(f)
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .ident(let name):
            // A function used as an argument without parentheses takes no arguments.
            guard let arity = functions[name], arity.lowerBound == 0 else {
                throw ParseError(message: "template: function \"\(name)\" not defined or needs arguments")
            }
            return .call(name, [])
        case .open:
            let inner = try parsePipeline(&tokens)
            guard tokens.first == .close else { throw ParseError(message: "template: unclosed left paren") }
            tokens.removeFirst()
            return inner
        case .pipe, .close:
            throw ParseError(message: "template: unexpected \"\(t)\" in operand")
        }
    }

    // MARK: Evaluation

    static let alphanumerics = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    static func eval(_ node: Node, _ inputs: Inputs) throws(ParseError) -> Value {
        switch node {
        case .text(let s), .string(let s): return .string(s)
        case .number(let n): return .int(n)
        case .field(let f): return .string(f == "DisplayName" ? inputs.displayName : inputs.roleName)
        case .call(let name, let argNodes):
            var args: [Value] = []
            for a in argNodes { args.append(try eval(a, inputs)) }
            return try call(name, args, inputs)
        }
    }

    static func int(_ v: Value, _ fn: String) throws(ParseError) -> Int {
        guard case .int(let i) = v else { throw ParseError(message: "template: \(fn): expected an integer argument") }
        return i
    }

    static func call(_ name: String, _ args: [Value], _ inputs: Inputs) throws(ParseError) -> Value {
        switch name {
        case "random":
            let n = try int(args[0], name)
            guard n >= 1, n <= 1024 else { throw ParseError(message: "template: random: length must be between 1 and 1024") }
            var rng = SystemRandomNumberGenerator()
            return .string(String((0..<n).map { _ in alphanumerics[Int.random(in: 0..<alphanumerics.count, using: &rng)] }))
        case "unix_time": return .int(Int(inputs.now.timeIntervalSince1970))
        case "unix_time_millis": return .int(Int(inputs.now.timeIntervalSince1970 * 1000))
        case "timestamp": return .string(goTimeFormat(inputs.now, layout: args[0].text))
        case "truncate":
            let n = try int(args[0], name)
            guard n >= 0 else { throw ParseError(message: "template: truncate: max length must be >= 0") }
            return .string(String(args[1].text.prefix(n)))
        case "truncate_sha256":
            let n = try int(args[0], name)
            let s = args[1].text
            guard n > 8 else { throw ParseError(message: "template: truncate_sha256: max length must be > 8") }
            if s.count <= n { return .string(s) }
            let hash = SHA256.hash(data: Data(s.utf8)).map { String(format: "%02x", $0) }.joined()
            return .string(String(s.prefix(n - 8)) + String(hash.prefix(8)))
        case "lowercase": return .string(args[0].text.lowercased())
        case "uppercase": return .string(args[0].text.uppercased())
        case "replace": return .string(args[2].text.replacingOccurrences(of: args[0].text, with: args[1].text))
        case "sha256": return .string(SHA256.hash(data: Data(args[0].text.utf8)).map { String(format: "%02x", $0) }.joined())
        case "base64": return .string(Data(args[0].text.utf8).base64EncodedString())
        case "uuid": return .string(UUID().uuidString.lowercased())
        case "printf": return .string(printf(args[0].text, Array(args.dropFirst())))
        default: throw ParseError(message: "template: function \"\(name)\" not defined")
        }
    }

    /// Go's `fmt.Sprintf` for `%s`, `%d`, `%v` and `%%`; a missing argument prints `%!s(MISSING)` as Go does.
    static func printf(_ format: String, _ args: [Value]) -> String {
        var out = ""
        var next = 0
        var it = format.makeIterator()
        while let c = it.next() {
            guard c == "%" else {
                out.append(c)
                continue
            }
            guard let verb = it.next() else {
                out += "%!(NOVERB)"
                break
            }
            if verb == "%" {
                out.append("%")
                continue
            }
            guard next < args.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let a = args[next]
            next += 1
            switch (verb, a) {
            case ("d", .string(let s)): out += "%!d(string=\(s))"
            default: out += a.text
            }
        }
        if next < args.count { out += "%!(EXTRA " + args[next...].map { "string=\($0.text)" }.joined(separator: ", ") + ")" }
        return out
    }

    /// Go's time layout (`2006-01-02T15:04:05Z07:00`) for the parts OpenBao's templates use, in UTC.
    static func goTimeFormat(_ date: Date, layout: String) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC") ?? .current
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ v: Int?, _ w: Int) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let table: [(String, String)] = [
            ("2006", pad(c.year, 4)), ("Z07:00", "Z"), ("-0700", "+0000"), ("01", pad(c.month, 2)), ("02", pad(c.day, 2)),
            ("15", pad(c.hour, 2)), ("04", pad(c.minute, 2)), ("05", pad(c.second, 2)),
        ]
        var out = ""
        var rest = Substring(layout)
        outer: while !rest.isEmpty {
            for (token, value) in table where rest.hasPrefix(token) {
                out += value
                rest = rest.dropFirst(token.count)
                continue outer
            }
            out.append(rest.removeFirst())
        }
        return out
    }
}
