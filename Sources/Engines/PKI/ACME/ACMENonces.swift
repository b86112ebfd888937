import CofferSDK
import Foundation
import Synchronization

/// The anti-replay nonces of one mount's ACME server (RFC 8555 §6.5): random, single-use, expiring. Kept in memory
/// as OpenBao does (a restart or another node invalidates them, and the client retries on `badNonce`).
final class ACMENonces: Sendable {
    /// How long an unused nonce stays valid.
    let lifetime: TimeInterval
    /// The most nonces held; the oldest are dropped beyond it, so unauthenticated `new-nonce` calls cannot grow
    /// memory without bound.
    let capacity: Int
    private let state = Mutex<[String: Date]>([:])

    init(lifetime: TimeInterval = 15 * 60, capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A new nonce: 16 random bytes, base64url.
    func issue(now: Date = Date()) -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let nonce = Base64URL.encode(bytes)
        state.withLock { held in
            if held.count >= capacity {
                // Expired first, then the oldest.
                held = held.filter { $0.value > now }
                if held.count >= capacity, let oldest = held.min(by: { $0.value < $1.value }) { held[oldest.key] = nil }
            }
            held[nonce] = now.addingTimeInterval(lifetime)
        }
        return nonce
    }

    /// Uses a nonce: true once for a nonce issued and not expired, false afterwards.
    func consume(_ nonce: String, now: Date = Date()) -> Bool {
        state.withLock { held in
            guard let expiry = held.removeValue(forKey: nonce) else { return false }
            return expiry > now
        }
    }
}
