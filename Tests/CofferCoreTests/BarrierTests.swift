import CofferSDK
import Crypto
import Foundation
import Testing

@testable import CofferCore

@Suite struct BarrierTests {
    static let key = SymmetricKey(data: Data((0..<32).map { UInt8($0) }))
    static let nonce = try! AES.GCM.Nonce(data: Data(repeating: 0x24, count: 12))

    @Test func knownAnswerCiphertextFormat() throws {
        let blob = try AESGCMBarrier.encrypt(Data("hello".utf8), path: "logical/x/foo", term: 7, key: Self.key, nonce: Self.nonce)
        // version | term (big endian) | nonce | ciphertext | tag
        #expect(blob.count == 1 + 4 + 12 + 5 + 16)
        #expect(Array(blob.prefix(5)) == [0x01, 0x00, 0x00, 0x00, 0x07])
        #expect(Array(blob[5..<17]) == Array(repeating: 0x24, count: 12))
        // Independent check: AES-GCM with the path as AAD opens it.
        let box = try AES.GCM.SealedBox(nonce: Self.nonce, ciphertext: blob[17..<22], tag: blob[22...])
        let aad = Data([0x01, 0x00, 0x00, 0x00, 0x07]) + Data("logical/x/foo".utf8)
        #expect(try AES.GCM.open(box, using: Self.key, authenticating: aad) == Data("hello".utf8))
        // Fixed known answer for this key, nonce, path and term: the format must not drift.
        #expect(blob.map { String(format: "%02x", $0) }.joined() == Self.knownAnswer)
        #expect(AESGCMBarrier.term(of: blob) == 7)
        #expect(try AESGCMBarrier.decrypt(blob, path: "logical/x/foo", key: Self.key) == Data("hello".utf8))
    }

    /// Computed independently with Python `cryptography` (AESGCM) for the same key, nonce, header and path.
    static let knownAnswer = "01000000072424242424242424242424246e94d5a3881787460f13fa26e9e0dab63ec3e1bf22"

    @Test func wrongPathAsAssociatedDataFails() throws {
        let blob = try AESGCMBarrier.encrypt(Data("secret".utf8), path: "a/b", term: 1, key: Self.key)
        #expect(throws: BarrierError.self) { try AESGCMBarrier.decrypt(blob, path: "a/c", key: Self.key) }
    }

    @Test func everyFlippedByteFails() throws {
        let blob = try AESGCMBarrier.encrypt(Data("secret value".utf8), path: "p", term: 1, key: Self.key)
        for i in 0..<blob.count {
            var t = blob
            t[i] ^= 0x01
            #expect(throws: (any Error).self) { try AESGCMBarrier.decrypt(t, path: "p", key: Self.key) }
        }
    }

    @Test func aBarrierReadsAnEntryUnderATermAnotherNodeRotatedTo() async throws {
        let physical = InMemoryPhysicalBackend()
        let a = AESGCMBarrier(physical: physical)
        let b = AESGCMBarrier(physical: physical)
        let unsealKey = SymmetricKey(size: .bits256)
        try await a.initialize(rootKey: SymmetricKey(size: .bits256), unsealKey: unsealKey, now: Date())
        try await a.unseal(unsealKey: unsealKey)
        try await b.unseal(unsealKey: unsealKey)
        _ = try await a.rotate(now: Date())
        try await a.put("written-after-rotation", Data("v".utf8))
        // b still holds the keyring of term 1: it reads the keyring again rather than failing.
        #expect(try b.activeTerm().term == 1)
        #expect(try await b.get("written-after-rotation") == Data("v".utf8))
        #expect(try b.activeTerm().term == 2)
        // A term that no keyring has stays an error.
        var forged = try #require(try await physical.get("written-after-rotation"))
        forged[forged.startIndex + 4] = 9
        physical.rawSet("forged", forged)
        await #expect(throws: BarrierError.self) { try await b.get("forged") }
    }

