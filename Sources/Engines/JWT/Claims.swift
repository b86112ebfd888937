import CofferSDK
import Foundation

/// A claim value as OpenBao compares it: numbers at the top level become integer `json.Number`s,
/// numbers inside lists stay floats (which never equal a bound value).
enum ClaimValue: Equatable {
    case string(String)
    case bool(Bool)
    case number(String)
    case float(Double)
    case other(JSONValue)

    var goDescription: String {
        switch self {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .float(let d): return GoFormat.float(d)
        case .other(let v): return GoFormat.value(v)
        }
    }
}

enum Claims {
    /// Resolves a claim name, or a JSON pointer when it starts with `/`.
    static func raw(_ claims: [String: JSONValue], _ name: String) -> JSONValue? {
        guard name.hasPrefix("/") else { return claims[name] }
        var current: JSONValue = .object(claims)
        for rawPart in name.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let part = rawPart.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object(let o):
                guard let next = o[part] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(part), i >= 0, i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    /// `getClaim`: the value with top-level numbers truncated to integers; `aud` always a list.
    static func get(_ claims: [String: JSONValue], _ name: String) -> JSONValue? {
        guard var v = raw(claims, name), !v.isNull else { return nil }
        if name == "aud", case .string = v { v = .array([v]) }
        switch v {
        case .double(let d): return .int(CheckedNumber.int64(truncating: d) ?? Int64.min)  // Go's int64(f) on amd64
        default: return v
        }
    }

    static func scalar(_ v: JSONValue, topLevel: Bool) -> ClaimValue {
        switch v {
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .int(let i): return topLevel ? .number(String(i)) : .float(Double(i))
        case .double(let d): return topLevel ? .number(String(CheckedNumber.int64(truncating: d) ?? Int64.min)) : .float(d)
        default: return .other(v)
        }
    }

    /// `normalizeList`: a string, bool, number or list as a list; nil for anything else.
    static func normalizeList(_ v: JSONValue) -> [ClaimValue]? {
        switch v {
        case .array(let a): return a.map { scalar($0, topLevel: false) }
        case .string, .bool, .int, .double: return [scalar(v, topLevel: true)]
        default: return nil
        }
    }

    /// Bound claim values from the stored role: numbers are `json.Number` with their literal text.
    static func normalizeBound(_ v: JSONValue) -> [ClaimValue]? {
        func conv(_ e: JSONValue) -> ClaimValue {
            switch e {
            case .string(let s): return .string(s)
            case .bool(let b): return .bool(b)
            case .int(let i): return .number(String(i))
            case .double(let d): return .number(GoFormat.float(d))
            default: return .other(e)
            }
        }
        switch v {
        case .array(let a): return a.map(conv)
        case .string, .bool, .int, .double: return [conv(v)]
        default: return nil
        }
    }

    static func validateBound(type: String, bound: [String: JSONValue]?, claims: [String: JSONValue]) throws(ValidationFailure) {
        guard let bound else { return }
        let useGlobs = type == "glob"
        for claim in bound.keys.sorted() {
            let expValue = bound[claim]!
            guard let actValue = get(claims, claim) else { throw ValidationFailure("claim \(FieldValue.goQuote(claim)) is missing") }
            guard let actVals = normalizeList(actValue) else {
                throw ValidationFailure("received claim is not a string, bool, int or list: \(GoFormat.value(actValue))")
            }
            guard let expVals = normalizeBound(expValue) else {
                throw ValidationFailure("bound claim is not a string, bool, int or list: \(GoFormat.value(expValue))")
            }
            var found = false
            outer: for e in expVals {
                for a in actVals {
                    if useGlobs {
                        guard case .string(let pattern) = e else {
                            throw ValidationFailure("received claim is not a glob string: %!e(\(e.goDescription))")
                        }
                        guard case .string(let s) = a else { continue }
                        if glob(pattern, s) {
                            found = true
                            break outer
                        }
                    } else if a == e {
                        found = true
                        break outer
                    }
                }
            }
            if !found { throw ValidationFailure("claim \(FieldValue.goQuote(claim)) does not match any associated bound claim values") }
        }
    }

    /// `ryanuber/go-glob`: `*` matches any run of characters; no other wildcards.
    static func glob(_ pattern: String, _ subj: String) -> Bool { GoGlob.matches(pattern, subj) }

    /// `extractMetadata`: mapped claims, which must be strings.
    static func metadata(_ claims: [String: JSONValue], mappings: [String: String]?) throws(ValidationFailure) -> [String: String] {
        var out: [String: String] = [:]
        for source in (mappings ?? [:]).keys.sorted() {
            guard let value = get(claims, source) else { continue }
            guard case .string(let s) = value else { throw ValidationFailure("error converting claim '\(source)' to string") }
            out[mappings![source]!] = s
        }
        return out
    }

    struct Identity {
        var userName: String
        var metadata: [String: String]
        var groups: [String]
    }

    /// `createIdentity`: alias name from the user claim, metadata from claim mappings, group names.
    static func identity(_ claims: [String: JSONValue], roleName: String, role: JWTRole) throws(ValidationFailure) -> Identity {
        var userRaw: JSONValue? = role.userClaimJSONPointer ? get(claims, role.userClaim) : claims[role.userClaim]
        if userRaw?.isNull == true { userRaw = Optional<JSONValue>.none }
        guard let userRaw else { throw ValidationFailure("claim \(FieldValue.goQuote(role.userClaim)) not found in token") }
        guard case .string(let userName) = userRaw else {
            throw ValidationFailure("claim \(FieldValue.goQuote(role.userClaim)) could not be converted to string")
        }
        var md = try metadata(claims, mappings: role.claimMappings)
        md["role"] = roleName
        var groups: [String] = []
        if !role.groupsClaim.isEmpty {
            guard let raw = get(claims, role.groupsClaim) else {
                throw ValidationFailure("failed to fetch groups: \(FieldValue.goQuote(role.groupsClaim)) claim not found in token")
            }
            guard let list = normalizeList(raw) else {
                throw ValidationFailure("\(FieldValue.goQuote(role.groupsClaim)) claim could not be converted to string list")
            }
            for g in list {
                guard case .string(let s) = g else {
                    throw ValidationFailure("value \(g.goDescription) in groups claim could not be parsed as string")
                }
                if !s.isEmpty { groups.append(s) }
            }
        }
        return Identity(userName: userName, metadata: md, groups: groups)
    }
}
