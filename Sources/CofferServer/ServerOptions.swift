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

/// How `coffer server` was invoked.
public struct ServerOptions: Sendable {
    public var configPath: String?
    public var dev: Bool
    public var devRootTokenID: String?
    public var devListenAddress: String?
    /// nil: the configuration file's `log_level`, else info.
    public var logLevel: Logger.Level?
    /// `standard` or `json`; nil takes the configuration file's `log_format`.
    public var logFormat: String?

    public init(
        configPath: String? = nil, dev: Bool = false, devRootTokenID: String? = nil, devListenAddress: String? = nil, logLevel: Logger.Level? = nil,
        logFormat: String? = nil
    ) {
        self.logFormat = logFormat
        self.configPath = configPath
        self.dev = dev
        self.devRootTokenID = devRootTokenID
        self.devListenAddress = devListenAddress
        self.logLevel = logLevel
    }
}
