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

/// SIGHUP reopens every audit device's target, so logrotate can move a file away and the next line starts a new one.
struct HangupHandler: Service {
    let core: Core
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let failed = core.reopenAuditDevices()
                if failed.isEmpty {
                    logger.info("SIGHUP: audit devices reopened")
                } else {
                    for (path, error) in failed {
                        logger.error("SIGHUP: audit device could not be reopened", metadata: ["coffer.audit_path": "\(path)", "coffer.error": "\(error)"])
                    }
                }
            }
        }
    }
}
