import Crypto

/// Shamir's secret sharing over GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1.
///
/// Each share is the polynomial's value for every secret byte followed by one byte holding its x coordinate,
/// so shares are `secret.count + 1` bytes, as Vault's shares are.
public enum Shamir {
    public struct Error: Swift.Error, CustomStringConvertible, Equatable, Sendable {
        public var description: String
    }

    /// Multiplication in GF(256), branch-free on the operands.
    static func mul(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var r: UInt8 = 0
        for _ in 0..<8 {
            r ^= a & (0 &- (b & 1))
            let hi = a >> 7
            a = (a << 1) ^ (0x1B & (0 &- hi))
            b >>= 1
        }
        return r
    }

    /// Inverse by a^254 (Fermat); inverse of 0 is 0.
    static func inv(_ a: UInt8) -> UInt8 {
        var result: UInt8 = 1
        var base = a
        var e = 254
        while e > 0 {
            if e & 1 == 1 { result = mul(result, base) }
            base = mul(base, base)
            e >>= 1
        }
        return result
    }

    /// Splits `secret` into `parts` shares, any `threshold` of which recombine it.
    public static func split(
        _ secret: [UInt8], parts: Int, threshold: Int, using rng: inout some RandomNumberGenerator
    ) throws(Error) -> [[UInt8]] {
        guard parts >= threshold else { throw Error(description: "parts cannot be less than threshold") }
        guard parts <= 255 else { throw Error(description: "parts cannot exceed 255") }
        guard threshold >= 2 else { throw Error(description: "threshold must be at least 2") }
        guard threshold <= 255 else { throw Error(description: "threshold cannot exceed 255") }
        guard !secret.isEmpty else { throw Error(description: "cannot split an empty secret") }

        var xs = Array(UInt8(1)...UInt8(255))
        xs.shuffle(using: &rng)
        var shares = (0..<parts).map { i -> [UInt8] in
            var s = [UInt8](repeating: 0, count: secret.count + 1)
            s[secret.count] = xs[i]
            return s
        }
        var coeffs = [UInt8](repeating: 0, count: threshold)
        for (idx, byte) in secret.enumerated() {
            coeffs[0] = byte
            for j in 1..<threshold { coeffs[j] = UInt8.random(in: 0...255, using: &rng) }
            for i in 0..<parts {
                let x = xs[i]
                // Horner's rule.
                var y: UInt8 = 0
                for j in stride(from: threshold - 1, through: 0, by: -1) {
                    y = mul(y, x) ^ coeffs[j]
                }
                shares[i][idx] = y
            }
        }
        for j in coeffs.indices { coeffs[j] = 0 }
        return shares
    }

    /// Recombines shares by Lagrange interpolation at x = 0.
    public static func combine(_ shares: [[UInt8]]) throws(Error) -> [UInt8] {
        guard shares.count >= 2 else { throw Error(description: "less than two parts cannot be used to reconstruct the secret") }
        let len = shares[0].count
        guard len >= 2 else { throw Error(description: "parts must be at least two bytes") }
        for s in shares where s.count != len { throw Error(description: "all parts must be the same length") }
        let xs = shares.map { $0[len - 1] }
        guard Set(xs).count == xs.count else { throw Error(description: "duplicate part detected") }
        var secret = [UInt8](repeating: 0, count: len - 1)
        // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); in GF(2^8) subtraction is XOR.
        var basis = [UInt8](repeating: 0, count: shares.count)
        for i in shares.indices {
            var num: UInt8 = 1
            var den: UInt8 = 1
            for j in shares.indices where j != i {
                num = mul(num, xs[j])
                den = mul(den, xs[j] ^ xs[i])
            }
            basis[i] = mul(num, inv(den))
        }
        for b in 0..<(len - 1) {
            var acc: UInt8 = 0
            for i in shares.indices { acc ^= mul(shares[i][b], basis[i]) }
            secret[b] = acc
        }
        return secret
    }
}
