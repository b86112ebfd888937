import CofferHTTP

/// The HTTP framing shim for `LIST` (ListMethodRewriter, in front of NIO's HTTP decoder), through its own fuzzing
/// entry point: the forwarded bytes must not depend on how the stream is split into reads, only renamed methods (and
/// a renamed `Upgrade` header) may differ from the input, and the shim and NIO's decoder on an EmbeddedChannel must
/// neither crash nor hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzListShim(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ListMethodRewriter.fuzzOneInput(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
