/// Matches a request path against every pattern of an engine at once: a trie of segments built when the engine's
/// route table is first used, walked once per request (no regular expression runs on the request path).
///
/// At each segment a literal child is tried first, then a named segment, then a rest-of-path capture, so a literal
/// path (`keys/{name}/rotate`) wins over a capture that would also match it; the first declared route wins a tie.
public struct PathTrie: Sendable {
    public struct Match: Sendable {
        /// Index of the matched pattern in the array the trie was built from.
        public var route: Int
        /// Named segments, in pattern order.
        public var captures: [(name: String, value: String)]
    }

    final class Node: @unchecked Sendable {
        // Only mutated while the trie is built, before it is shared.
        var literals: [String: Node] = [:]
        var names: [(name: String, rule: PathPattern.NameRule, node: Node)] = []
        /// Rest-of-path captures, each with the literal segments that must end the path after it.
        var rests: [(name: String, nonEmpty: Bool, suffix: [String], route: Int)] = []
        var terminal: Int? = nil
    }

    let root = Node()
    /// Patterns made of literal segments only, matched by one dictionary look-up.
    var exact: [String: Int] = [:]

    public init(_ patterns: [PathPattern]) {
        for (index, pattern) in patterns.enumerated() {
            for shape in pattern.expansions { insert(shape, route: index) }
        }
    }

    mutating func insert(_ shape: [PathPattern.Segment], route: Int) {
        if shape.allSatisfy({ if case .literal = $0 { true } else { false } }) {
            let key = shape.map { if case .literal(let l) = $0 { l } else { "" } }.joined(separator: "/")
            if exact[key] == nil { exact[key] = route }
        }
        var node = root
        for seg in shape {
            switch seg {
            case .literal(let l):
                if let next = node.literals[l] {
                    node = next
                } else {
                    let next = Node()
                    node.literals[l] = next
                    node = next
                }
            case .name(let n, let rule), .optionalName(let n, let rule):
                if let i = node.names.firstIndex(where: { $0.name == n && $0.rule == rule }) {
                    node = node.names[i].node
                } else {
                    let next = Node()
                    node.names.append((n, rule, next))
                    node = next
                }
            case .rest(let n, let nonEmpty):
                let tail = shape.drop(while: { $0 != seg }).dropFirst().compactMap { s -> String? in
                    if case .literal(let l) = s { return l }
                    return nil
                }
                node.rests.append((n, nonEmpty, tail, route))
                // Longer literal tails are more specific: tried first.
                node.rests.sort { ($0.suffix.count, -$0.route) > ($1.suffix.count, -$1.route) }
                return
            case .optionalRest:
                // Expanded away by PathPattern.expansions.
                return
            }
        }
        if node.terminal == nil { node.terminal = route }
    }

    /// The route a path below the mount matches, with its captures; nil when no pattern matches.
    public func match(_ path: String) -> Match? {
        if let r = exact[path] { return Match(route: r, captures: []) }
        var captures: [(name: String, value: String)] = []
        var best: Match? = nil
        walk(root, at: path.startIndex, path: path, captures: &captures, best: &best)
        return best
    }

    /// The segment that starts at `start` (up to the next `/` byte, as `String.pathSegments` splits) and where the
    /// next one starts: nil after the last segment. A path ending in `/` ends with an empty segment.
    @inline(__always)
    private static func segment(_ path: String, at start: String.Index) -> (Substring, next: String.Index?) {
        let utf8 = path.utf8
        var i = start
        while i != utf8.endIndex {
            if utf8[i] == UInt8(ascii: "/") { return (path[start..<i], utf8.index(after: i)) }
            utf8.formIndex(after: &i)
        }
        return (path[start...], nil)
    }

    /// Depth-first, literal before name before rest; keeps the match of the lowest route index among those found
    /// at the first node that matches (declaration order breaks ties between shapes of equal precedence). `start`
    /// is where the next segment of the path begins, nil when every segment has been consumed.
    private func walk(
        _ node: Node, at start: String.Index?, path: String, captures: inout [(name: String, value: String)],
        best: inout Match?
    ) {
        if best != nil { return }
        guard let start else {
            if let t = node.terminal { best = Match(route: t, captures: captures) }
            return
        }
        let (seg, next) = Self.segment(path, at: start)
        if !node.literals.isEmpty, let child = node.literals[String(seg)] {
            walk(child, at: next, path: path, captures: &captures, best: &best)
            if best != nil { return }
        }
        for (name, rule, child) in node.names where PathPattern.accepts(rule, seg) {
            captures.append((name, String(seg)))
            walk(child, at: next, path: path, captures: &captures, best: &best)
            if best != nil { return }
            captures.removeLast()
        }
        guard !node.rests.isEmpty else { return }
        // The remaining segments are only split for a capture that must end in literal segments.
        let rest = node.rests.contains { !$0.suffix.isEmpty } ? path[start...].pathSegments() : []
        for r in node.rests {
            // The capture is the remainder as it appears in the path (segments joined back with their slashes),
            // less the literal tail the pattern ends with.
            let value: String
            if r.suffix.isEmpty {
                value = String(path[start...])
            } else {
                guard rest.count >= r.suffix.count + 1 else { continue }
                let tailStart = rest.endIndex - r.suffix.count
                guard zip(rest[tailStart...], r.suffix).allSatisfy({ $0.0 == $0.1 }) else { continue }
                value = rest[rest.startIndex..<tailStart].joined(separator: "/")
            }
            if r.nonEmpty && value.isEmpty { continue }
            captures.append((r.name, value))
            best = Match(route: r.route, captures: captures)
            return
        }
    }
}
