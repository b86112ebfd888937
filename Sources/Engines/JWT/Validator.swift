import CofferSDK
import Foundation

/// Where signature keys come from, mirroring OpenBao's key sets.
enum KeySource: Sendable {
    /// `jwt_validation_pubkeys`.
    case staticKeys([VerificationKey])
    /// A remote JWKS (from `jwks_url` or the discovery document's `jwks_uri`).
    case remote(url: String, caPEM: String)
}

/// What a token must satisfy, as the plugin's `jwt.Expected`.
struct ExpectedClaims: Sendable {
    var issuer = ""
    var subject = ""
    var audiences: [String] = []
    var signingAlgorithms: [String] = []
    var notBeforeLeeway: Int64 = 0
    var expirationLeeway: Int64 = 0
    var clockSkewLeeway: Int64 = 0
    var now: Date = Date()
}

struct TokenValidator: Sendable {
    var source: KeySource
    var runtime: JWTRuntime

    static let defaultLeeway: Int64 = 150
    static let defaultClockSkew: Int64 = 60

    /// Verifies the signature and the registered claims. Throws a message (without the
    /// "error validating token: " prefix).
    func validate(_ token: String, expected: ExpectedClaims) async throws(ValidationFailure) -> [String: JSONValue] {
        let claims = try await verifySignature(token)

        // The signing algorithm in the header must be one of the expected ones.
        let jws: CompactJWS
        switch CompactJWS.parse(token) {
        case .success(let j): jws = j
        case .failure(.malformed(let m)): throw ValidationFailure("invalid algorithm (alg) header parameter: \(m)")
        }
        for a in expected.signingAlgorithms where !supportedSigningAlgorithms.contains(a) {
            throw ValidationFailure("invalid algorithm (alg) header parameter: unsupported signing algorithm \(FieldValue.goQuote(a))")
        }
        let algs = expected.signingAlgorithms.isEmpty ? ["RS256"] : expected.signingAlgorithms
        if jws.signature.isEmpty { throw ValidationFailure("invalid algorithm (alg) header parameter: token must be signed") }
        guard algs.contains(jws.alg) else {
            throw ValidationFailure("invalid algorithm (alg) header parameter: token signed with unexpected algorithm")
        }

        // Registered claims as go-jose's jwt.Claims decodes them.
        func stringClaim(_ name: String) throws(ValidationFailure) -> String {
            guard let v = claims[name] else { return "" }
            switch v {
            case .null: return ""
            case .string(let s): return s
            default:
                throw ValidationFailure("json: cannot unmarshal \(jsonKind(v)) into Go struct field Claims.\(name) of type string")
            }
        }
        func dateClaim(_ name: String) throws(ValidationFailure) -> Int64 {
            guard let v = claims[name] else { return 0 }
            switch v {
            case .null: return 0
            case .int(let i): return i
            // Go's int64(float64): out of range (1e300) is MinInt64 on amd64, so an `exp` of 1e300 is expired, as in
            // OpenBao; never a trap.
            case .double(let d): return CheckedNumber.int64(truncating: d) ?? Int64.min
            default:
                throw ValidationFailure("json: cannot unmarshal \(jsonKind(v)) into Go struct field Claims.\(name) of type float64")
            }
        }
        let iss = try stringClaim("iss")
        let sub = try stringClaim("sub")
        _ = try stringClaim("jti")
        var aud: [String] = []
        if let a = claims["aud"] {
            switch a {
            case .null: break
            case .string(let s): aud = [s]
            case .array(let arr):
                for e in arr {
                    guard case .string(let s) = e else {
                        throw ValidationFailure("go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience")
                    }
                    aud.append(s)
                }
            default: throw ValidationFailure("go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience")
            }
        }
        var exp = try dateClaim("exp")
        var nbf = try dateClaim("nbf")
        let iat = try dateClaim("iat")

        if !expected.issuer.isEmpty && expected.issuer != iss { throw ValidationFailure("invalid issuer (iss) claim") }
        if !expected.subject.isEmpty && expected.subject != sub { throw ValidationFailure("invalid subject (sub) claim") }
        if !expected.audiences.isEmpty && !expected.audiences.contains(where: { aud.contains($0) }) {
            throw ValidationFailure("invalid audience (aud) claim: audience claim does not match any expected audience")
        }

        if iat == 0 && exp == 0 && nbf == 0 {
            throw ValidationFailure("no issued at (iat), not before (nbf), or expiration time (exp) claims in token")
        }
        if exp == 0 {
            let start = max(iat, nbf)
            let leeway = expected.expirationLeeway < 0 ? 0 : (expected.expirationLeeway == 0 ? Self.defaultLeeway : expected.expirationLeeway)
            exp = start &+ leeway  // Go's int64 arithmetic wraps: an iat near MaxInt64 gives an expired token
        }
        if nbf == 0 {
            if iat != 0 {
                nbf = iat
            } else {
                let leeway = expected.notBeforeLeeway < 0 ? 0 : (expected.notBeforeLeeway == 0 ? Self.defaultLeeway : expected.notBeforeLeeway)
                nbf = exp &- leeway
            }
        }
        let skew = Double(expected.clockSkewLeeway < 0 ? 0 : (expected.clockSkewLeeway == 0 ? Self.defaultClockSkew : expected.clockSkewLeeway))
        let now = expected.now.timeIntervalSince1970
        if now + skew < Self.goUnixTime(nbf) { throw ValidationFailure("invalid not before (nbf) claim: token not yet valid") }
        if now - skew > Self.goUnixTime(exp) { throw ValidationFailure("invalid expiration time (exp) claim: token is expired") }
        if iat != 0 && now + skew < Self.goUnixTime(iat) {
            throw ValidationFailure("invalid issued at (iat) claim: token issued in the future")
        }
        return claims
    }

