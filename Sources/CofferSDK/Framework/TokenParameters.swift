/// The token settings every auth method's roles and users carry (`token_ttl`, `token_policies` ...): declared,
/// parsed and checked once, as OpenBao's `tokenutil.TokenParams` does for all its methods.
///
/// A method adds ``fields(legacy:)`` to its role path, calls ``parse(_:)`` on a write (after loading the stored
/// values, so that a write changes only what it names), ``upgradeLegacy(_:from:)`` for the deprecated names it still
/// accepts, shows ``responseData`` on reads, and fills a login's ``AuthInfo`` with ``apply(to:)``.
public struct TokenParameters: Sendable, Equatable {
    public var boundCIDRs: [String] = []
    public var explicitMaxTTL: Int64 = 0
    public var maxTTL: Int64 = 0
    public var noDefaultPolicy = false
    public var period: Int64 = 0
    public var policies: [String] = []
    /// `default`, `service` or `batch`.
    public var type = "default"
    public var ttl: Int64 = 0
    public var numUses: Int64 = 0
    public var strictlyBindIP = false

    public init() {}

    /// The deprecated names some methods still accept beside the `token_*` ones.
    public enum Legacy: String, Sendable, CaseIterable {
        case policies, ttl, maxTTL = "max_ttl", period, numUses = "num_uses", boundCIDRs = "bound_cidrs"

        public var newName: String {
            switch self {
            case .policies: return "token_policies"
            case .ttl: return "token_ttl"
            case .maxTTL: return "token_max_ttl"
            case .period: return "token_period"
            case .numUses: return "token_num_uses"
            case .boundCIDRs: return "token_bound_cidrs"
            }
        }

        public var field: Field {
            switch self {
            case .policies, .boundCIDRs:
                return Field(rawValue, .commaStringSlice, deprecated: true, "Use \"\(newName)\" instead. If this and \"\(newName)\" are both specified, only \"\(newName)\" will be used.")
            case .numUses:
                return Field(rawValue, .int, deprecated: true, "Use \"\(newName)\" instead. If this and \"\(newName)\" are both specified, only \"\(newName)\" will be used.")
            case .ttl, .maxTTL, .period:
                return Field(rawValue, .durationSecond, deprecated: true, "Use \"\(newName)\" instead. If this and \"\(newName)\" are both specified, only \"\(newName)\" will be used.")
            }
        }
    }

    /// The `token_*` fields, and the deprecated names a method accepts.
    public static func fields(legacy: [Legacy] = []) -> [Field] {
        [
            Field("token_bound_cidrs", .commaStringSlice, "Comma separated string or JSON list of CIDR blocks. If set, specifies the blocks of IP addresses which are allowed to use the generated token."),
            Field("token_explicit_max_ttl", .durationSecond, "If set, tokens created via this role carry an explicit maximum TTL. During renewal, the current maximum TTL values of the role and the mount are not checked for changes, and any updates to these values will have no effect on the token being renewed."),
            Field("token_max_ttl", .durationSecond, "The maximum lifetime of the generated token"),
            Field("token_no_default_policy", .bool, "If true, the 'default' policy will not automatically be added to generated tokens"),
            Field("token_period", .durationSecond, "If set, tokens created via this role will have no max lifetime; instead, their renewal period will be fixed to this value. This takes an integer number of seconds, or a string duration (e.g. \"24h\")."),
            Field("token_policies", .commaStringSlice, "Comma-separated list of policies"),
            Field("token_type", .string, default: "default", "The type of token to generate, service or batch"),
            Field("token_ttl", .durationSecond, "The initial ttl of the token to generate"),
            Field("token_num_uses", .int, "The maximum number of times a token may be used, a value of zero means unlimited"),
            Field("token_strictly_bind_ip", .bool, "If true, tokens bound to CIDR blocks may only be used from an address inside them"),
        ] + legacy.map(\.field)
    }

    /// The fields a write sent, applied over these settings, with OpenBao's checks in its order. Errors are 400s.
    public mutating func parse(_ d: FieldData) throws {
        if let cidrs = try d.stringsIfSet("token_bound_cidrs") { boundCIDRs = try Self.parseAddrs(cidrs) }
        if let v = try d.durationIfSet("token_explicit_max_ttl") { explicitMaxTTL = v }
        if let v = try d.durationIfSet("token_max_ttl") { maxTTL = v }
        if maxTTL < 0 { throw LogicalError.invalidRequest("'token_max_ttl' cannot be negative") }
        if let v = try d.boolIfSet("token_no_default_policy") { noDefaultPolicy = v }
        if let v = try d.durationIfSet("token_period") { period = v }
        if period < 0 { throw LogicalError.invalidRequest("'token_period' cannot be negative") }
        if let v = try d.stringsIfSet("token_policies") { policies = v }
        if let raw = try d.stringIfSet("token_type") {
            switch raw {
            case "", "default": type = "default"
            case "service": type = "service"
            case "batch": type = "batch"
            default: throw LogicalError.invalidRequest("invalid 'token_type' value \(GoDuration.quote(raw))")
            }
        }
        if let v = try d.intIfSet("token_num_uses") { numUses = v }
        if numUses < 0 { throw LogicalError.invalidRequest("'token_num_uses' cannot be negative") }
        try checkBatch()
        if let v = try d.durationIfSet("token_ttl") { ttl = v }
        if ttl < 0 { throw LogicalError.invalidRequest("'token_ttl' cannot be negative") }
        try checkTTLs()
        if let v = try d.boolIfSet("token_strictly_bind_ip") { strictlyBindIP = v }
    }

