import Foundation

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)` without the trip through Foundation for ASCII text (policy names, TTLs,
    /// comma lists on the request path). Text with other characters takes Foundation's path, so the result is the same.
    public func trimmingWhitespace() -> String {
        let u = utf8
        var first: String.Index? = nil
        var lastEnd = u.startIndex
        var i = u.startIndex
        while i < u.endIndex {
            let b = u[i]
            if b >= 0x80 { return trimmingCharacters(in: .whitespaces) }
            let next = u.index(after: i)
            if b != 0x20 && b != 0x09 {
                if first == nil { first = i }
                lastEnd = next
            }
            i = next
        }
        guard let first else { return "" }
        return String(self[first..<lastEnd])
    }
}
