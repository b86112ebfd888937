import Foundation

/// An operator's SQL statement template (`CREATE ROLE "{{name}}" WITH PASSWORD '{{password}}' ...`) made safe to
/// run with values a client can influence (a display name inside a username, a generated password).
///
/// PostgreSQL binds no parameters in utility statements (CREATE/ALTER ROLE), so the values are written into the text.
/// A small lexer walks the template as PostgreSQL's scanner would, and escapes each `{{key}}` for the context it
/// stands in: inside `"..."` a `"` is doubled, inside `'...'` a `'` is doubled; a bare placeholder becomes a quoted
/// identifier (`name`, `username`) or a quoted literal (`password`, `expiration`). Contexts where escaping cannot be
/// done safely refuse the value: `E'...'` and `U&` strings (backslash escapes), comments, and a dollar-quoted body
/// whose closing tag the value contains. NUL is refused everywhere (PostgreSQL ends a string at it). Statements run
/// with `standard_conforming_strings` on (see ``PostgresConnector``), so a backslash in a plain literal is literal.
struct SQLTemplate: Sendable {
    /// The placeholders the engine fills; any other `{{...}}` text stays as written (as OpenBao's `QueryHelper`).
    static let knownKeys: Set<String> = ["name", "username", "password", "expiration"]
    /// Keys that stand for an identifier when bare.
    static let identifierKeys: Set<String> = ["name", "username"]

    struct RenderError: Error, Equatable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// One lexical context of the template.
    enum Context: Equatable {
        case bare
        case identifier  // "..."
        case literal  // '...'
        case escapeString  // E'...' or U&'...' or U&"..."
        case dollar(tag: String)  // $tag$...$tag$
        case lineComment
        case blockComment
    }

