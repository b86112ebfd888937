import CofferSDK
import Foundation

/// A lease on a secret an engine handed out (a database user), as stored at `sys/expire/id/<lease id>` inside the
/// barrier. The secret's data (the password) is never stored: only what the engine needs to renew or revoke it.
struct LeaseEntry: Sendable, Equatable {
    var leaseID: String
    /// The request path that issued it (`database/creds/dyn`), as `sys/leases/lookup` reports it.
    var path: String
    /// The mount that issued it: revocation goes to this mount's engine even after a remount.
    var mountUUID: String
    var mountAccessor: String
    /// The salted hash of the token that read the secret ("" when none: an orphan batch token).
    var tokenHash: String
    var issueTime: Date
    var expireTime: Date
    var lastRenewal: Date?
    var renewable: Bool
    /// The latest the lease may be renewed to (issue time + the effective max TTL).
    var maxExpire: Date
    /// The engine's internal data (``SecretInfo/internalData``), with `secret_type`.
    var internalData: [String: JSONValue]
    /// Failed revocation attempts so far.
    var attempts: Int = 0
    /// The last revocation error, while it is being retried.
    var lastError: String?
    /// When the next revocation attempt is due, after a failure.
    var nextAttempt: Date?
    /// Set when the lease ran out of attempts (`out of retries: ...`): it is irrevocable until forced or it succeeds.
    var revokeError: String?

    var isIrrevocable: Bool { revokeError != nil }

    func json() -> JSONValue {
        var o: [String: JSONValue] = [
            "lease_id": .string(leaseID), "path": .string(path), "mount_uuid": .string(mountUUID),
            "mount_accessor": .string(mountAccessor), "token_hash": .string(tokenHash),
            "issue_time": .string(formatVaultTime(issueTime)), "expire_time": .string(formatVaultTime(expireTime)),
            "renewable": .bool(renewable), "max_expire": .string(formatVaultTime(maxExpire)),
            "internal_data": .object(internalData), "attempts": .int(Int64(attempts)),
        ]
        if let lastRenewal { o["last_renewal"] = .string(formatVaultTime(lastRenewal)) }
        if let lastError { o["last_error"] = .string(lastError) }
        if let nextAttempt { o["next_attempt"] = .string(formatVaultTime(nextAttempt)) }
        if let revokeError { o["revoke_error"] = .string(revokeError) }
        return .object(o)
    }

    init(
        leaseID: String, path: String, mountUUID: String, mountAccessor: String, tokenHash: String, issueTime: Date,
        expireTime: Date, renewable: Bool, maxExpire: Date, internalData: [String: JSONValue]
    ) {
        self.leaseID = leaseID
        self.path = path
        self.mountUUID = mountUUID
        self.mountAccessor = mountAccessor
        self.tokenHash = tokenHash
        self.issueTime = issueTime
        self.expireTime = expireTime
        self.renewable = renewable
        self.maxExpire = maxExpire
        self.internalData = internalData
    }

    init(json v: JSONValue) throws {
        func string(_ k: String) throws -> String {
            guard let s = v[k]?.stringValue else { throw LogicalError.internalError("lease entry is missing \(k)") }
            return s
        }
        func time(_ k: String) throws -> Date {
            guard let t = parseVaultTime(try string(k)) else { throw LogicalError.internalError("lease entry has a bad \(k)") }
            return t
        }
        leaseID = try string("lease_id")
        path = try string("path")
        mountUUID = try string("mount_uuid")
        mountAccessor = try string("mount_accessor")
        tokenHash = try string("token_hash")
        issueTime = try time("issue_time")
        expireTime = try time("expire_time")
        maxExpire = try time("max_expire")
        renewable = v["renewable"]?.boolValue ?? false
        internalData = v["internal_data"]?.objectValue ?? [:]
        attempts = Int(clamping: v["attempts"]?.intValue ?? 0)
        lastRenewal = v["last_renewal"]?.stringValue.flatMap(parseVaultTime)
        lastError = v["last_error"]?.stringValue
        nextAttempt = v["next_attempt"]?.stringValue.flatMap(parseVaultTime)
        revokeError = v["revoke_error"]?.stringValue
    }
}
