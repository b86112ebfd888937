import CofferCore
import CofferSDK
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `sys/init`, `sys/unseal`, `sys/seal-status` and `sys/health`: the endpoints that work while sealed.
extension CofferResponder {
    func sealStatusJSON(_ s: SealStatus) -> JSONValue {
        var o: [String: JSONValue] = [
            "type": "shamir", "initialized": .bool(s.initialized), "sealed": .bool(s.sealed), "t": .int(Int64(s.threshold)),
            "n": .int(Int64(s.shares)), "progress": .int(Int64(s.progress)), "nonce": .string(s.nonce),
            "version": .string(CofferVersion.apiVersion), "commit_date": "2026-11-29T00:00:00Z", "migration": false,
            "recovery_seal": false, "storage_type": .string(s.storageType),
            // Coffer's own release; `version` above is the OpenBao API level clients gate features on.
            "coffer_version": .string(CofferVersion.version),
        ]
        if s.initialized && !s.sealed {
            o["cluster_name"] = .string(s.clusterName)
            o["cluster_id"] = .string(s.clusterID)
        }
        return .object(o)
    }

    /// The body fields of `sys/init`, converted as the framework converts every engine's fields.
    static let initSchema: [String: Field] = Dictionary(
        uniqueKeysWithValues: [
            Field("pgp_keys", .commaStringSlice, "PGP keys to encrypt the unseal keys with (not supported)."),
            Field("secret_shares", .int, "How many unseal key shares to make."),
            Field("secret_threshold", .int, "How many shares unseal the server."),
        ].map { ($0.name, $0) })

    func initialize(_ request: Request) async throws -> Response {
        var request = request
        switch request.method {
        case .get:
            return Self.json(status: 200, JSONValue.object(["initialized": .bool(core.isInitialized)]).serialized())
        case .put, .post:
            let d = try await body(&request)
            let fields = FieldData(raw: d, schema: Self.initSchema)
            if let p = try? fields.stringsIfSet("pgp_keys"), !p.isEmpty {
                throw LogicalError.invalidRequest("PGP-encrypted unseal keys are not supported by this server")
            }
            let shares = Int(clamping: try fields.int("secret_shares"))
            let threshold = Int(clamping: try fields.int("secret_threshold"))
            let result = try await core.initialize(shares: shares, threshold: threshold)
            let hex = result.keys.map { JSONValue.string($0.map { String(format: "%02x", $0) }.joined()) }
            let b64 = result.keys.map { JSONValue.string(Data($0).base64EncodedString()) }
            let out: JSONValue = ["keys": .array(hex), "keys_base64": .array(b64), "root_token": .string(result.rootToken)]
            return Self.json(status: 200, out.serialized())
        default:
            throw LogicalError(.unsupportedOperation, messages: [])
        }
    }

    static func decodeKey(_ s: String) -> [UInt8]? {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count % 2 == 0, t.allSatisfy(\.isHexDigit) {
            var out: [UInt8] = []
            var idx = t.startIndex
            while idx < t.endIndex {
                let next = t.index(idx, offsetBy: 2)
                guard let b = UInt8(t[idx..<next], radix: 16) else { return nil }
                out.append(b)
                idx = next
            }
            return out
        }
        if let d = Data(base64Encoded: t) { return Array(d) }
        return nil
    }

    func unseal(_ request: Request) async throws -> Response {
        var request = request
        guard request.method == .put || request.method == .post else { throw LogicalError(.unsupportedOperation, messages: []) }
        let d = try await body(&request)
        guard core.isInitialized else { throw LogicalError.invalidRequest("Vault is not initialized") }
        let reset = d["reset"]?.boolValue ?? false
        if reset {
            return Self.json(status: 200, sealStatusJSON(try await core.unseal(keyBytes: [], reset: true)).serialized())
        }
        guard let keyText = d["key"]?.stringValue, !keyText.isEmpty else {
            throw LogicalError.invalidRequest("'key' must be specified in request body as JSON, or 'reset' set to true")
        }
        guard let key = Self.decodeKey(keyText) else {
            throw LogicalError.invalidRequest("'key' must be a valid hex or base64 string")
        }
        let status = try await core.unseal(keyBytes: key, reset: false)
        return Self.json(status: 200, sealStatusJSON(status).serialized())
    }