    /// Renders `template` with `values`, escaping each known placeholder for its context.
    static func render(_ template: String, _ values: [String: String]) throws(RenderError) -> String {
        let s = Array(template.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var context = Context.bare
        var blockDepth = 0
        var dollarTags: [String] = []  // enclosing dollar-quoted bodies (nested bodies are SQL too)
        var escapeQuote: Unicode.Scalar = "'"  // the quote that ends the current escape string

        func at(_ j: Int) -> Unicode.Scalar? { j < s.count ? s[j] : nil }
        func isIdentChar(_ c: Unicode.Scalar?) -> Bool {
            guard let c else { return false }
            return c == "_" || c == "$" || c.properties.isAlphabetic || ("0"..."9").contains(c)
        }

        while i < s.count {
            // A placeholder?
            if s[i] == "{", at(i + 1) == "{", let close = findClose(s, from: i + 2) {
                let key = String(String.UnicodeScalarView(s[(i + 2)..<close])).trimmingSpaces
                if knownKeys.contains(key), let value = values[key] {
                    out.append(contentsOf: try escape(value, key: key, context: context, dollarTags: dollarTags).unicodeScalars)
                    i = close + 2
                    continue
                }
            }
            let c = s[i]
            switch context {
            case .bare:
                if c == "\"" {
                    let unicode = i >= 2 && (s[i - 1] == "&") && (s[i - 2] == "U" || s[i - 2] == "u")
                    context = unicode ? .escapeString : .identifier
                    escapeQuote = "\""
                    out.append(c)
                    i += 1
                } else if c == "'" {
                    let prev = i >= 1 ? s[i - 1] : nil
                    let escapeForm =
                        ((prev == "E" || prev == "e") && !isIdentChar(i >= 2 ? s[i - 2] : nil))
                        || (prev == "&" && i >= 2 && (s[i - 2] == "U" || s[i - 2] == "u"))
                    context = escapeForm ? .escapeString : .literal
                    escapeQuote = "'"
                    out.append(c)
                    i += 1
                } else if c == "-", at(i + 1) == "-" {
                    context = .lineComment
                    out.append(c)
                    out.append("-")
                    i += 2
                } else if c == "/", at(i + 1) == "*" {
                    context = .blockComment
                    blockDepth = 1
                    out.append(c)
                    out.append("*")
                    i += 2
                } else if c == "$", !isIdentChar(i >= 1 ? s[i - 1] : nil), let tagEnd = dollarTagEnd(s, from: i) {
                    let tag = String(String.UnicodeScalarView(s[i...tagEnd]))
                    out.append(contentsOf: tag.unicodeScalars)
                    i = tagEnd + 1
                    if let last = dollarTags.last, last == tag {
                        dollarTags.removeLast()  // closes the enclosing body
                    } else {
                        dollarTags.append(tag)  // opens a body: its text is SQL again
                    }
                } else {
                    out.append(c)
                    i += 1
                }
            case .identifier, .literal:
                let quote: Unicode.Scalar = context == .identifier ? "\"" : "'"
                out.append(c)
                i += 1
                if c == quote {
                    if at(i) == quote {
                        out.append(quote)
                        i += 1
                    } else {
                        context = .bare
                    }
                }
            case .escapeString:
                let quote = escapeQuote
                out.append(c)
                i += 1
                if c == "\\", quote == "'", let n = at(i) {
                    out.append(n)
                    i += 1
                } else if c == quote {
                    if at(i) == quote {
                        out.append(quote)
                        i += 1
                    } else {
                        context = .bare
                    }
                }
            case .lineComment:
                out.append(c)
                i += 1
                if c == "\n" || c == "\r" { context = .bare }
            case .blockComment:
                if c == "/", at(i + 1) == "*" {
                    blockDepth += 1
                    out.append(c)
                    out.append("*")
                    i += 2
                } else if c == "*", at(i + 1) == "/" {
                    blockDepth -= 1
                    out.append(c)
                    out.append("/")
                    i += 2
                    if blockDepth == 0 { context = .bare }
                } else {
                    out.append(c)
                    i += 1
                }
            case .dollar:
                // Not used: dollar bodies are lexed as SQL (see dollarTags).
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }

    /// The index of the `}}` closing a placeholder opened before `from`, on the same line.
    private static func findClose(_ s: [Unicode.Scalar], from: Int) -> Int? {
        var j = from
        while j + 1 < s.count {
            if s[j] == "\n" || s[j] == "{" { return nil }
            if s[j] == "}" && s[j + 1] == "}" { return j }
            j += 1
        }
        return nil
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `from` (`$$` or `$tag$`).
    private static func dollarTagEnd(_ s: [Unicode.Scalar], from: Int) -> Int? {
        var j = from + 1
        while j < s.count {
            let c = s[j]
            if c == "$" { return j }
            let ok = c == "_" || c.properties.isAlphabetic || (j > from + 1 && ("0"..."9").contains(c))
            if !ok { return nil }
            j += 1
        }
        return nil
    }

    /// The value escaped for the context it stands in, or an error when no escaping is safe there.
    static func escape(_ value: String, key: String, context: Context, dollarTags: [String]) throws(RenderError) -> String {
        if value.unicodeScalars.contains("\u{0}") {
            throw RenderError(message: "value for {{\(key)}} contains a NUL character")
        }
        // Inside a dollar-quoted body the value must not close it.
        for tag in dollarTags where value.contains(tag) {
            throw RenderError(message: "value for {{\(key)}} contains the dollar-quote tag \(tag) of its statement")
        }
        // A dollar-quote opener inside a value would start a new body in bare SQL: only reachable for bare values,
        // which are quoted below.
        switch context {
        case .bare:
            return identifierKeys.contains(key) ? quoteIdentifier(value) : quoteLiteral(value)
        case .identifier:
            return value.replacingOccurrences(of: "\"", with: "\"\"")
        case .literal:
            return value.replacingOccurrences(of: "'", with: "''")
        case .escapeString:
            throw RenderError(message: "{{\(key)}} inside an escape string (E'...' or U&) is not supported")
        case .lineComment, .blockComment:
            throw RenderError(message: "{{\(key)}} inside a comment is not supported")
        case .dollar:
            throw RenderError(message: "{{\(key)}} inside a dollar-quoted string is not supported")
        }
    }

    /// A quoted identifier (`"a""b"`), as PostgreSQL's `quote_ident` (always quoted).
    static func quoteIdentifier(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// A standard string literal (`'a''b'`); correct while `standard_conforming_strings` is on.
    static func quoteLiteral(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    // MARK: - Splitting

    /// The queries of one statement template: split on `;` outside quotes, comments and dollar bodies, empty
    /// pieces dropped; kept whole when it holds a bare `END` keyword (a `DO`/function body written without dollar
    /// quotes), as OpenBao does.
    static func split(_ statement: String) -> [String] {
        let s = Array(statement.unicodeScalars)
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        var hasEnd = false
        var wordStart: Int? = nil
        var quote: Unicode.Scalar? = nil
        var lineComment = false
        var blockDepth = 0
        var dollarTag: String? = nil

        func flushWord(_ end: Int) {
            if let w = wordStart, end - w == 3 {
                let word = String(String.UnicodeScalarView(s[w..<end])).uppercased()
                if word == "END" { hasEnd = true }
            }
            wordStart = nil
        }

        while i < s.count {
            let c = s[i]
            if let q = quote {
                current.append(c)
                if c == q {
                    if i + 1 < s.count, s[i + 1] == q {
                        current.append(q)
                        i += 2
                        continue
                    }
                    quote = nil
                }
                i += 1
                continue
            }
            if lineComment {
                current.append(c)
                if c == "\n" { lineComment = false }
                i += 1
                continue
            }
            if blockDepth > 0 {
                current.append(c)
                if c == "*", i + 1 < s.count, s[i + 1] == "/" {
                    blockDepth -= 1
                    current.append("/")
                    i += 2
                    continue
                }
                if c == "/", i + 1 < s.count, s[i + 1] == "*" {
                    blockDepth += 1
                    current.append("*")
                    i += 2
                    continue
                }
                i += 1
                continue
            }
            if let tag = dollarTag {
                let tagScalars = Array(tag.unicodeScalars)
                if c == "$", i + tagScalars.count <= s.count, Array(s[i..<(i + tagScalars.count)]) == tagScalars {
                    current.append(contentsOf: tag.unicodeScalars)
                    i += tagScalars.count
                    dollarTag = nil
                    continue
                }
                current.append(c)
                i += 1
                continue
            }
            let isWordChar = c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c)
            if isWordChar {
                if wordStart == nil { wordStart = i }
                current.append(c)
                i += 1
                continue
            }
            flushWord(i)
            if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == "-", i + 1 < s.count, s[i + 1] == "-" {
                lineComment = true
                current.append(c)
            } else if c == "/", i + 1 < s.count, s[i + 1] == "*" {
                blockDepth = 1
                current.append(c)
                current.append("*")
                i += 2
                continue
            } else if c == "$", let end = dollarTagEnd(s, from: i) {
                let tag = String(String.UnicodeScalarView(s[i...end]))
                current.append(contentsOf: tag.unicodeScalars)
                dollarTag = tag
                i = end + 1
                continue
            } else if c == ";" {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
                i += 1
                continue
            } else {
                current.append(c)
            }
            i += 1
        }
        flushWord(s.count)
        pieces.append(String(current))
        if hasEnd {
            let whole = statement.trimmingSpaces
            return whole.isEmpty ? [] : [whole]
        }
        return pieces.map(\.trimmingSpaces).filter { !$0.isEmpty }
    }

    /// Every query of a list of statement templates, in order.
    static func queries(_ statements: [String]) -> [String] { statements.flatMap(split) }
}

extension String {
    /// Without leading and trailing whitespace and newlines.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? first
        return String(scalars[first...last])
    }
}
