import CofferSDK

/// What is live while unsealed; swapped atomically, read without waiting.
struct RouterSnapshot: Sendable {
    var mounts: [String: MountedEngine] = [:]
    var identity: (any IdentityResolver)? = nil
    var mountTable: [MountEntry] = []
    var authTable: [MountEntry] = []

    func route(_ path: String) -> MountedEngine? {
        // Longest prefix first: try each "/" boundary from the right.
        var candidate = path.hasSuffix("/") ? path : path + "/"
        while true {
            if let m = mounts[candidate] { return m }
            let trimmed = candidate.dropLast()
            guard let slash = trimmed.lastIndex(of: "/") else { return nil }
            candidate = String(trimmed[...slash])
        }
    }
}