    /// Seconds since 1970 of Go's `time.Unix(sec, 0)`, which keeps seconds since year 1 in an int64 and so wraps for
    /// values within 62135596800 of MaxInt64: such an `exp` lies in the far past (expired), as OpenBao finds it.
    static func goUnixTime(_ sec: Int64) -> Double {
        let unixToInternal: Int64 = 62_135_596_800
        return Double(sec &+ unixToInternal) - Double(unixToInternal)
    }

    /// Checks the signature against the key source and returns the payload's claims.
    func verifySignature(_ token: String) async throws(ValidationFailure) -> [String: JSONValue] {
        switch source {
        case .staticKeys(let keys):
            let jws: CompactJWS
            switch CompactJWS.parse(token) {
            case .success(let j): jws = j
            case .failure(.malformed(let m)): throw ValidationFailure("error verifying token signature: \(m)")
            }
            for key in keys {
                if await key.verifies(alg: jws.alg, signingInput: jws.signingInput, signature: jws.signature) {
                    return try payloadClaims(jws, prefix: "error verifying token signature: ")
                }
            }
            throw ValidationFailure("error verifying token signature: no known key successfully validated the token signature")
        case .remote(let url, let ca):
            let jws: CompactJWS
            switch CompactJWS.parse(token) {
            case .success(let j): jws = j
            case .failure(.malformed(let m)): throw ValidationFailure("error verifying token signature: oidc: malformed jwt: \(m)")
            }
            if !supportedSigningAlgorithms.contains(jws.alg) {
                throw ValidationFailure(
                    "error verifying token signature: oidc: malformed jwt: go-jose/go-jose: unexpected signature algorithm \(FieldValue.goQuote(jws.alg)); expected \(GoFormat.list(supportedSigningAlgorithms))"
                )
            }
            do {
                var keys = try await runtime.keys(url: url, caPEM: ca, force: false)
                if try await matches(keys, jws) { return try payloadClaims(jws, prefix: "error verifying token signature: ") }
                // Unknown kid or stale keys: refetch once.
                keys = try await runtime.keys(url: url, caPEM: ca, force: true)
                if try await matches(keys, jws) { return try payloadClaims(jws, prefix: "error verifying token signature: ") }
            } catch let e as FetchError {
                throw ValidationFailure("error verifying token signature: \(e.description)")
            } catch let e as ValidationFailure {
                throw e
            } catch {
                throw ValidationFailure("error verifying token signature: \(error)")
            }
            throw ValidationFailure("error verifying token signature: failed to verify id token signature")
        }
    }

    private func matches(_ keys: [VerificationKey], _ jws: CompactJWS) async throws -> Bool {
        for key in keys {
            if let kid = jws.kid, !kid.isEmpty, let kk = key.kid, kk != kid { continue }
            if await key.verifies(alg: jws.alg, signingInput: jws.signingInput, signature: jws.signature) { return true }
        }
        return false
    }

    private func payloadClaims(_ jws: CompactJWS, prefix: String) throws(ValidationFailure) -> [String: JSONValue] {
        guard let v = try? JSONValue.parse(jws.payloadBytes) else {
            throw ValidationFailure(prefix + "invalid character looking for beginning of value")
        }
        guard let o = v.objectValue else {
            throw ValidationFailure(prefix + "json: cannot unmarshal \(jsonKind(v)) into Go value of type map[string]interface {}")
        }
        return o
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

func jsonKind(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool: return "bool"
    case .int, .double: return "number"
    case .string: return "string"
    case .array: return "array"
    case .object: return "object"
    }
}
