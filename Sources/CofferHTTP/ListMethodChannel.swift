import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// Vault clients send the non-standard `LIST` method, which NIO's HTTP parser (llhttp, whose method table is fixed
/// at compile time) rejects. This handler sits in front of the HTTP decoder, follows HTTP/1.1 message framing
/// (``HTTPFramingScanner``), and renames `LIST` at the start of each request to `BIND` (a method llhttp accepts and
/// Vault never uses); the responder maps it back to `.list`. A client's own `BIND` is renamed `LINK` and refused.
///
/// Every request passes through here, so the bytes are scanned in place and a read is forwarded as it came unless a
/// method has to be renamed or was split across reads. When the framing can't be followed, what came before is
/// forwarded, an `HTTPParserError` is fired (Hummingbird answers 400 with `Connection: close` after the responses
/// already due) and nothing more is read from the connection.
///
/// It also enforces the listener's `http_read_header_timeout`: from the moment the connection is accepted, and from
/// the first byte of each later request, the request head must be complete within the timeout or the connection is
/// closed (as Go's `ReadHeaderTimeout`, which OpenBao sets to 10 s). The wait for the next request on an idle
/// keep-alive connection is `http_idle_timeout`, enforced by Hummingbird's `HTTP1Channel` configuration.
public final class ListMethodRewriter: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    static let substituteMethod = HTTPFramingScanner.substituteMethod

    private var scanner = HTTPFramingScanner()
    private let readHeaderTimeout: TimeAmount?
    private var headerTimer: Scheduled<Void>? = nil

    init(readHeaderTimeout: TimeAmount? = nil) {
        self.readHeaderTimeout = readHeaderTimeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armHeaderTimer(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelHeaderTimer()
    }

    public func channelActive(context: ChannelHandlerContext) {
        armHeaderTimer(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancelHeaderTimer()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let headsBefore = scanner.completedHeads
        let (out, failure) = Self.rewrite(unwrapInboundIn(data), scanner: &scanner, allocator: context.channel.allocator)
        if out.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(out)) }
        if let failure {
            cancelHeaderTimer()
            context.fireErrorCaught(failure)
            return
        }
        guard readHeaderTimeout != nil, scanner.phase != .failed else { return }
        if scanner.isReadingHead {
            // A head that began in this read after another ended gets its own deadline.
            if scanner.completedHeads != headsBefore { cancelHeaderTimer() }
            armHeaderTimer(context: context)
        } else if scanner.completedHeads > 0 {
            // Between requests (or in a body): the idle timeout, not this one, applies. Before the first request
            // the timer armed at accept keeps running.
            cancelHeaderTimer()
        }
    }

    /// Starts the read-header timer unless it is already running (its deadline stays the first byte's).
    private func armHeaderTimer(context: ChannelHandlerContext) {
        guard let timeout = readHeaderTimeout, headerTimer == nil else { return }
        headerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.headerTimer = nil
            context.close(promise: nil)
        }
    }

    private func cancelHeaderTimer() {
        headerTimer?.cancel()
        headerTimer = nil
    }

    /// The bytes to forward for one read, and the error to fail the connection with when the framing broke here.
    static func rewrite(
        _ input: ByteBuffer, scanner: inout HTTPFramingScanner, allocator: ByteBufferAllocator
    ) -> (ByteBuffer, HTTPParserError?) {
        var buffer = input
        guard let edit = buffer.withUnsafeReadableBytes({ scanner.scan($0) }) else { return (buffer, nil) }
        for r in edit.replacements { buffer.setBytes(r.bytes, at: buffer.readerIndex + r.offset) }
        if edit.forwardEnd < buffer.readableBytes {
            buffer.moveWriterIndex(to: buffer.readerIndex + max(0, edit.forwardEnd))
        }
        if !edit.prefix.isEmpty {
            var out = allocator.buffer(capacity: edit.prefix.count + buffer.readableBytes)
            out.writeBytes(edit.prefix)
            out.writeBuffer(&buffer)
            buffer = out
        }
        return (buffer, edit.failure)
    }
}

