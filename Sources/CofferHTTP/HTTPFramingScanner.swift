import NIOHTTP1

/// Follows HTTP/1.1 request framing over a stream of reads and finds where each request's method is, so `LIST` can
/// be renamed before NIO's HTTP parser (llhttp, strict mode) sees it. A method split across reads is withheld until
/// it is complete.
///
/// The scanner and llhttp must never continue with different ideas of where a request ends: that would let a body
/// smuggle a request past the rename (or a `LIST` be answered 400 and the connection dropped). So every length is
/// parsed with a checked parser (digits only, no sign, overflow refused), and whatever the scanner can't frame with
/// certainty fails the connection (``Edit/failure``): a malformed or oversized `Content-Length` or chunk size, a
/// duplicate `Content-Length`, `Content-Length` with `Transfer-Encoding`, a `Transfer-Encoding` that doesn't end in
/// `chunked`, a header name with whitespace, an obsolete folded line, a tracked header longer than
/// ``lineLimit``, or bytes after a request llhttp treats as a protocol upgrade (it stops parsing there). llhttp
/// refuses all of these itself in strict mode, so failing them costs nothing a client could rely on.
///
/// States follow NIO's state-machine style: one `Phase`, each read a pure function of the state and the bytes,
/// returning the edit to apply (tested without I/O in `ListMethodRewriterTests`).
struct HTTPFramingScanner {
    /// `LIST` becomes `BIND` (a method llhttp accepts and Vault never uses); the responder maps `BIND` back to LIST.
    static let substituteMethod = "BIND"
    static let listSubstitute: [UInt8] = Array(substituteMethod.utf8)
    /// A client's own `BIND` becomes `LINK`, which the responder refuses (405) as OpenBao refuses `BIND`: otherwise a
    /// `BIND` request would be served as a LIST.
    static let bindSubstitute: [UInt8] = Array("LINK".utf8)
    /// A request's `Upgrade` header is renamed to this inert name of the same length: Coffer upgrades to nothing, and
    /// llhttp would otherwise stop parsing the connection after an `Upgrade` + `Connection: upgrade` request.
    static let upgradeRename: [UInt8] = Array("Ignored".utf8)
    static let upgradeName: [UInt8] = Array("upgrade:".utf8)

    enum Phase: Equatable {
        case method
        case requestLine
        case headers
        case body
        case chunkSize
        case chunkData
        case chunkDataEnd
        case trailers
        /// After a request llhttp treats as an upgrade (`CONNECT`, or `Upgrade` with `Connection: upgrade`): NIO
        /// parses nothing more on this connection, so any further request fails the connection.
        case upgraded
        /// The framing could not be followed: nothing more is forwarded.
        case failed
    }

    /// How the bytes of one read must change before they are forwarded.
    struct Edit: Equatable {
        /// Bytes to send before this read's bytes: a method withheld from earlier reads, possibly renamed.
        var prefix: [UInt8] = []
        /// Bytes to overwrite in this read, at offsets from its first readable byte.
        var replacements: [Replacement] = []
        /// Only this read's bytes before this offset are forwarded now; the rest (an incomplete method, or everything
        /// from the point of a failure) is withheld.
        var forwardEnd: Int
        /// Set once, on the read where the framing stopped making sense: the connection must be failed with it (the
        /// HTTP server answers 400 and closes), and nothing after ``forwardEnd`` is ever forwarded.
        var failure: HTTPParserError? = nil
    }

    struct Replacement: Equatable {
        var offset: Int
        var bytes: [UInt8]
    }

    /// The longest header line (tracked headers only: `Content-Length`, `Transfer-Encoding`, `Connection`,
    /// `Upgrade`) or chunk-size line the scanner accepts. Longer ones fail the connection, whatever the reads' sizes.
    static let lineLimit = 1024
    /// A method longer than this is not one llhttp knows; the scanner stops looking at it.
    static let methodLimit = 16

