import FuzzSupport
import NIOCore
import NIOEmbedded

@testable import CofferHTTP

/// The HTTP framing shim for `LIST` (ListMethodRewriter, in front of NIO's HTTP decoder), driven on an
/// EmbeddedChannel. The input is one byte of split seed, then the byte stream a client sends. Properties: no crash;
/// the forwarded bytes are the input with some `LIST` methods renamed `BIND` and nothing else changed (only a trailing
/// incomplete method may be withheld); and the result does not depend on how the stream is split into reads.
///
/// When the shim gets a public fuzzing entry point, `forward(_:splits:)` is the one function to switch to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzListShim(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzBytes(fuzzInput(data, size))
    let seed = input.byte()
    let stream = Array(input.rest)

    let whole = forward(stream, splits: [stream.count])
    checkOnlyListRenamed(input: stream, output: whole)

    // Reads of 1 to 16 bytes, sizes from the seed and the stream itself; and one byte at a time.
    var splits: [Int] = []
    var state = UInt32(seed) &* 2_654_435_761 &+ 1
    var left = stream.count
    while left > 0 {
        state = state &* 1_103_515_245 &+ 12_345
        let n = min(left, Int(state >> 16) % 16 + 1)
        splits.append(n)
        left -= n
    }
    let pieces = forward(stream, splits: splits)
    fuzzCheck(pieces == whole, "forwarded bytes depend on how reads are split (seed \(seed))")
    if stream.count <= 512 {
        fuzzCheck(forward(stream, splits: Array(repeating: 1, count: stream.count)) == whole, "byte-by-byte reads differ")
    }
    return 0
}

/// Feeds `stream` in reads of the given sizes through the shim and returns everything it forwarded.
func forward(_ stream: [UInt8], splits: [Int]) -> [UInt8] {
    let channel = EmbeddedChannel(handler: ListMethodRewriter())
    var out: [UInt8] = []
    var offset = 0
    for n in splits where n > 0 {
        var buffer = channel.allocator.buffer(capacity: n)
        buffer.writeBytes(stream[offset..<(offset + n)])
        offset += n
        do {
            try channel.writeInbound(buffer)
            while let forwarded = try channel.readInbound(as: ByteBuffer.self) {
                out.append(contentsOf: forwarded.readableBytesView)
            }
        } catch {
            fuzzCheck(false, "the channel failed: \(error)")
        }
    }
    _ = try? channel.finish()
    return out
}

/// The output is a prefix of the input in which only whole `LIST` → `BIND` renames differ.
func checkOnlyListRenamed(input: [UInt8], output: [UInt8]) {
    fuzzCheck(output.count <= input.count, "forwarded \(output.count) bytes of \(input.count)")
    let list = Array("LIST".utf8)
    let bind = Array("BIND".utf8)
    var j = 0
    while j < output.count {
        if output[j] == input[j] {
            j += 1
            continue
        }
        // A differing byte must lie in a LIST renamed BIND (L→B at +0, S→N at +2, T→D at +3).
        let start = (max(0, j - 3)...j).first { s in
            s + 4 <= output.count && Array(input[s..<(s + 4)]) == list && Array(output[s..<(s + 4)]) == bind
        }
        guard let start else {
            fuzzCheck(false, "byte \(j) changed from \(input[j]) to \(output[j]) outside a LIST → BIND rename")
            return
        }
        j = start + 4
    }
    // Withheld bytes are an incomplete method at the end (at most 16 bytes).
    let withheld = input[output.count...]
    fuzzCheck(withheld.count <= 16, "withheld \(withheld.count) bytes, more than a pending method")
}
