import CofferSDK
import Foundation

/// What one mount's ACME server holds beside its storage: the nonces, the http-01 fetcher, the clock, and the lock
/// that keeps two polls of one authorization from validating it twice.
struct ACMEServices: Sendable {
    var nonces = ACMENonces()
    var fetcher: any HTTP01Fetcher = AsyncHTTP01Fetcher()
    var now: @Sendable () -> Date = { Date() }
    let validationLock = AsyncLock()
    /// How many times a challenge is fetched before it is invalid, and the least time between two attempts.
    var maxAttempts = 5
    var retryInterval: TimeInterval = 2
    /// How long orders and authorizations stay pending.
    var orderLifetime: TimeInterval = 24 * 3600
    /// The port challenge URLs use (80, as RFC 8555 §8.3 says; tests may change it).
    var http01Port = 80

    init() {}

    init(fetcher: any HTTP01Fetcher, now: @escaping @Sendable () -> Date = { Date() }) {
        self.fetcher = fetcher
        self.now = now
    }
}
