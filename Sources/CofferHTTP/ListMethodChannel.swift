import HummingbirdCore
import Logging
import NIOCore

/// Vault clients send the non-standard `LIST` method, which NIO's HTTP parser (llhttp) rejects. This handler sits
/// in front of the HTTP decoder, follows HTTP/1.1 message framing (Content-Length and chunked bodies), and renames
/// `LIST` at the start of each request to `BIND` (a method llhttp accepts and Vault never uses); the responder maps it
/// back to `.list`.
final class ListMethodRewriter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let substituteMethod = "BIND"

    private enum State {
        case method([UInt8])
        case headers
        case body(Int)
        case chunkSize
        case chunkData(Int)
        case chunkDataEnd(Int)
        case trailers
        case passthrough
    }

    private var state = State.method([])
    /// The current header line, lower-cased, bounded.
    private var line: [UInt8] = []
    private var contentLength = 0
    private var chunked = false
    private var emptyLineSeen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(capacity: buffer.readableBytes + 4)
        while buffer.readableBytes > 0 {
            switch state {
            case .passthrough:
                out.writeBuffer(&buffer)
            case .method(var prefix):
                let b = buffer.readInteger(as: UInt8.self)!
                if b == UInt8(ascii: " ") || prefix.count >= 16 {
                    if prefix == Array("LIST".utf8) { prefix = Array(Self.substituteMethod.utf8) }
                    out.writeBytes(prefix)
                    out.writeInteger(b)
                    line = []
                    contentLength = 0
                    chunked = false
                    state = .headers
                } else if prefix.isEmpty && (b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n")) {
                    out.writeInteger(b)  // stray CRLF between requests
                    state = .method([])
                } else {
                    prefix.append(b)
                    state = .method(prefix)
                }
            case .headers:
                let b = buffer.readInteger(as: UInt8.self)!
                out.writeInteger(b)
                if b == UInt8(ascii: "\n") {
                    if line.isEmpty || line == [UInt8(ascii: "\r")] {
                        if chunked {
                            state = .chunkSize
                        } else if contentLength > 0 {
                            state = .body(contentLength)
                        } else {
                            state = .method([])
                        }
                        line = []
                        continue
                    }
                    inspectHeader(line)
                    line = []
                } else if line.count < 256 {
                    line.append(b >= 65 && b <= 90 ? b + 32 : b)
                }
            case .body(let remaining):
                let n = min(remaining, buffer.readableBytes)
                var slice = buffer.readSlice(length: n)!
                out.writeBuffer(&slice)
                state = remaining - n == 0 ? .method([]) : .body(remaining - n)
            case .chunkSize:
                let b = buffer.readInteger(as: UInt8.self)!
                out.writeInteger(b)
                if b == UInt8(ascii: "\n") {
                    let text = String(decoding: line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "\r") }, as: UTF8.self)
                    line = []
                    guard let size = Int(text.trimmingCharacters(in: .whitespaces), radix: 16) else {
                        state = .passthrough  // let the HTTP decoder report the malformed body
                        continue
                    }
                    state = size == 0 ? .trailers : .chunkData(size)
                } else if line.count < 64 {
                    line.append(b)
                }
            case .chunkData(let remaining):
                let n = min(remaining, buffer.readableBytes)
                var slice = buffer.readSlice(length: n)!
                out.writeBuffer(&slice)
                state = remaining - n == 0 ? .chunkDataEnd(2) : .chunkData(remaining - n)
            case .chunkDataEnd(let remaining):
                let b = buffer.readInteger(as: UInt8.self)!
                out.writeInteger(b)
                state = remaining - 1 == 0 ? .chunkSize : .chunkDataEnd(remaining - 1)
            case .trailers:
                let b = buffer.readInteger(as: UInt8.self)!
                out.writeInteger(b)
                if b == UInt8(ascii: "\n") {
                    if line.isEmpty || line == [UInt8(ascii: "\r")] {
                        state = .method([])
                    }
                    line = []
                } else if line.count < 256 {
                    line.append(b)
                }
            }
        }
        if out.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(out)) }
    }

    private func inspectHeader(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if name == "content-length" {
            contentLength = Int(value) ?? 0
        } else if name == "transfer-encoding" && value.contains("chunked") {
            chunked = true
        } else if name == "upgrade" || name == "connection" && value.contains("upgrade") {
            // A protocol switch: stop interpreting bytes after this request.
            state = .passthrough
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

import Foundation