extension ListMethodRewriter {
    /// An entry point for a libFuzzer target over the LIST shim: call it from `LLVMFuzzerTestOneInput` with the
    /// fuzzer's bytes (`swiftc -sanitize=fuzzer,address`). It traps (so the fuzzer records a crash) when:
    /// - the scanner's output or failure depends on how the stream is split into reads (the bytes are fed whole, then
    ///   cut at points derived from the input itself; after a failure one output may only be a prefix of the other);
    /// - the output is not the input with methods renamed in place (same length up to the forwarded end, differing
    ///   only where `LIST`/`BIND` were renamed);
    /// and it feeds the bytes through the handler and NIO's HTTP request decoder on an `EmbeddedChannel`, which must
    /// neither crash nor hang (decoder errors are expected and end the run).
    ///
    /// ```swift
    /// @_cdecl("LLVMFuzzerTestOneInput")
    /// func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ///     ListMethodRewriter.fuzzOneInput(UnsafeRawBufferPointer(start: data, count: size))
    ///     return 0
    /// }
    /// ```
    public static func fuzzOneInput(_ bytes: UnsafeRawBufferPointer) {
        let input = Array(bytes)
        // Cut points: each input byte, read as a length 1...8, advances the next cut.
        var cuts: [Int] = []
        var at = 0
        var k = 0
        while at < input.count {
            at += Int(input[k % max(1, input.count)] & 7) + 1
            k += 1
            cuts.append(min(at, input.count))
        }
        let whole = scanOnly(input, cuts: [input.count])
        let split = scanOnly(input, cuts: cuts)
        // On a failure, the start of the failing line may have been forwarded with an earlier read: one output is
        // then a prefix of the other. Otherwise they are equal.
        let common = min(whole.bytes.count, split.bytes.count)
        precondition(whole.failure == split.failure, "the LIST shim fails depending on read boundaries")
        precondition(
            whole.bytes[0..<common] == split.bytes[0..<common] && (whole.failure != nil || whole.bytes.count == split.bytes.count),
            "the LIST shim's output depends on read boundaries")
        precondition(whole.bytes.count <= input.count, "the LIST shim forwarded more bytes than it read")
        // Header names renamed from `Upgrade` (HTTPFramingScanner.upgradeRename).
        var renamedHeader = Set<Int>()
        let rename = HTTPFramingScanner.upgradeRename
        let name = HTTPFramingScanner.upgradeName
        if input.count >= name.count {
            for s in 0...(input.count - name.count) where whole.bytes.count >= s + rename.count {
                let matches = input[s..<(s + name.count)].withUnsafeBytes { HTTPFramingScanner.equalsLowerPrefix($0, name) }
                if matches, Array(whole.bytes[s..<(s + rename.count)]) == rename { renamedHeader.formUnion(s..<(s + rename.count)) }
            }
        }
        for (j, b) in whole.bytes.enumerated() where b != input[j] {
            // Only a renamed method differs (LIST -> BIND, BIND -> LINK), or a renamed `Upgrade` header name.
            let renamed = ("BINDLINK".utf8.contains(b) && "LISTBIND".utf8.contains(input[j])) || renamedHeader.contains(j)
            precondition(renamed, "the LIST shim changed a byte it should not have")
        }

        let channel = EmbeddedChannel()
        do {
            try channel.pipeline.syncOperations.addHandler(ListMethodRewriter())
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
            var start = 0
            for end in cuts where end > start {
                try channel.writeInbound(ByteBuffer(bytes: input[start..<end]))
                start = end
                while let _ = try channel.readInbound(as: HTTPServerRequestPart.self) {}
            }
        } catch {
            // A refused stream: the server answers 400 and closes.
        }
        _ = try? channel.finish()
    }

    static func scanOnly(_ input: [UInt8], cuts: [Int]) -> (bytes: [UInt8], failure: HTTPParserError?) {
        var scanner = HTTPFramingScanner()
        var out: [UInt8] = []
        var failure: HTTPParserError? = nil
        var start = 0
        for end in cuts where end > start {
            let (b, f) = rewrite(ByteBuffer(bytes: input[start..<end]), scanner: &scanner, allocator: ByteBufferAllocator())
            out += b.readableBytesView
            if let f { failure = f }
            start = end
        }
        return (out, failure)
    }
}

/// Wraps a server child channel so that `ListMethodRewriter` runs before its HTTP decoder.
public struct ListMethodChannel<Base: HTTPChannelHandler>: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = Base.Value
    let base: Base
    let readHeaderTimeout: TimeAmount?

    /// - Parameters:
    ///   - base: The HTTP channel (`HTTP1Channel`, whose configuration carries the idle timeout).
    ///   - readHeaderTimeout: The listener's `http_read_header_timeout`; `nil` or zero for none.
    public init(_ base: Base, readHeaderTimeout: Duration? = nil) {
        self.base = base
        self.readHeaderTimeout = readHeaderTimeout.flatMap { $0 > .zero ? TimeAmount($0) : nil }
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let timeout = readHeaderTimeout
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ListMethodRewriter(readHeaderTimeout: timeout))
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    public var responder: HTTPChannelHandler.Responder { base.responder }
}
