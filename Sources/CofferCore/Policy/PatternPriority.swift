import CofferSDK
import Foundation

/// OpenBao's priority order between two wildcard patterns that both match a path.
struct PatternPriority: Comparable {
    var firstWildcard: Int
    var endsWithGlob: Bool
    var plusCount: Int
    var length: Int
    var pattern: String

    init(_ pattern: String) {
        let scalars = Array(pattern.unicodeScalars)
        self.firstWildcard = scalars.firstIndex(where: { $0 == "+" || $0 == "*" }) ?? scalars.count
        self.endsWithGlob = pattern.hasSuffix("*")
        self.plusCount = scalars.filter { $0 == "+" }.count
        self.length = scalars.count
        self.pattern = pattern
    }

    static func < (a: PatternPriority, b: PatternPriority) -> Bool {
        if a.firstWildcard != b.firstWildcard { return a.firstWildcard < b.firstWildcard }
        if a.endsWithGlob != b.endsWithGlob { return a.endsWithGlob }
        if a.plusCount != b.plusCount { return a.plusCount > b.plusCount }
        if a.length != b.length { return a.length < b.length }
        return a.pattern < b.pattern
    }
}
