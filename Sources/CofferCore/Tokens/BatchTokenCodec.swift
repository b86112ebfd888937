import CofferSDK
import Crypto
import Foundation

/// Batch tokens: the token carries its own entry, sealed with AES-256-GCM under a key kept in the barrier
/// (`sys/token/batch-key`), so nothing is written to storage when one is issued.
///
/// Wire form: `b.` + base64url (no padding) of `version ‖ nonce ‖ ciphertext ‖ tag`. The plaintext is a compact JSON
/// object holding what a batch token needs at use: its parent's hash (checked at every use, so the token dies with
/// its parent), policies, creation path, metadata, display name, creation time (whole seconds), TTL, role, entity
/// and CIDR bounds. Batch tokens have no accessor, no use count, no period or explicit max TTL and are never
/// renewable, as in OpenBao; the authenticated encryption makes every field tamper-evident, and a token sealed
/// under another server's key does not open.
struct BatchTokenCodec: Sendable {
    static let prefix = "b."
    static let formatVersion: UInt8 = 1
    /// Bound into every token's tag, so the key can never be confused with another use of the same bytes.
    static let associatedData = Data("coffer batch token v1".utf8)

    let key: SymmetricKey

    /// Seals an entry into a token. The entry's creation time is truncated to whole seconds.
    func encode(_ e: TokenEntry) throws -> String {
        var o: [String: JSONValue] = [
            "po": .array(e.policies.map { .string($0) }),
            "pa": .string(e.path),
            "dn": .string(e.displayName),
            "ct": .int(Int64(e.creationTime.timeIntervalSince1970.rounded(.down))),
            "tt": .int(e.creationTTL),
        ]
        if let p = e.parentHash { o["ph"] = .string(p) }
        if let m = e.meta { o["me"] = .object(m.mapValues { .string($0) }) }
        if !e.role.isEmpty { o["ro"] = .string(e.role) }
        if !e.entityID.isEmpty { o["en"] = .string(e.entityID) }
        if !e.boundCIDRs.isEmpty { o["bc"] = .array(e.boundCIDRs.map { .string($0) }) }
        let sealed = try AES.GCM.seal(JSONValue.object(o).serializedData(), using: key, authenticating: Self.associatedData)
        guard let combined = sealed.combined else { throw LogicalError.internalError("failed to seal batch token") }
        var bytes = Data([Self.formatVersion])
        bytes.append(combined)
        return Self.prefix + Self.base64URL(bytes)
    }

    /// Opens a token. Nil for anything that is not a batch token sealed under this key (wrong prefix, bad encoding,
    /// unknown version, failed authentication, malformed content); the caller supplies `idHash`.
    func decode(_ token: String, idHash: String) -> TokenEntry? {
        guard token.hasPrefix(Self.prefix), let bytes = Self.fromBase64URL(token.dropFirst(Self.prefix.count)),
            bytes.count > 1 + 12 + 16, bytes.first == Self.formatVersion,
            let box = try? AES.GCM.SealedBox(combined: bytes.dropFirst()),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Self.associatedData),
            let v = try? JSONValue.parse(plain), let ct = v["ct"]?.intValue, let ttl = v["tt"]?.intValue
        else { return nil }
        let created = Date(timeIntervalSince1970: Double(ct))
        var e = TokenEntry(
            idHash: idHash, accessor: "", parentHash: v["ph"]?.stringValue,
            policies: v["po"]?.arrayValue?.compactMap(\.stringValue) ?? [], meta: v["me"]?.objectValue?.compactMapValues(\.stringValue),
            displayName: v["dn"]?.stringValue ?? "", numUses: 0, creationTime: created, creationTTL: ttl, explicitMaxTTL: 0, period: 0,
            renewable: false, path: v["pa"]?.stringValue ?? "", expireTime: created.addingTimeInterval(Double(ttl)),
            role: v["ro"]?.stringValue ?? "", entityID: v["en"]?.stringValue ?? "", type: TokenType.batch.rawValue)
        e.boundCIDRs = v["bc"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return e
    }

    static func base64URL(_ d: Data) -> String {
        var s = d.base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func fromBase64URL(_ s: Substring) -> Data? {
        guard s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch t.count % 4 {
        case 2: t += "=="
        case 3: t += "="
        case 1: return nil
        default: break
        }
        // Only the canonical encoding is a token: unused low bits in the last character must be zero.
        guard let d = Data(base64Encoded: t), base64URL(d) == s else { return nil }
        return d
    }
}

/// The kinds of token, as OpenBao names them.
enum TokenType: String, Sendable {
    case service
    case batch

    /// The `type` of `auth/token/create` given a token role's `token_type` (nil without a role): the role forces
    /// `service` or `batch`, or gives the default for a request that names none.
    static func forCreate(requested: String?, roleType: String?) throws -> TokenType {
        var requested = requested ?? ""
        switch roleType {
        case nil, "", "default", "default-service": break
        case "default-batch": if requested.isEmpty { requested = "batch" }
        case "service": requested = "service"
        case "batch": requested = "batch"
        case let other?:
            throw LogicalError.invalidRequest("role being used for token creation contains invalid token type \"\(other)\"")
        }
        switch requested {
        case "", "service": return .service
        case "batch": return .batch
        default: throw LogicalError.invalidRequest("invalid 'token_type' value")
        }
    }

    /// The type of a login's token: the auth mount's tuned `token_type` forces `service` or `batch`, or picks
    /// between what the method's role asked for and the mount's default.
    static func forLogin(mountType: String?, authType: String) -> TokenType {
        switch mountType {
        case "service": return .service
        case "batch": return .batch
        case "default-batch":
            return authType == "service" || authType == "default-service" ? .service : .batch
        default:
            return authType == "batch" || authType == "default-batch" ? .batch : .service
        }
    }
}
