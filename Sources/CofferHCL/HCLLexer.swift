import CofferSDK

struct HCLToken: Sendable {
    enum Kind: Sendable, Equatable {
        case ident(String)
        case string(String)
        case heredoc(String)
        case number(Int64)
        case float(Double)
        case bool(Bool)
        case lbrack, rbrack, lbrace, rbrace, comma, assign, eof
    }

    var kind: Kind
    var line: Int
    var column: Int
    /// The source text of the token, for error messages.
    var text: String

    /// HCL's token type names, used in error messages (`got: RBRACE`).
    var typeName: String {
        switch kind {
        case .ident: return "IDENT"
        case .string: return "STRING"
        case .heredoc: return "HEREDOC"
        case .number: return "NUMBER"
        case .float: return "FLOAT"
        case .bool: return "BOOL"
        case .lbrack: return "LBRACK"
        case .rbrack: return "RBRACK"
        case .lbrace: return "LBRACE"
        case .rbrace: return "RBRACE"
        case .comma: return "COMMA"
        case .assign: return "ASSIGN"
        case .eof: return "EOF"
        }
    }
}

struct HCLLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.scalars = scalars
    }

    mutating func tokenize() throws(HCLError) -> [HCLToken] {
        var tokens: [HCLToken] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .eof { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let i = index + offset
        return i < scalars.count ? scalars[i] : nil
    }

    private mutating func advance() -> Unicode.Scalar {
        let c = scalars[index]
        index += 1
        if c == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        return c
    }

    private func error(_ message: String, line: Int? = nil, column: Int? = nil) -> HCLError {
        HCLError(line: line ?? self.line, column: column ?? self.column, message: message)
    }

    private mutating func skipTrivia() throws(HCLError) {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                _ = advance()
            } else if c == "#" || (c == "/" && peek(1) == "/") {
                while let d = peek(), d != "\n" { _ = advance() }
            } else if c == "/" && peek(1) == "*" {
                let (startLine, startColumn) = (line, column)
                _ = advance()
                _ = advance()
                while true {
                    guard let d = peek() else {
                        throw error("comment not terminated", line: startLine, column: startColumn)
                    }
                    if d == "*" && peek(1) == "/" {
                        _ = advance()
                        _ = advance()
                        break
                    }
                    _ = advance()
                }
            } else {
                return
            }
        }
    }

    private static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic
    }

    private static func isIdentPart(_ c: Unicode.Scalar) -> Bool {
        isIdentStart(c) || isDigit(c) || c == "-" || c == "." || c == ":"
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private mutating func next() throws(HCLError) -> HCLToken {
        try skipTrivia()
        let (startLine, startColumn, start) = (line, column, index)
        func token(_ kind: HCLToken.Kind) -> HCLToken {
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[start..<index])
            return HCLToken(kind: kind, line: startLine, column: startColumn, text: text)
        }
        guard let c = peek() else { return token(.eof) }
        switch c {
        case "[": _ = advance(); return token(.lbrack)
        case "]": _ = advance(); return token(.rbrack)
        case "{": _ = advance(); return token(.lbrace)
        case "}": _ = advance(); return token(.rbrace)
        case ",": _ = advance(); return token(.comma)
        case "=": _ = advance(); return token(.assign)
        case "\"": return token(.string(try lexString()))
        case "<" where peek(1) == "<": return token(.heredoc(try lexHeredoc()))
        default: break
        }
        if Self.isDigit(c) || ((c == "-" || c == "+") && peek(1).map(Self.isDigit) == true) {
            return token(try lexNumber())
        }
        if Self.isIdentStart(c) {
            var name = ""
            while let d = peek(), Self.isIdentPart(d) { name.unicodeScalars.append(advance()) }
            switch name {
            case "true": return token(.bool(true))
            case "false": return token(.bool(false))
            default: return token(.ident(name))
            }
        }
        throw error("illegal char")
    }

    private mutating func lexNumber() throws(HCLError) -> HCLToken.Kind {
        let (startLine, startColumn) = (line, column)
        var text = ""
        if peek() == "-" || peek() == "+" { text.unicodeScalars.append(advance()) }
        if peek() == "0", let x = peek(1), x == "x" || x == "X" {
            _ = advance()
            _ = advance()
            var digits = ""
            while let d = peek(), d.properties.isASCIIHexDigit { digits.unicodeScalars.append(advance()) }
            guard let v = Int64(digits, radix: 16) else {
                throw error("illegal hexadecimal number", line: startLine, column: startColumn)
            }
            return .number(text == "-" ? -v : v)
        }
        var isFloat = false
        while let d = peek() {
            if Self.isDigit(d) {
                text.unicodeScalars.append(advance())
            } else if d == "." && peek(1).map(Self.isDigit) == true {
                isFloat = true
                text.unicodeScalars.append(advance())
            } else if (d == "e" || d == "E")
                && (peek(1).map(Self.isDigit) == true
                    || ((peek(1) == "-" || peek(1) == "+") && peek(2).map(Self.isDigit) == true))
            {
                isFloat = true
                text.unicodeScalars.append(advance())
                if peek() == "-" || peek() == "+" { text.unicodeScalars.append(advance()) }
            } else {
                break
            }
        }
        if let d = peek(), Self.isIdentPart(d) {
            throw error("illegal number", line: startLine, column: startColumn)
        }
        if !isFloat, let v = Int64(text) { return .number(v) }
        guard let v = Double(text) else { throw error("illegal number", line: startLine, column: startColumn) }
        return .float(v)
    }

    /// Lexes a double-quoted string, decoding escapes. `${ … }` interpolations are kept verbatim.
    private mutating func lexString() throws(HCLError) -> String {
        _ = advance()  // opening quote
        var out = ""
        var braceDepth = 0
        while true {
            guard let c = peek() else { throw error("literal not terminated") }
            if c == "\n" { throw error("literal not terminated") }
            if braceDepth == 0 && c == "\"" {
                _ = advance()
                return out
            }
            if c == "$" && peek(1) == "{" {
                out.unicodeScalars.append(advance())
                out.unicodeScalars.append(advance())
                braceDepth += 1
                continue
            }
            if braceDepth > 0 {
                if c == "{" { braceDepth += 1 }
                if c == "}" { braceDepth -= 1 }
                out.unicodeScalars.append(advance())
                continue
            }
            if c == "\\" {
                let (escLine, escColumn) = (line, column)
                _ = advance()
                guard let e = peek(), e != "\n" else { throw error("literal not terminated") }
                _ = advance()
                if let escape = FieldValue.goEscapes.first(where: { $0.letter == e }) {
                    out.unicodeScalars.append(escape.scalar)
                    continue
                }
                switch e {
                case "/": out += "/"
                case "u", "U", "x":
                    let count = e == "u" ? 4 : (e == "U" ? 8 : 2)
                    var hex = ""
                    for _ in 0..<count {
                        guard let h = peek(), h.properties.isASCIIHexDigit else {
                            throw error("illegal char escape", line: escLine, column: escColumn)
                        }
                        hex.unicodeScalars.append(advance())
                    }
                    guard let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                        throw error("illegal char escape", line: escLine, column: escColumn)
                    }
                    out.unicodeScalars.append(scalar)
                case "0"..."7":
                    var v = e.value - 48
                    for _ in 0..<2 {
                        guard let o = peek(), o >= "0" && o <= "7" else {
                            throw error("illegal char escape", line: escLine, column: escColumn)
                        }
                        v = v * 8 + (advance().value - 48)
                    }
                    guard let scalar = Unicode.Scalar(v) else {
                        throw error("illegal char escape", line: escLine, column: escColumn)
                    }
                    out.unicodeScalars.append(scalar)
                default:
                    throw error("illegal char escape", line: escLine, column: escColumn)
                }
                continue
            }
            out.unicodeScalars.append(advance())
        }
    }

    /// Lexes `<<EOF` / `<<-EOF` heredocs. The value keeps the final newline; `<<-` removes the common indentation.
    private mutating func lexHeredoc() throws(HCLError) -> String {
        let (startLine, startColumn) = (line, column)
        _ = advance()
        _ = advance()
        var indented = false
        if peek() == "-" {
            indented = true
            _ = advance()
        }
        var anchor = ""
        while let c = peek(), Self.isIdentPart(c) { anchor.unicodeScalars.append(advance()) }
        guard !anchor.isEmpty else { throw error("heredoc expected marker name", line: startLine, column: startColumn) }
        if peek() == "\r" { _ = advance() }
        guard peek() == "\n" else { throw error("invalid characters in heredoc anchor", line: startLine, column: startColumn) }
        _ = advance()
        var lines: [String] = []
        while true {
            guard peek() != nil else { throw error("heredoc not terminated", line: startLine, column: startColumn) }
            var current = ""
            while let c = peek(), c != "\n" { current.unicodeScalars.append(advance()) }
            if current.hasSuffix("\r") { current.removeLast() }
            let trimmed = current.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed == anchor {
                break
            }
            lines.append(current)
            guard peek() == "\n" else { throw error("heredoc not terminated", line: startLine, column: startColumn) }
            _ = advance()
        }
        if indented {
            let indents = lines.filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }.map { line in
                line.prefix(while: { $0 == " " || $0 == "\t" }).count
            }
            let strip = indents.min() ?? 0
            lines = lines.map { String($0.dropFirst(min(strip, $0.prefix(while: { $0 == " " || $0 == "\t" }).count))) }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}
