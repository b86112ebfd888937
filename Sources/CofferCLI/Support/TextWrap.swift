/// Word wrapping as `bao` applies it to its longer messages.
enum TextWrap {
    /// Wraps each line of `text` at word boundaries so that no line exceeds `width` characters (a single word longer
    /// than `width` stays whole). Existing line breaks are kept.
    static func wrap(_ text: String, width: Int = 80) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var lines: [String] = []
            var current = ""
            for word in line.split(separator: " ", omittingEmptySubsequences: true) {
                if current.isEmpty {
                    current = String(word)
                } else if current.count + 1 + word.count <= width {
                    current += " " + word
                } else {
                    lines.append(current)
                    current = String(word)
                }
            }
            lines.append(current)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
