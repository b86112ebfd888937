import HummingbirdCore
import Logging
import NIOCore

/// Vault clients send the non-standard `LIST` method, which NIO's HTTP parser (llhttp) rejects. This handler sits
/// in front of the HTTP decoder, follows HTTP/1.1 message framing (Content-Length and chunked bodies), and renames
/// `LIST` at the start of each request to `BIND` (a method llhttp accepts and Vault never uses); the responder maps it
/// back to `.list`.
///
/// Every request passes through here, so the bytes are scanned in place (``HTTPFramingScanner``) and a read is
/// forwarded as it came unless a method has to be renamed or was split across reads.
final class ListMethodRewriter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let substituteMethod = HTTPFramingScanner.substituteMethod

    private var scanner = HTTPFramingScanner()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var scanner = self.scanner
        let out = Self.rewrite(unwrapInboundIn(data), scanner: &scanner, allocator: context.channel.allocator)
        self.scanner = scanner
        if out.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(out)) }
    }

    /// The bytes to forward for one read.
    static func rewrite(_ input: ByteBuffer, scanner: inout HTTPFramingScanner, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = input
        guard let edit = buffer.withUnsafeReadableBytes({ scanner.scan($0) }) else { return buffer }
        for r in edit.replacements { buffer.setBytes(r.bytes, at: buffer.readerIndex + r.offset) }
        if edit.forwardEnd < buffer.readableBytes {
            buffer = buffer.getSlice(at: buffer.readerIndex, length: edit.forwardEnd)!
        }
        if !edit.prefix.isEmpty {
            var out = allocator.buffer(capacity: edit.prefix.count + buffer.readableBytes)
            out.writeBytes(edit.prefix)
            out.writeBuffer(&buffer)
            buffer = out
        }
        return buffer
    }
}

/// Follows HTTP/1.1 request framing over a stream of reads and finds where each request's method is, so `LIST` can
/// be renamed. A method split across reads is withheld until it is complete.
struct HTTPFramingScanner {
    static let substituteMethod = "BIND"
    static let substituteBytes = Array(substituteMethod.utf8)

    enum Phase {
        case method
        case headers
        case body
        case chunkSize
        case chunkData
        case chunkDataEnd
        case trailers
        case passthrough
    }

    /// How the bytes of one read must change before they are forwarded.
    struct Edit: Equatable {
        /// Bytes to send before this read's bytes: a method withheld from earlier reads, possibly renamed.
        var prefix: [UInt8] = []
        /// Bytes to overwrite in this read, at offsets from its first readable byte.
        var replacements: [Replacement] = []
        /// Only this read's bytes before this offset are forwarded now; the rest (an incomplete method) is withheld.
        var forwardEnd: Int
    }

    struct Replacement: Equatable {
        var offset: Int
        var bytes: [UInt8]
    }

    private(set) var phase = Phase.method
    /// Body or chunk bytes left, or the CRLF bytes left after a chunk.
    private var remaining = 0
    /// The method bytes seen in earlier reads and not yet forwarded.
    private var held: [UInt8] = []
    /// The start of a line that began in an earlier read (bounded, as only its start is looked at).
    private var line: [UInt8] = []
    private var contentLength = 0
    private var chunked = false

    static let headerLineLimit = 256
    static let chunkLineLimit = 64