    func health(_ request: Request) async throws -> Response {
        guard request.method == .get || request.method == .head else { throw LogicalError(.unsupportedOperation, messages: []) }
        let q = request.uri.queryParameters
        // OpenBao parses these four (a value that is not an integer is a 400 with no message) and writes the code as
        // the status; one HTTP can't carry (outside 200-599) is refused here rather than trapping.
        func code(_ name: String, _ fallback: Int) throws -> Int {
            guard let v = q[Substring(name)] else { return fallback }
            return try Self.healthCode(name: name, value: v)
        }
        let uninitCode = try code("uninitcode", 501)
        let sealedCode = try code("sealedcode", 503)
        let standbyCode = try code("standbycode", 429)
        let activeCode = try code("activecode", 200)
        // Go's strconv.ParseBool: a value it refuses is OpenBao's 400 with no message; a bare `?standbyok` counts as
        // true.
        func flag(_ name: String) throws -> Bool {
            guard let v = q[Substring(name)] else { return false }
            if v.isEmpty { return true }
            guard let b = FieldValue.goBool(String(v)) else { throw LogicalError(.invalidRequest, messages: []) }
            return b
        }
        let standbyOK = try flag("standbyok")
        let s = core.sealStatus()
        let standby = s.initialized && !s.sealed && core.haRole == .standby
        // Coffer's standbys forward every request (none is a performance standby) and there is no DR replication, so
        // `perfstandbyok`, `performancestandbycode` and `drsecondarycode` never select the answer (OpenBao ignores the
        // last two whatever they hold).
        let code: Int
        if !s.initialized {
            code = uninitCode
        } else if s.sealed {
            code = sealedCode
        } else if standby {
            code = standbyOK ? activeCode : standbyCode
        } else {
            code = activeCode
        }
        let status = Self.serverStatus(code)
        if request.method == .head {
            var headers = HTTPFields()
            headers[.cacheControl] = "no-store"
            headers[.contentType] = "application/json"
            return Response(status: status, headers: headers)
        }
        // OpenBao's shape: no `performance_standby`, and replication modes are "unknown" until unsealed.
        let replication: JSONValue = s.initialized && !s.sealed ? "disabled" : "unknown"
        var body: [String: JSONValue] = [
            "initialized": .bool(s.initialized), "sealed": .bool(s.sealed), "standby": .bool(s.sealed || !s.initialized),
            "replication_performance_mode": replication, "replication_dr_mode": replication,
            "server_time_utc": .int(Int64(Date().timeIntervalSince1970)), "version": .string(CofferVersion.apiVersion),
        ]
        if s.initialized && !s.sealed {
            body["cluster_name"] = .string(s.clusterName)
            body["cluster_id"] = .string(s.clusterID)
            body["standby"] = .bool(standby)
        }
        return Self.json(status: code, bytes: ByteBuffer(bytes: JSONValue.object(body).serializedBytes()))
    }

    /// A `*code` parameter of `sys/health`: an integer (Go's `strconv.Atoi`: optional sign, digits) within
    /// ``validStatusCodes``.
    static func healthCode(name: String, value: Substring) throws -> Int {
        guard let code = Int(value) else { throw LogicalError(.invalidRequest, messages: []) }
        guard checkedStatus(code) != nil else {
            throw LogicalError.invalidRequest("invalid value for \(name): \(code) is not a status code in 200-599")
        }
        return code
    }

    /// `sys/leader`: on a single node only `ha_enabled: false` matters to clients (the other fields are Vault's zero
    /// values); in a cluster, this node's part and where the active node is.
    func leaderJSON() -> JSONValue {
        guard core.haEnabled else {
            return [
                "ha_enabled": false, "is_self": false, "active_time": "0001-01-01T00:00:00Z", "leader_address": "",
                "leader_cluster_address": "", "performance_standby": false, "performance_standby_last_remote_wal": 0,
            ]
        }
        let leader = core.haLeader
        let isSelf = core.haRole == .active
        return [
            "ha_enabled": true, "is_self": .bool(isSelf),
            "active_time": .string(core.activeSince.map { Self.rfc3339Nano($0) } ?? "0001-01-01T00:00:00Z"),
            "leader_address": .string(leader?.apiAddress ?? ""), "leader_cluster_address": .string(leader?.clusterAddress ?? ""),
            "performance_standby": false, "performance_standby_last_remote_wal": 0,
        ]
    }

    /// Go's `time.RFC3339Nano` of a time known to the millisecond: the fraction without its trailing zeros (none at all
    /// on a whole second), as Go's JSON encoding of a `time.Time` writes it and `bao status` prints it.
    static func rfc3339Nano(_ date: Date) -> String {
        let text = formatVaultTime(date, milliseconds: true)
        guard text.hasSuffix("Z"), let dot = text.lastIndex(of: ".") else { return text }
        var fraction = text[text.index(after: dot)..<text.index(before: text.endIndex)]
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return String(text[..<dot]) + (fraction.isEmpty ? "" : "." + fraction) + "Z"
    }
}