    /// A batch token can be neither periodic nor limited in uses.
    public func checkBatch() throws {
        if type == "batch" {
            if period != 0 {
                throw LogicalError.invalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
            }
            if numUses != 0 {
                throw LogicalError.invalidRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count")
            }
        }
    }

    /// The TTL cannot pass the max TTL.
    public func checkTTLs() throws {
        if ttl > 0, maxTTL > 0, ttl > maxTTL {
            throw LogicalError.invalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
        }
    }

    /// A deprecated name sent without its `token_*` counterpart sets the new value (OpenBao's `UpgradeValue`: legacy
    /// policies sanitised, and no check after it: OpenBao accepts a legacy `ttl` above `max_ttl`, or a batch type with
    /// a legacy `period`, unless the method checks them itself).
    /// Returns the legacy names the write sent (with or without the new name), so a method can echo them on reads.
    @discardableResult
    public mutating func upgradeLegacy(_ d: FieldData, from legacy: [Legacy]) throws -> Set<Legacy> {
        var sent: Set<Legacy> = []
        for l in legacy where d.has(l.rawValue) {
            sent.insert(l)
            guard !d.has(l.newName) else { continue }
            switch l {
            case .policies: policies = Self.sanitizePolicies(try d.strings(l.rawValue))
            case .boundCIDRs: boundCIDRs = try Self.parseAddrs(try d.strings(l.rawValue))
            case .ttl: ttl = try d.duration(l.rawValue)
            case .maxTTL: maxTTL = try d.duration(l.rawValue)
            case .period: period = try d.duration(l.rawValue)
            case .numUses: numUses = try d.int(l.rawValue)
            }
        }
        return sent
    }

    /// `policyutil.SanitizePolicies` (without adding `default`): names trimmed and lowercased, empty ones dropped,
    /// duplicates removed, sorted; `root` alone when present.
    public static func sanitizePolicies(_ names: [String]) -> [String] {
        let cleaned = names.map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
        if cleaned.contains("root") { return ["root"] }
        return Array(Set(cleaned)).sorted()
    }

    /// The settings as a read shows them.
    public var responseData: [String: JSONValue] {
        [
            "token_bound_cidrs": .array(boundCIDRs.map { .string($0) }),
            "token_explicit_max_ttl": .int(explicitMaxTTL),
            "token_max_ttl": .int(maxTTL),
            "token_no_default_policy": .bool(noDefaultPolicy),
            "token_num_uses": .int(numUses),
            "token_period": .int(period),
            "token_policies": .array(policies.map { .string($0) }),
            "token_strictly_bind_ip": .bool(strictlyBindIP),
            "token_ttl": .int(ttl),
            "token_type": .string(type),
        ]
    }

    /// Reads settings stored as ``responseData``; missing keys keep their defaults.
    public init(stored o: [String: JSONValue]) {
        func strings(_ k: String) -> [String] { o[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        func int(_ k: String) -> Int64 { o[k]?.intValue ?? 0 }
        func bool(_ k: String) -> Bool { o[k]?.boolValue ?? false }
        boundCIDRs = strings("token_bound_cidrs")
        explicitMaxTTL = int("token_explicit_max_ttl")
        maxTTL = int("token_max_ttl")
        noDefaultPolicy = bool("token_no_default_policy")
        period = int("token_period")
        policies = strings("token_policies")
        type = o["token_type"]?.stringValue ?? "default"
        ttl = int("token_ttl")
        numUses = int("token_num_uses")
        strictlyBindIP = bool("token_strictly_bind_ip")
    }

    /// Fills the token settings of a login's auth. The core has one max TTL: the stricter of `token_max_ttl` and
    /// `token_explicit_max_ttl`.
    public func apply(to auth: inout AuthInfo) {
        auth.policies = policies
        auth.ttl = ttl > 0 ? ttl : nil
        auth.maxTTL = [maxTTL, explicitMaxTTL].filter { $0 > 0 }.min()
        auth.period = period > 0 ? period : nil
        auth.numUses = Int(clamping: numUses)
        auth.boundCIDRs = boundCIDRs
        auth.noDefaultPolicy = noDefaultPolicy
        auth.tokenType = type
    }

    /// A renewal under the role's settings as they are now: the renewed auth takes their TTL, max TTL and period.
    public func renewal(of auth: AuthInfo) -> LogicalResponse {
        var current = AuthInfo()
        apply(to: &current)
        var renewed = auth
        renewed.ttl = current.ttl
        renewed.maxTTL = current.maxTTL
        renewed.period = current.period
        return LogicalResponse(auth: renewed)
    }

    /// `parseutil.ParseAddrs`: each entry an address or a CIDR block; a block of one host is kept as the bare
    /// address, IPv6 printed in RFC 5952 form.
    public static func parseAddrs(_ items: [String]) throws -> [String] {
        try items.map { item in
            let text = item.trimmingWhitespace()
            guard let block = CIDRBlock(text) else {
                throw LogicalError.invalidRequest(
                    "error parsing address \"\(text)\": Unable to convert \"\(text)\" to an IPv4 or IPv6 address, or a UNIX Socket")
            }
            let address = CIDRBlock.format(block.address)
            return block.prefixLength == block.address.count * 8 ? address : "\(address)/\(block.prefixLength)"
        }
    }
}
