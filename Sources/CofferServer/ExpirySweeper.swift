import CCofferSystem
import CofferCore
import CofferHTTP
import CofferSDK
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import AppRoleAuth
import IdentityEngine
import JWTAuth
import KVEngine
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals
import StorageSQLite
import TransitEngine
import UserpassAuth

/// Revokes expired tokens every second, and runs engines' periodic functions every 30 seconds, while unsealed.
struct ExpirySweeper: Service {
    let core: Core
    let logger: Logger

    func run() async throws {
        var ticks = 0
        var seen = core.requestsBegun
        var trimmedAt = seen
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            ticks += 1
            if core.isActive, ticks % 30 == 0 {
                await core.runPeriodicFunctions()
            }
            if core.isActive, ticks % 10 == 0 {
                do {
                    try await core.checkKeyringRotation()
                } catch {
                    logger.warning("automatic barrier key rotation check failed", metadata: ["coffer.error": "\(error)"])
                }
            }
            // Hand memory freed after a burst back to the system: once no request began for a second after some
            // did, and every 30 seconds under steady load.
            let now = core.requestsBegun
            if (now == seen && now != trimmedAt) || ticks % 30 == 0 {
                coffer_trim_heap()
                trimmedAt = now
            }
            seen = now
            if core.isActive {
                do {
                    _ = try await core.revokeExpiredTokens()
                    await core.runDueRotations()
                } catch {
                    logger.debug("expiry sweep failed", metadata: ["coffer.error": "\(error)"])
                }
            }
        }
    }
}
