extension JSON {
    /// Writes the value as JSON text the way Go's `json.MarshalIndent(v, "", "  ")` does: two-space indent,
    /// `"key": value`, `{}`/`[]` for empty containers and, by default, `<`, `>` and `&` escaped as `\u003c` etc.
    ///
    /// - Parameters:
    ///   - pretty: indent with two spaces; otherwise write compactly.
    ///   - escapeHTML: escape `<`, `>`, `&` (Go's default).
    public func serialized(pretty: Bool = true, escapeHTML: Bool = true) -> String {
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil, escapeHTML: escapeHTML)
        return out
    }

    private func write(to out: inout String, indent: Int?, escapeHTML: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let literal): out += literal
        case .string(let value): JSON.writeString(value, to: &out, escapeHTML: escapeHTML)
        case .array(let values):
            JSON.writeContainer(values, "[", "]", to: &out, indent: indent) { value, out, inner in
                value.write(to: &out, indent: inner, escapeHTML: escapeHTML)
            }
        case .object(let members):
            JSON.writeContainer(members, "{", "}", to: &out, indent: indent) { member, out, inner in
                JSON.writeString(member.key, to: &out, escapeHTML: escapeHTML)
                out += inner == nil ? ":" : ": "
                member.value.write(to: &out, indent: inner, escapeHTML: escapeHTML)
            }
        }
    }

    /// `open`, the items separated by commas (each on its own line, one level deeper, when indenting), `close`;
    /// empty containers as `[]` / `{}`.
    private static func writeContainer<Item>(
        _ items: [Item], _ open: String, _ close: String, to out: inout String, indent: Int?,
        _ writeItem: (Item, inout String, Int?) -> Void
    ) {
        out += open
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            if let indent { out += "\n" + String(repeating: "  ", count: indent + 1) }
            writeItem(item, &out, indent.map { $0 + 1 })
        }
        if let indent, !items.isEmpty { out += "\n" + String(repeating: "  ", count: indent) }
        out += close
    }

    private static let hexDigits = Array("0123456789abcdef")

    private static func writeString(_ value: String, to out: inout String, escapeHTML: Bool) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<" where escapeHTML, ">" where escapeHTML, "&" where escapeHTML, "\u{2028}", "\u{2029}":
                out += unicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    out += unicodeEscape(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        var s = "\\u"
        for shift in stride(from: 12, through: 0, by: -4) {
            s.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
        return s
    }
}
