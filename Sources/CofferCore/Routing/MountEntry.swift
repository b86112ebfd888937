import CofferSDK
import Foundation

/// One row of the mount table (secrets engines) or the auth table (auth methods).
public struct MountEntry: Sendable, Equatable {
    /// With a trailing slash, e.g. `secret/`; for auth mounts relative to `auth/` (e.g. `token/`).
    public var path: String
    public var type: String
    public var description: String
    public var uuid: String
    public var accessor: String
    public var options: [String: String]?
    public var local: Bool
    public var sealWrap: Bool
    public var externalEntropyAccess: Bool
    public var defaultLeaseTTL: Int64
    public var maxLeaseTTL: Int64
    public var forceNoCache: Bool
    /// Other tunables kept as given (listing_visibility, audit_non_hmac_*_keys, passthrough_request_headers...).
    public var extraConfig: [String: JSONValue]

    public init(
        path: String, type: String, description: String, uuid: String, accessor: String, options: [String: String]? = nil,
        local: Bool = false, sealWrap: Bool = false, externalEntropyAccess: Bool = false, defaultLeaseTTL: Int64 = 0,
        maxLeaseTTL: Int64 = 0, forceNoCache: Bool = false, extraConfig: [String: JSONValue] = [:]
    ) {
        self.path = path
        self.type = type
        self.description = description
        self.uuid = uuid
        self.accessor = accessor
        self.options = options
        self.local = local
        self.sealWrap = sealWrap
        self.externalEntropyAccess = externalEntropyAccess
        self.defaultLeaseTTL = defaultLeaseTTL
        self.maxLeaseTTL = maxLeaseTTL
        self.forceNoCache = forceNoCache
        self.extraConfig = extraConfig
    }

    /// The shape of one entry in `sys/mounts`, `sys/auth` and `sys/internal/ui/mounts`.
    func apiJSON(isAuth: Bool) -> JSONValue {
        var config: [String: JSONValue] = [
            "default_lease_ttl": .int(defaultLeaseTTL),
            "max_lease_ttl": .int(maxLeaseTTL),
            "force_no_cache": .bool(forceNoCache),
        ]
        for (k, v) in extraConfig { config[k] = v }
        if isAuth && config["token_type"] == nil { config["token_type"] = "default-service" }
        var o: [String: JSONValue] = [
            "accessor": .string(accessor),
            "config": .object(config),
            "description": .string(description),
            "external_entropy_access": .bool(externalEntropyAccess),
            "local": .bool(local),
            "options": options.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "plugin_version": "",
            "running_plugin_version": .string("v\(CofferVersion.apiVersion)+builtin.bao"),
            "running_sha256": "",
            "seal_wrap": .bool(sealWrap),
            "type": .string(type),
            "uuid": .string(uuid),
        ]
        if type == "kv" { o["deprecation_status"] = "supported" }
        return .object(o)
    }

    func storageJSON() -> JSONValue {
        [
            "path": .string(path), "type": .string(type), "description": .string(description), "uuid": .string(uuid),
            "accessor": .string(accessor), "options": options.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "local": .bool(local), "seal_wrap": .bool(sealWrap), "external_entropy_access": .bool(externalEntropyAccess),
            "default_lease_ttl": .int(defaultLeaseTTL), "max_lease_ttl": .int(maxLeaseTTL), "force_no_cache": .bool(forceNoCache),
            "extra_config": .object(extraConfig),
        ]
    }

    init(storage v: JSONValue) throws {
        guard let path = v["path"]?.stringValue, let type = v["type"]?.stringValue, let uuid = v["uuid"]?.stringValue else {
            throw LogicalError.internalError("mount table entry is malformed")
        }
        self.init(
            path: path, type: type, description: v["description"]?.stringValue ?? "", uuid: uuid,
            accessor: v["accessor"]?.stringValue ?? "", options: v["options"]?.objectValue?.compactMapValues(\.stringValue),
            local: v["local"]?.boolValue ?? false, sealWrap: v["seal_wrap"]?.boolValue ?? false,
            externalEntropyAccess: v["external_entropy_access"]?.boolValue ?? false,
            defaultLeaseTTL: v["default_lease_ttl"]?.intValue ?? 0, maxLeaseTTL: v["max_lease_ttl"]?.intValue ?? 0,
            forceNoCache: v["force_no_cache"]?.boolValue ?? false, extraConfig: v["extra_config"]?.objectValue ?? [:])
    }
}
