/// The path of an engine route, written once and compiled into a ``PathTrie``.
///
/// Grammar (segments are separated by `/`):
/// - `keys` — a literal segment;
/// - `{name}` — one segment holding a name as OpenBao's `GenericNameRegex` allows (`\w(([\w-.]+)?\w)?`);
/// - `{name:any}` — one non-empty segment of any characters but `/`;
/// - `{name?}` — an optional last segment, as OpenBao's `(/(?P<name>...))?` (`{name:any?}` for any text);
/// - `{path*}` — the rest of the path, possibly empty, possibly holding `/` (`(?P<path>.*)`);
/// - `{path+}` — the same, at least one character (`(?P<path>.+)`); only literal segments may follow a rest
///   (`mounts/{path+}/tune`: the capture stops before the literal tail);
/// - `{path+?}` — an optional last part of at least one character, `/` included: OpenBao's `OptionalParamRegex`
///   (`(/(?P<path>.+))?`, as in transit's `hmac/{name}/{urlalgorithm+?}`);
/// - a trailing `/?` — the path with or without a trailing slash (list paths such as `users/?`).
///
/// A pattern whose segments are all literal is matched by a dictionary look-up; named segments capture their text.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case name(String, NameRule)
        case optionalName(String, NameRule)
        case rest(String, nonEmpty: Bool)
        case optionalRest(String)
    }

    /// Which text a named segment accepts.
    public enum NameRule: Sendable, Hashable {
        /// `\w(([\w-.]+)?\w)?`
        case generic
        /// Any non-empty text without `/`.
        case any
    }

    public let text: String
    public let segments: [Segment]
    public let optionalTrailingSlash: Bool

    /// Parses a pattern. A malformed pattern is a programming error in an engine's declaration, caught by the
    /// framework's unit tests, never by a request.
    public init(_ text: String) {
        self.text = text
        var body = Substring(text)
        if body.hasSuffix("/?") {
            optionalTrailingSlash = true
            body = body.dropLast(2)
        } else {
            optionalTrailingSlash = false
        }
        var segments: [Segment] = []
        for raw in body.split(separator: "/", omittingEmptySubsequences: false) {
            guard raw.hasPrefix("{"), raw.hasSuffix("}") else {
                segments.append(.literal(String(raw)))
                continue
            }
            var inner = raw.dropFirst().dropLast()
            if inner.hasSuffix("+?") {
                segments.append(.optionalRest(String(inner.dropLast(2))))
                continue
            }
            let modifier = inner.last.flatMap { "*+?".contains($0) ? $0 : nil }
            if modifier != nil { inner = inner.dropLast() }
            var rule = NameRule.generic
            if let colon = inner.firstIndex(of: ":") {
                rule = inner[inner.index(after: colon)...] == "any" ? .any : .generic
                inner = inner[..<colon]
            }
            switch modifier {
            case "*": segments.append(.rest(String(inner), nonEmpty: false))
            case "+": segments.append(.rest(String(inner), nonEmpty: true))
            case "?": segments.append(.optionalName(String(inner), rule))
            default: segments.append(.name(String(inner), rule))
            }
        }
        self.segments = segments
        self.parameterNames = segments.compactMap {
            switch $0 {
            case .literal: return nil
            case .name(let n, _), .optionalName(let n, _), .rest(let n, _), .optionalRest(let n): return n
            }
        }
    }

    public var description: String { text }

    /// The names this pattern captures, in order.
    public let parameterNames: [String]

    /// The concrete shapes the trie stores: an optional segment and an optional trailing slash each double them.
    var expansions: [[Segment]] {
        var shapes: [[Segment]] = [[]]
        for seg in segments {
            if case .optionalName(let n, let rule) = seg {
                shapes = shapes + shapes.map { $0 + [.name(n, rule)] }
            } else if case .optionalRest(let n) = seg {
                shapes = shapes + shapes.map { $0 + [.rest(n, nonEmpty: true)] }
            } else {
                shapes = shapes.map { $0 + [seg] }
            }
        }
        if optionalTrailingSlash {
            shapes += shapes.compactMap { shape in
                if case .rest = shape.last { return nil }
                return shape + [.literal("")]
            }
        }
        return shapes
    }

    /// OpenBao's path in OpenAPI form: `keys/{name}`, optional parts dropped into a second entry by the caller.
    public var openAPIPaths: [String] {
        expansions.filter { $0.last != .literal("") || $0.count == 1 }.map { shape in
            shape.map { seg -> String in
                switch seg {
                case .literal(let l): return l
                case .name(let n, _), .optionalName(let n, _), .rest(let n, _), .optionalRest(let n): return "{\(n)}"
                }
            }.joined(separator: "/")
        }
    }

    /// The pattern as the regular expression OpenBao would declare for it (path-help's "Matching Route").
    public var regex: String {
        func group(_ n: String, _ rule: NameRule) -> String {
            rule == .generic ? "(?P<\(n)>\\w(([\\w-.]+)?\\w)?)" : "(?P<\(n)>[^/]+)"
        }
        var out = "^"
        for (i, seg) in segments.enumerated() {
            let sep = i == 0 ? "" : "/"
            switch seg {
            case .literal(let l): out += sep + l
            case .name(let n, let rule): out += sep + group(n, rule)
            case .optionalName(let n, let rule): out += "(" + sep + group(n, rule) + ")?"
            case .rest(let n, let nonEmpty): out += sep + "(?P<\(n)>." + (nonEmpty ? "+" : "*") + ")"
            case .optionalRest(let n): out += "(" + sep + "(?P<\(n)>.+))?"
            }
        }
        return out + (optionalTrailingSlash ? "/?$" : "$")
    }

    /// OpenBao's generic name rule, `\w(([\w-.]+)?\w)?`, over ASCII word characters.
    public static func isGenericName(_ s: Substring) -> Bool {
        // One pass over the bytes (every request's named segments go through here).
        var last: UInt8 = 0
        var count = 0
        for b in s.utf8 {
            guard isWord(b) || ((b == 0x2D || b == 0x2E) && count > 0) else { return false }
            last = b
            count += 1
        }
        return count > 0 && isWord(last)
    }

    @inline(__always) static func isWord(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    static func accepts(_ rule: NameRule, _ s: Substring) -> Bool {
        switch rule {
        case .generic: return isGenericName(s)
        case .any: return !s.isEmpty
        }
    }
}
