import CofferSDK

/// The one place that decides whether a request path is canonical, before any routing, policy or sudo decision.
///
/// A path is given without the leading `/v1/` (`sys/mounts/secret`). It is canonical when it has no empty
/// segment (`a//b`), no `.` or `..` segment, no control character (NUL included) and no leading slash; one trailing
/// slash is allowed (a folder). The HTTP edge redirects a non-canonical path to its clean form (as OpenBao's mux
/// does) or refuses it; the core refuses any path that is not canonical, so the ACL sees exactly the path the
/// handler serves.
public enum RequestPath {
    /// What the edge should do with a path from the wire (after percent-decoding).
    public enum Verdict: Equatable, Sendable {
        case canonical
        /// The path is clean once `.`, `..` and empty segments are removed: answer 307 to this full path.
        case redirect(String)
        /// The path holds a control character or cannot be cleaned without leaving `/v1/`.
        case invalid
    }

    /// Whether `path` (relative to `/v1/`) is canonical.
    public static func isCanonical(_ path: String) -> Bool {
        var previous: UInt8 = UInt8(ascii: "/")
        var segmentLength = 0
        var dots = 0
        for b in path.utf8 {
            if b < 0x20 || b == 0x7F { return false }
            if b == UInt8(ascii: "/") {
                if previous == UInt8(ascii: "/") { return false }
                if segmentLength == dots, dots == 1 || dots == 2 { return false }
                segmentLength = 0
                dots = 0
            } else {
                segmentLength += 1
                if b == UInt8(ascii: ".") { dots += 1 }
            }
            previous = b
        }
        if segmentLength == dots, dots == 1 || dots == 2 { return false }
        return true
    }

    /// Go's `path.Clean` of `/v1/` + `path`, keeping a trailing slash as Go's ServeMux does; returns the full
    /// cleaned path (with its leading `/`).
    public static func clean(fullPath: String) -> String {
        var out: [Substring] = []
        for seg in fullPath.pathSegments(omittingEmpty: true) {
            if seg == "." { continue }
            if seg == ".." {
                if !out.isEmpty { out.removeLast() }
                continue
            }
            out.append(seg)
        }
        var cleaned = "/" + out.joined(separator: "/")
        if fullPath.hasSuffix("/"), cleaned != "/" { cleaned += "/" }
        return cleaned
    }

    /// The verdict for a decoded path relative to `/v1/`.
    public static func verdict(_ path: String) -> Verdict {
        if isCanonical(path) { return .canonical }
        if path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .invalid }
        return .redirect(clean(fullPath: "/v1/" + path))
    }
}
