import Foundation
import Testing

@testable import TransitEngine

func hex(_ s: String) -> [UInt8] {
    let c = Array(s.filter { !$0.isWhitespace }.utf8)
    return stride(from: 0, to: c.count, by: 2).map { UInt8(String(decoding: c[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// AES key wrap with padding through BoringSSL (the `CCofferBoringSSLShim` declarations).
@Suite struct KeyWrapTests {
    static let kek = hex("5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8")


    /// RFC 5649 section 6, both examples.
    @Test(arguments: [
        ("c37b7e6492584340 bed1220780894115 5068f738", "138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a"),
        ("466f7250617369", "afbeb0f07dfbf541 9200f2ccb50bb24f"),
    ])
    func rfc5649Vectors(key: String, wrapped: String) throws {
        #expect(try BoringSSLShim.aesWrapPadded(kek: Self.kek, plaintext: hex(key)) == hex(wrapped))
        #expect(try BoringSSLShim.aesUnwrapPadded(kek: Self.kek, wrapped: hex(wrapped)) == hex(key))
    }

    @Test func unwrapRejectsTamperingAndBadSizes() {
        var bad = hex("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a")
        bad[9] ^= 1
        #expect(throws: BoringSSLShim.Failure.self) { try BoringSSLShim.aesUnwrapPadded(kek: Self.kek, wrapped: bad) }
        #expect(throws: BoringSSLShim.Failure.self) { try BoringSSLShim.aesUnwrapPadded(kek: Self.kek, wrapped: [UInt8](repeating: 0, count: 8)) }
        #expect(throws: BoringSSLShim.Failure.self) { try BoringSSLShim.aesUnwrapPadded(kek: Self.kek, wrapped: [UInt8](repeating: 0, count: 20)) }
        #expect(throws: BoringSSLShim.Failure.self) { try BoringSSLShim.aesUnwrapPadded(kek: [1, 2, 3], wrapped: [UInt8](repeating: 0, count: 16)) }
    }

    /// Outputs of Python `cryptography`'s `aes_key_wrap_with_padding` (KEK 000102..1f).
    @Test(arguments: PythonVectors.all)
    func matchesPythonCryptography(vector: (key: String, wrapped: String)) throws {
        let kek = (0..<32).map { UInt8($0) }
        #expect(try BoringSSLShim.aesWrapPadded(kek: kek, plaintext: hex(vector.key)) == hex(vector.wrapped))
        #expect(try BoringSSLShim.aesUnwrapPadded(kek: kek, wrapped: hex(vector.wrapped)) == hex(vector.key))
    }
}
enum PythonVectors {
    static let all: [(key: String, wrapped: String)] = [
        ("01", "57bd956ca41f9470203c090c613f5bc5"),
        ("080f161d242b3239", "92c9b56bc5bd95f33d1208d03377975b"),
        ("0910171e252c333a41", "3606edbe821e295754c94f16d658224367a40e5e1bdccdf3"),
        ("10171e252c333a41484f565d646b7279", "af1fecc64a71f87bd0647e9e983e90f3b5fa9a2a608c78e4"),
        ("1f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1", "2ea64a1e3ea89df7c72751bbd63ac61bacd747a28e114574f8ca1d44024d333e3f71e92730a78a2f"),
        ("20272e353c434a51585f666d747b828990979ea5acb3bac1c8cfd6dde4ebf2f9", "828ab96290ba1ba6fd282fb81e0022820488db799cbdaeab1927cde79409cb05cacf905d42d7996b"),
        ("21282f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa01", "16d94dc6c5bd66f197ed281af94abd73c71a81ea39205a0018160fb66c6b3058daf7157b106bc9e85394185be3051507"),
        ("40474e555c636a71787f868d949ba2a9b0b7bec5ccd3dae1e8eff6fd040b121920272e353c434a51585f666d747b828990979ea5acb3bac1c8cfd6dde4ebf2f9", "96068d7ae24437d68c0df0c79635f64f195c4223c5ea539e5aa863930ef14063346b35e468874280304b6f8fe03b73f634406a6f25522fd018fc09f04e17469219a96eefc2486d52"),
        ("7980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a21282f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3dae1e8eff6fd040b121920272e353c434a51585f666d747b828990979ea5acb3bac1", "77add403cd9c417a997cd9ae2558047c8a7e6288b7a51100edfa7e88e8b300a29008825808f336aa0d805112758780097d5127fbd504bcca31e32bcd79a316bec689e32dfa849018e0d466f6b319f793cbeedefdb0ced785e57eb08981594c139c2f3b226124558798801e85514810ff805417e4bce99158bd6f62139aa6441d0f19a9ec9a8d43c9"),
    ]
}
