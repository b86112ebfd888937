import Testing

@testable import CofferCore

/// A deterministic generator for reproducible splits (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ShamirTests {
    @Test func multiplicationKnownAnswers() {
        // FIPS-197 section 4.2: {57} x {83} = {c1}; {57} x {13} = {fe}.
        #expect(Shamir.mul(0x57, 0x83) == 0xC1)
        #expect(Shamir.mul(0x57, 0x13) == 0xFE)
        for a in 1...255 {
            #expect(Shamir.mul(UInt8(a), Shamir.inv(UInt8(a))) == 1)
        }
    }

    @Test(arguments: [(2, 2), (3, 2), (5, 3), (10, 10), (255, 7)])
    func splitCombineEveryThresholdSubset(parts: Int, threshold: Int) throws {
        var rng = SeededGenerator(state: UInt64(parts * 1000 + threshold))
        let secret: [UInt8] = (0..<32).map { UInt8($0 * 7 & 0xFF) }
        let shares = try Shamir.split(secret, parts: parts, threshold: threshold, using: &rng)
        #expect(shares.count == parts)
        #expect(shares.allSatisfy { $0.count == 33 })
        #expect(try Shamir.combine(Array(shares.prefix(threshold))) == secret)
        #expect(try Shamir.combine(Array(shares.suffix(threshold))) == secret)
        #expect(try Shamir.combine(shares.shuffled(using: &rng)) == secret)
    }

    @Test func tooFewSharesDoNotRevealTheSecret() throws {
        var rng = SeededGenerator(state: 42)
        let secret: [UInt8] = Array(repeating: 0xAB, count: 32)
        let shares = try Shamir.split(secret, parts: 5, threshold: 3, using: &rng)
        #expect(try Shamir.combine(Array(shares.prefix(2))) != secret)
        #expect(throws: Shamir.Error.self) { try Shamir.combine([shares[0]]) }
    }

    @Test func invalidInputIsRefused() throws {
        var rng = SeededGenerator(state: 1)
        #expect(throws: Shamir.Error.self) { try Shamir.split([1, 2], parts: 2, threshold: 3, using: &rng) }
        #expect(throws: Shamir.Error.self) { try Shamir.split([1, 2], parts: 256, threshold: 3, using: &rng) }
        #expect(throws: Shamir.Error.self) { try Shamir.split([], parts: 3, threshold: 2, using: &rng) }
        let shares = try Shamir.split([9, 9, 9], parts: 3, threshold: 2, using: &rng)
        #expect(throws: Shamir.Error.self) { try Shamir.combine([shares[0], shares[0]]) }
        #expect(throws: Shamir.Error.self) { try Shamir.combine([shares[0], Array(shares[1].dropFirst())]) }
    }
}
