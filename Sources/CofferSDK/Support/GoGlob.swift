/// The glob of `ryanuber/go-glob`, which OpenBao's auth methods use for their `allowed_*` and bound-claim patterns:
/// `*` matches any run of characters (none included); there is no other wildcard and no escaping.
///
/// ```swift
/// GoGlob.matches("*.example.com", "a.example.com")  // true
/// GoGlob.matches("web-*-prod", "web-1-prod")        // true
/// ```
public enum GoGlob {
    public static func matches(_ pattern: String, _ subject: String) -> Bool {
        if pattern.isEmpty { return subject.isEmpty }
        if pattern == "*" { return true }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let text = Array(subject.utf8)
        if parts.count == 1 { return text == parts[0] }
        let leadingGlob = pattern.hasPrefix("*")
        let trailingGlob = pattern.hasSuffix("*")
        var start = 0
        for (i, part) in parts.dropLast().enumerated() {
            guard let at = firstIndex(of: part, in: text, from: start) else { return false }
            if i == 0 && !leadingGlob && at != 0 { return false }
            start = at + part.count
        }
        if trailingGlob { return true }
        let last = parts[parts.count - 1]
        return text.count - start >= last.count && text[(text.count - last.count)...].elementsEqual(last)
    }

    /// The first position at or after `from` where `needle` occurs in `haystack` (an empty needle occurs at `from`).
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        if needle.isEmpty { return from }
        guard haystack.count - from >= needle.count else { return nil }
        for i in from...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }
}