    /// Scans one read. Returns `nil` when it is to be forwarded unchanged.
    mutating func scan(_ p: UnsafeRawBufferPointer) -> Edit? {
        let n = p.count
        var edit: Edit? = nil
        var i = 0
        var methodStart = 0
        while i < n {
            switch phase {
            case .passthrough:
                i = n
            case .method:
                let b = p[i]
                let count = held.count + (i - methodStart)
                if b == UInt8(ascii: " ") || count >= 16 {
                    if count == 4, Self.isLIST(held, UnsafeRawBufferPointer(rebasing: p[methodStart..<i])) {
                        var e = edit ?? Edit(forwardEnd: n)
                        if !held.isEmpty { e.prefix = Array(Self.substituteBytes[0..<held.count]) }
                        e.replacements.append(Replacement(offset: methodStart, bytes: Array(Self.substituteBytes[held.count...])))
                        edit = e
                    } else if !held.isEmpty {
                        var e = edit ?? Edit(forwardEnd: n)
                        e.prefix = held
                        edit = e
                    }
                    held = []
                    line = []
                    contentLength = 0
                    chunked = false
                    phase = .headers
                } else if count == 0 && (b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n")) {
                    methodStart = i + 1  // stray CRLF between requests
                }
                i += 1
            case .headers, .chunkSize, .trailers:
                let limit = phase == .chunkSize ? Self.chunkLineLimit : Self.headerLineLimit
                var lf = i
                while lf < n && p[lf] != UInt8(ascii: "\n") { lf += 1 }
                let end = min(lf, i + max(0, limit - line.count))
                if lf == n {
                    if end > i { line.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<end])) }
                    i = n
                    continue
                }
                if line.isEmpty {
                    endOfLine(UnsafeRawBufferPointer(rebasing: p[i..<end]))
                } else {
                    var joined = line
                    line = []
                    if end > i { joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<end])) }
                    joined.withUnsafeBytes { endOfLine($0) }
                }
                i = lf + 1
                if phase == .method { methodStart = i }
            case .body, .chunkData:
                let k = min(remaining, n - i)
                i += k
                remaining -= k
                if remaining == 0 {
                    if phase == .body {
                        phase = .method
                        methodStart = i
                    } else {
                        phase = .chunkDataEnd
                        remaining = 2
                    }
                }
            case .chunkDataEnd:
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

    private static func isLIST(_ held: [UInt8], _ rest: UnsafeRawBufferPointer) -> Bool {
        guard held.count + rest.count == 4 else { return false }
        let list: [UInt8] = Array("LIST".utf8)
        for (j, b) in held.enumerated() where b != list[j] { return false }
        for (j, b) in rest.enumerated() where b != list[held.count + j] { return false }
        return true
    }

    /// A complete line (without its LF, cut to the phase's limit).
    private mutating func endOfLine(_ l: UnsafeRawBufferPointer) {
        let blank = l.isEmpty || (l.count == 1 && l[0] == UInt8(ascii: "\r"))
        switch phase {
        case .headers:
            if blank {
                if chunked {
                    phase = .chunkSize
                } else if contentLength > 0 {
                    phase = .body
                    remaining = contentLength
                } else {
                    phase = .method
                }
            } else {
                inspectHeader(l)
            }
        case .chunkSize:
            var e = 0
            while e < l.count && l[e] != UInt8(ascii: ";") && l[e] != UInt8(ascii: "\r") { e += 1 }
            let text = Self.trimmed(UnsafeRawBufferPointer(rebasing: l[0..<e]))
            guard let size = Int(String(decoding: text, as: UTF8.self), radix: 16) else {
                phase = .passthrough  // let the HTTP decoder report the malformed body
                return
            }
            if size == 0 {
                phase = .trailers
            } else {
                phase = .chunkData
                remaining = size
            }
        case .trailers:
            if blank { phase = .method }
        default:
            break
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    private static func trimmed(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var a = 0
        var b = s.count
        while a < b && isSpace(s[a]) { a += 1 }
        while b > a && isSpace(s[b - 1]) { b -= 1 }
        return UnsafeRawBufferPointer(rebasing: s[a..<b])
    }

    /// Compares ASCII case-insensitively with a lower-case literal.
    private static func equalsLower(_ s: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard s.count == lower.utf8CodeUnitCount else { return false }
        let l = lower.utf8Start
        for j in 0..<s.count {
            let c = s[j]
            if (c >= 65 && c <= 90 ? c + 32 : c) != l[j] { return false }
        }
        return true
    }

    private static func containsLower(_ s: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        let m = lower.utf8CodeUnitCount
        guard s.count >= m else { return false }
        let l = lower.utf8Start
        outer: for start in 0...(s.count - m) {
            for j in 0..<m {
                let c = s[start + j]
                if (c >= 65 && c <= 90 ? c + 32 : c) != l[j] { continue outer }
            }
            return true
        }
        return false
    }

    private mutating func inspectHeader(_ l: UnsafeRawBufferPointer) {
        guard let colon = l.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = Self.trimmed(UnsafeRawBufferPointer(rebasing: l[0..<colon]))
        let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: l[(colon + 1)...]))
        if Self.equalsLower(name, "content-length") {
            contentLength = Int(String(decoding: value, as: UTF8.self)) ?? 0
        } else if Self.equalsLower(name, "transfer-encoding") {
            if Self.containsLower(value, "chunked") { chunked = true }
        } else if Self.equalsLower(name, "upgrade") || (Self.equalsLower(name, "connection") && Self.containsLower(value, "upgrade")) {
            // A protocol switch: stop interpreting bytes after this request.
            phase = .passthrough
        }
    }
}

/// Wraps a server child channel so that `ListMethodRewriter` runs before its HTTP decoder.
public struct ListMethodChannel<Base: HTTPChannelHandler>: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = Base.Value
    let base: Base

    public init(_ base: Base) { self.base = base }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ListMethodRewriter())
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    public var responder: HTTPChannelHandler.Responder { base.responder }
}