    private(set) var phase = Phase.method
    /// Body or chunk bytes left, or the CRLF bytes left after a chunk.
    private var remaining = 0
    /// The method bytes seen in earlier reads and not yet forwarded (fewer than ``methodLimit``).
    private var held: [UInt8] = []
    /// The start (up to ``lineLimit`` bytes) of a line that began in an earlier read.
    private var line: [UInt8] = []
    /// The length of that line so far (it stops counting once past ``lineLimit``).
    private var lineLength = 0
    /// Request heads completed on this connection.
    private(set) var completedHeads = 0

    // The current request.
    private var contentLength: Int? = nil
    private var transferEncoding = false
    private var chunked = false
    private var connectionUpgrade = false
    private var upgradeHeader = false
    /// Set by the `Upgrade` header line just ended: the scan renames it (``upgradeRename``) when it can.
    private var upgradeNameToRename = false
    /// The header line in progress (begun in an earlier read) was already renamed from `Upgrade`.
    private var lineRenamed = false
    /// The first bytes of a header line, withheld from the previous read because they may start `Upgrade:`.
    private var carry: [UInt8] = []
    private var isConnect = false
    private var upgrading = false

    /// True from a request's first byte until its head is complete: the span the read-header timeout covers.
    var isReadingHead: Bool {
        switch phase {
        case .requestLine, .headers: return true
        case .method: return !held.isEmpty
        default: return false
        }
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let sp = UInt8(ascii: " ")
    private static let ht = UInt8(ascii: "\t")

    /// Scans one read. Returns `nil` when it is to be forwarded unchanged.
    ///
    /// Bytes withheld from the previous read (the start of a header line that may be `Upgrade:`) are scanned again
    /// in front of this read, and the edit is mapped back: those bytes go out as the edit's prefix.
    mutating func scan(_ p: UnsafeRawBufferPointer) -> Edit? {
        if carry.isEmpty { return scanRead(p) }
        let c = carry.count
        var joined = carry
        carry = []
        joined.append(contentsOf: p)
        let e = joined.withUnsafeBytes { scanRead($0) } ?? Edit(forwardEnd: joined.count)
        var out = Edit(forwardEnd: max(0, e.forwardEnd - c), failure: e.failure)
        var prefix = Array(joined[0..<min(c, e.forwardEnd)])
        for r in e.replacements {
            for (k, b) in r.bytes.enumerated() {
                let at = r.offset + k
                if at < c {
                    if at < prefix.count { prefix[at] = b }
                } else {
                    out.replacements.append(Replacement(offset: at - c, bytes: [b]))
                }
            }
        }
        out.prefix = e.prefix + prefix
        return out
    }

    private mutating func scanRead(_ p: UnsafeRawBufferPointer) -> Edit? {
        let n = p.count
        if phase == .failed { return Edit(forwardEnd: 0) }
        var edit: Edit? = nil
        var i = 0
        var methodStart = 0
        // Where the current line began in this read (0 when it began in an earlier one).
        var lineStart = 0
        while i < n {
            switch phase {
            case .failed:
                return fail(&edit, at: i, n: n, .invalidInternalState)
            case .upgraded:
                let b = p[i]
                guard b == Self.cr || b == Self.lf else { return fail(&edit, at: i, n: n, .trailingGarbage) }
                i += 1
            case .method:
                let b = p[i]
                let count = held.count + (i - methodStart)
                if b == Self.sp || count >= Self.methodLimit {
                    let rest = UnsafeRawBufferPointer(rebasing: p[methodStart..<i])
                    var substitute: [UInt8]? = nil
                    var connect = false
                    if b == Self.sp {
                        if Self.matches(held, rest, "LIST") {
                            substitute = Self.listSubstitute
                        } else if Self.matches(held, rest, "BIND") {
                            substitute = Self.bindSubstitute
                        } else if Self.matches(held, rest, "CONNECT") {
                            connect = true
                        }
                    }
                    if let substitute {
                        var e = edit ?? Edit(forwardEnd: n)
                        if !held.isEmpty { e.prefix = Array(substitute[0..<held.count]) }
                        if held.count < substitute.count {
                            e.replacements.append(Replacement(offset: methodStart, bytes: Array(substitute[held.count...])))
                        }
                        edit = e
                    } else if !held.isEmpty {
                        var e = edit ?? Edit(forwardEnd: n)
                        e.prefix = held
                        edit = e
                    }
                    held.removeAll(keepingCapacity: true)
                    beginRequest()
                    isConnect = connect
                    phase = .requestLine
                } else if count == 0 && (b == Self.cr || b == Self.lf) {
                    methodStart = i + 1  // stray CRLF between requests
                }
                i += 1
            case .requestLine:
                // The request target and version: nothing here changes the framing (and a target may hold a colon).
                guard let lf = Self.firstLF(p, from: i) else {
                    i = n
                    continue
                }
                i = lf + 1
                lineStart = i
                phase = .headers
            case .headers, .chunkSize, .trailers:
                if lineLength == 0 { lineStart = i }
                guard let lf = Self.firstLF(p, from: i) else {
                    if phase == .headers, lineLength == 0 {
                        // A header line starts here and goes on in the next read. If it is (or may be) `Upgrade:`,
                        // rename it now, or withhold its first bytes until its name is known.
                        let avail = n - i
                        let probe = min(avail, Self.upgradeName.count)
                        if Self.equalsLowerPrefix(UnsafeRawBufferPointer(rebasing: p[i..<(i + probe)]), Self.upgradeName) {
                            if avail >= Self.upgradeName.count {
                                var e = edit ?? Edit(forwardEnd: n)
                                e.replacements.append(Replacement(offset: i, bytes: Self.upgradeRename))
                                edit = e
                                lineRenamed = true
                            } else {
                                carry = Array(UnsafeRawBufferPointer(rebasing: p[i..<n]))
                                var e = edit ?? Edit(forwardEnd: n)
                                e.forwardEnd = min(e.forwardEnd, i)
                                edit = e
                                i = n
                                continue
                            }
                        }
                    }
                    // The line goes on in the next read: keep its start.
                    if line.count < Self.lineLimit {
                        let keep = min(n - i, Self.lineLimit - line.count)
                        line.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<(i + keep)]))
                    }
                    if lineLength <= Self.lineLimit { lineLength += n - i }
                    i = n
                    continue
                }
                let length = lineLength + (lf - i)
                let failure: HTTPParserError?
                if lineLength == 0 {
                    failure = endOfLine(UnsafeRawBufferPointer(rebasing: p[i..<lf]), length: length)
                    if upgradeNameToRename {
                        // The whole line is in this read: rename the header so llhttp never takes the request for a
                        // protocol upgrade, and the connection goes on as with OpenBao (Go ignores `Upgrade`).
                        upgradeNameToRename = false
                        var e = edit ?? Edit(forwardEnd: n)
                        e.replacements.append(Replacement(offset: i, bytes: Self.upgradeRename))
                        edit = e
                    }
                } else {
                    var joined = line
                    if joined.count < Self.lineLimit {
                        let keep = min(lf - i, Self.lineLimit - joined.count)
                        joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<(i + keep)]))
                    }
                    line.removeAll(keepingCapacity: true)
                    failure = joined.withUnsafeBytes { endOfLine($0, length: length) }
                    if upgradeNameToRename {
                        // Renamed when its name arrived (lineRenamed); otherwise too late to rename it, so the request
                        // stays an upgrade for llhttp and anything after it fails the connection.
                        upgradeNameToRename = false
                        if !lineRenamed { upgradeHeader = true }
                    }
                    lineRenamed = false
                }
                lineLength = 0
                if let failure { return fail(&edit, at: lineStart, n: n, failure) }
                i = lf + 1
                lineStart = i
                if phase == .method { methodStart = i }
            case .body, .chunkData:
                let k = min(remaining, n - i)
                i += k
                remaining -= k
                if remaining == 0 {
                    if phase == .body {
                        endOfMessage()
                        methodStart = i
                    } else {
                        phase = .chunkDataEnd
                        remaining = 2
                    }
                }
            case .chunkDataEnd:
                guard p[i] == (remaining == 2 ? Self.cr : Self.lf) else { return fail(&edit, at: i, n: n, .invalidChunkSize) }
                i += 1
                remaining -= 1
                if remaining == 0 { phase = .chunkSize }
            }
        }
        if phase == .method && n > methodStart {
            held.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[methodStart..<n]))
            var e = edit ?? Edit(forwardEnd: n)
            e.forwardEnd = methodStart
            edit = e
        }
        return edit
    }

    private mutating func fail(_ edit: inout Edit?, at offset: Int, n: Int, _ error: HTTPParserError) -> Edit {
        var e = edit ?? Edit(forwardEnd: n)
        e.forwardEnd = min(e.forwardEnd, offset)
        e.failure = error
        phase = .failed
        held = []
        carry = []
        lineRenamed = false
        upgradeNameToRename = false
        line = []
        lineLength = 0
        return e
    }

    private mutating func beginRequest() {
        contentLength = nil
        transferEncoding = false
        chunked = false
        connectionUpgrade = false
        upgradeHeader = false
        isConnect = false
        upgrading = false
    }

    private mutating func endOfMessage() {
        phase = upgrading ? .upgraded : .method
    }

    /// Whether `held` followed by `rest` spells `literal`.
    private static func matches(_ held: [UInt8], _ rest: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let m = literal.utf8CodeUnitCount
        guard held.count + rest.count == m else { return false }
        let l = literal.utf8Start
        for j in 0..<held.count where held[j] != l[j] { return false }
        for j in 0..<rest.count where rest[j] != l[held.count + j] { return false }
        return true
    }

    private static func firstLF(_ p: UnsafeRawBufferPointer, from i: Int) -> Int? {
        var j = i
        while j < p.count {
            if p[j] == lf { return j }
            j += 1
        }
        return nil
    }

    /// A complete line, without its LF: the bytes kept (at most ``lineLimit``) and its full length.
    private mutating func endOfLine(_ kept: UnsafeRawBufferPointer, length: Int) -> HTTPParserError? {
        // Only the first lineLimit bytes count, however the line arrived (in one read or several).
        var l = kept.count > Self.lineLimit ? UnsafeRawBufferPointer(rebasing: kept[0..<Self.lineLimit]) : kept
        let complete = length == l.count
        if complete, let last = l.last, last == Self.cr { l = UnsafeRawBufferPointer(rebasing: l[0..<(l.count - 1)]) }
        let blank = complete && l.isEmpty
        switch phase {
        case .headers:
            return blank ? endOfHead() : header(l, complete: complete)
        case .chunkSize:
            guard complete else { return .invalidChunkSize }
            return chunkSizeLine(l)
        case .trailers:
            if blank { endOfMessage() }
            return nil
        default:
            return .invalidInternalState
        }
    }

    private mutating func endOfHead() -> HTTPParserError? {
        completedHeads &+= 1
        if transferEncoding && contentLength != nil { return .unexpectedContentLength }
        upgrading = isConnect || (upgradeHeader && connectionUpgrade)
        if isConnect {
            phase = .upgraded  // llhttp reads no body after a CONNECT head
        } else if chunked {
            phase = .chunkSize
        } else if let length = contentLength, length > 0 {
            phase = .body
            remaining = length
        } else {
            endOfMessage()
        }
        return nil
    }

    private enum TrackedHeader {
        case contentLength, transferEncoding, connection, upgrade
    }

    private mutating func header(_ l: UnsafeRawBufferPointer, complete: Bool) -> HTTPParserError? {
        guard let first = l.first else { return .invalidHeaderToken }
        if first == Self.sp || first == Self.ht { return .invalidHeaderToken }  // obsolete line folding
        guard let colon = l.firstIndex(of: UInt8(ascii: ":")) else {
            // A cut line whose name runs past the kept bytes is not a tracked header; a whole line needs a colon.
            return complete ? .invalidHeaderToken : nil
        }
        let name = UnsafeRawBufferPointer(rebasing: l[0..<colon])
        for b in name where b <= 0x20 || b == 0x7F { return .invalidHeaderToken }
        let tracked: TrackedHeader
        if Self.equalsLower(name, "content-length") {
            tracked = .contentLength
        } else if Self.equalsLower(name, "transfer-encoding") {
            tracked = .transferEncoding
        } else if Self.equalsLower(name, "connection") {
            tracked = .connection
        } else if Self.equalsLower(name, "upgrade") {
            tracked = .upgrade
        } else {
            return nil
        }
        guard complete else { return .headerOverflow }
        let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: l[(colon + 1)...]))
        switch tracked {
        case .contentLength:
            guard contentLength == nil else { return .unexpectedContentLength }
            guard let length = Self.decimal(value) else { return .invalidContentLength }
            contentLength = length
        case .transferEncoding:
            guard !transferEncoding else { return .invalidHeaderToken }
            transferEncoding = true
            // The last coding must be `chunked`, and only the last (llhttp refuses anything else in a request).
            var chunkedCount = 0
            var lastIsChunked = false
            Self.forEachToken(value) { token in
                lastIsChunked = Self.equalsLower(token, "chunked")
                if lastIsChunked { chunkedCount += 1 }
            }
            guard lastIsChunked, chunkedCount == 1 else { return .invalidHeaderToken }
            chunked = true
        case .connection:
            Self.forEachToken(value) { token in
                if Self.equalsLower(token, "upgrade") { connectionUpgrade = true }
            }
        case .upgrade:
            upgradeNameToRename = true
        }
        return nil
    }

    private mutating func chunkSizeLine(_ l: UnsafeRawBufferPointer) -> HTTPParserError? {
        var j = 0
        var size = 0
        while j < l.count, let digit = Self.hexValue(l[j]) {
            let (shifted, o1) = size.multipliedReportingOverflow(by: 16)
            let (sum, o2) = shifted.addingReportingOverflow(digit)
            if o1 || o2 { return .invalidChunkSize }
            size = sum
            j += 1
        }
        // At least one hex digit, then the end of the line or a chunk extension: no sign, no space, nothing else.
        guard j > 0, j == l.count || l[j] == UInt8(ascii: ";") else { return .invalidChunkSize }
        if size == 0 {
            phase = .trailers
        } else {
            phase = .chunkData
            remaining = size
        }
        return nil
    }

    /// A non-negative decimal made of ASCII digits only (leading zeros allowed), or `nil` when anything else is there
    /// or it overflows `Int`.
    static func decimal(_ s: UnsafeRawBufferPointer) -> Int? {
        guard !s.isEmpty else { return nil }
        var value = 0
        for b in s {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(Int(b &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b &- UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b &- UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// Optional whitespace as HTTP defines it: spaces and tabs.
    private static func isOWS(_ b: UInt8) -> Bool { b == sp || b == ht }

    private static func trimmed(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var a = 0
        var b = s.count
        while a < b && isOWS(s[a]) { a += 1 }
        while b > a && isOWS(s[b - 1]) { b -= 1 }
        return UnsafeRawBufferPointer(rebasing: s[a..<b])
    }

    /// Calls `body` with each trimmed, non-empty element of a comma-separated list.
    private static func forEachToken(_ s: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        var j = 0
        while j <= s.count {
            if j == s.count || s[j] == UInt8(ascii: ",") {
                let token = trimmed(UnsafeRawBufferPointer(rebasing: s[start..<j]))
                if !token.isEmpty { body(token) }
                start = j + 1
            }
            j += 1
        }
    }

    /// Compares ASCII case-insensitively with a lower-case literal.
    /// Whether `bytes` (ASCII, any case) are the first `bytes.count` bytes of `lower`.
    static func equalsLowerPrefix(_ bytes: UnsafeRawBufferPointer, _ lower: [UInt8]) -> Bool {
        guard bytes.count <= lower.count else { return false }
        for (k, b) in bytes.enumerated() {
            let l = (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) ? b + 32 : b
            if l != lower[k] { return false }
        }
        return true
    }

    private static func equalsLower(_ s: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard s.count == lower.utf8CodeUnitCount else { return false }
        let l = lower.utf8Start
        for j in 0..<s.count {
            let c = s[j]
            if (c >= 65 && c <= 90 ? c + 32 : c) != l[j] { return false }
        }
        return true
    }
}