    @Test func sealedBarrierRefusesAndRotationKeepsOldEntriesReadable() async throws {
        let physical = InMemoryPhysicalBackend()
        let barrier = AESGCMBarrier(physical: physical)
        let unsealKey = SymmetricKey(size: .bits256)
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256), unsealKey: unsealKey, now: Date())
        await #expect(throws: BarrierError.self) { try await barrier.get("x") }
        await #expect(throws: (any Error).self) { try await barrier.unseal(unsealKey: SymmetricKey(size: .bits256)) }
        try await barrier.unseal(unsealKey: unsealKey)
        try await barrier.put("old", Data("v1".utf8))
        let t2 = try await barrier.rotate(now: Date())
        #expect(t2.term == 2)
        try await barrier.put("new", Data("v2".utf8))
        #expect(AESGCMBarrier.term(of: try await physical.get("old")!) == 1)
        #expect(AESGCMBarrier.term(of: try await physical.get("new")!) == 2)
        // Survives a seal/unseal cycle with both terms.
        barrier.seal()
        try await barrier.unseal(unsealKey: unsealKey)
        #expect(try await barrier.get("old") == Data("v1".utf8))
        #expect(try await barrier.get("new") == Data("v2".utf8))
        // Stored bytes never contain the plaintext.
        for k in physical.allKeys {
            let raw = try await physical.get(k)!
            #expect(raw.range(of: Data("v1".utf8)) == nil)
        }
    }

    @Test func readCacheNeverServesAnOverwrittenOrDeletedValue() async throws {
        let physical = InMemoryPhysicalBackend()
        let barrier = AESGCMBarrier(physical: physical)
        let unsealKey = SymmetricKey(size: .bits256)
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256), unsealKey: unsealKey, now: Date())
        try await barrier.unseal(unsealKey: unsealKey)
        try await barrier.put("k", Data("v1".utf8))
        #expect(try await barrier.get("k") == Data("v1".utf8))
        try await barrier.put("k", Data("v2".utf8))
        #expect(try await barrier.get("k") == Data("v2".utf8))
        try await barrier.transaction([.put("k", Data("v3".utf8)), .put("j", Data("w".utf8))])
        #expect(try await barrier.get("k") == Data("v3".utf8))
        try await barrier.delete("k")
        #expect(try await barrier.get("k") == nil)
        // Racing writers and readers: once the writers are done, every reader sees the last value.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask { try await barrier.put("race", Data("\(i)".utf8)) }
                group.addTask { _ = try await barrier.get("race") }
            }
            try await group.waitForAll()
        }
        try await barrier.put("race", Data("final".utf8))
        #expect(try await barrier.get("race") == Data("final".utf8))
        // After a seal nothing is served from memory.
        barrier.seal()
        await #expect(throws: BarrierError.self) { try await barrier.get("j") }
        // A value tampered with in storage is detected once the cache is gone (a fresh unseal).
        var raw = try #require(try await physical.get("j"))
        raw[raw.count - 1] ^= 1
        physical.rawSet("j", raw)
        try await barrier.unseal(unsealKey: unsealKey)
        await #expect(throws: BarrierError.self) { try await barrier.get("j") }
    }

    @Test func decodedValuesAreReusedUntilTheirBytesChange() async throws {
        let barrier = AESGCMBarrier(physical: InMemoryPhysicalBackend())
        let unsealKey = SymmetricKey(size: .bits256)
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256), unsealKey: unsealKey, now: Date())
        try await barrier.unseal(unsealKey: unsealKey)
        let decodes = Counter()
        @Sendable func load() async throws -> String? {
            try await barrier.getDecoded("k", as: String.self) { data in
                decodes.add()
                return String(decoding: data, as: UTF8.self).uppercased()
            }
        }
        try await barrier.put("k", Data("one".utf8))
        #expect(try await load() == "ONE")
        #expect(try await load() == "ONE")
        #expect(decodes.current == 1, "the second load reuses the decoded value")
        try await barrier.put("k", Data("two".utf8))
        #expect(try await load() == "TWO", "a write drops the decoded value")
        #expect(decodes.current == 2)
        // A value decoded as another type is decoded anew, and does not disturb the first.
        #expect(try await barrier.getDecoded("k", as: Int.self) { $0.count } == 3)
        // A transaction can hand over the decoded form of what it writes.
        try await barrier.transaction([.put("k", Data("three".utf8))], decoded: ["k": "THREE"])
        #expect(try await load() == "THREE")
        #expect(decodes.current == 2, "the decoded form written with the transaction was used")
        try await barrier.delete("k")
        #expect(try await load() == nil)
        // Through a prefixed view the same cache is used, under the full key.
        let view = PrefixedStorage(base: barrier, prefix: "logical/m/")
        try await view.transaction([.put("x", Data("{}".utf8))], decoded: ["x": "X"])
        #expect(try await barrier.getDecoded("logical/m/x", as: String.self) { _ in "parsed" } == "X")
        barrier.seal()
        await #expect(throws: BarrierError.self) { _ = try await load() }
    }
}
