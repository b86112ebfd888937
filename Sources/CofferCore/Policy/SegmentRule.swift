import CofferSDK
import Foundation

/// A rule whose pattern has `+` segments (and maybe a trailing `*`).
struct SegmentRule: Sendable {
    var pattern: String
    var parts: [Substring]
    var isPrefix: Bool
    var permissions: Permissions

    init(pattern: String, permissions: Permissions) {
        self.pattern = pattern
        self.parts = pattern.pathSegments()
        self.isPrefix = pattern.hasSuffix("*")
        self.permissions = permissions
    }

    func matches(_ path: [Substring]) -> Bool {
        if isPrefix {
            guard path.count >= parts.count else { return false }
        } else {
            guard path.count == parts.count else { return false }
        }
        for (i, part) in parts.enumerated() {
            if isPrefix && i == parts.count - 1 {
                return path[i].hasPrefix(part.dropLast())
            }
            if part != "+" && part != path[i] { return false }
        }
        return true
    }
}
