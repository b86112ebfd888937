import CofferClient

/// Prints `sys/mounts` and `sys/auth` listings as `bao secrets list` / `bao auth list` do.
enum MountListOutput {
    /// The mounts map of a listing response (`data` when present, else the top level minus the envelope).
    static func mounts(_ body: JSON?) -> [JSON.Member] {
        guard let body else { return [] }
        let source: JSON
        if let data = body["data"], data.isObject {
            source = data
        } else {
            source = body
        }
        return (source.members ?? []).filter { $0.value.isObject && $0.value["type"] != nil }.sorted { $0.key < $1.key }
    }

    /// One mount in the Go `MountOutput` field order.
    static func normalize(_ mount: JSON) -> JSON {
        var out = JSON.object([])
        out["uuid"] = mount["uuid"] ?? ""
        out["type"] = mount["type"] ?? ""
        out["description"] = mount["description"] ?? ""
        out["accessor"] = mount["accessor"] ?? ""
        var config = JSON.object([])
        let source = mount["config"] ?? .object([])
        config["default_lease_ttl"] = source["default_lease_ttl"] ?? .int(0)
        config["max_lease_ttl"] = source["max_lease_ttl"] ?? .int(0)
        config["force_no_cache"] = source["force_no_cache"] ?? false
        for member in source.members ?? [] where config[member.key] == nil {
            if member.value.isNull || member.value == "" || member.value.arrayValue?.isEmpty == true { continue }
            config[member.key] = member.value
        }
        out["config"] = config
        out["options"] = mount["options"].map { $0.sortedKeys() } ?? .null
        out["local"] = mount["local"] ?? false
        out["seal_wrap"] = mount["seal_wrap"] ?? false
        out["external_entropy_access"] = mount["external_entropy_access"] ?? false
        out["plugin_version"] = mount["plugin_version"] ?? ""
        out["running_plugin_version"] = mount["running_plugin_version"] ?? ""
        out["running_sha256"] = mount["running_sha256"] ?? ""
        out["deprecation_status"] = mount["deprecation_status"] ?? ""
        return out
    }

    static func printJSON(_ mounts: [JSON.Member], formatter: Formatter) {
        let object = JSON.object(mounts.map { JSON.Member($0.key, normalize($0.value)) })
        formatter.emit(object)
    }

    static func ttl(_ value: JSON?, type: String) -> String {
        if type == "system" || type == "cubbyhole" || type == "ns_system" || type == "ns_cubbyhole" { return "n/a" }
        let seconds = value?.intValue ?? 0
        return seconds == 0 ? "system" : String(seconds)
    }

    static func detailedRows(_ mounts: [JSON.Member], auth: Bool) -> [[String]] {
        mounts.map { member in
            let m = member.value
            let type = m["type"]?.stringValue ?? ""
            var row = [
                member.key,
                type,
                m["accessor"]?.stringValue ?? "",
                ttl(m["config"]?["default_lease_ttl"], type: type),
                ttl(m["config"]?["max_lease_ttl"], type: type),
            ]
            if auth {
                row.append((m["config"]?["token_type"]?.stringValue) ?? "")
            } else {
                row.append(GoFormat.value(m["config"]?["force_no_cache"] ?? false))
            }
            row.append((m["local"]?.boolValue ?? false) ? "local" : "replicated")
            row.append(GoFormat.value(m["seal_wrap"] ?? false))
            row.append(GoFormat.value(m["external_entropy_access"] ?? false))
            let options = m["options"] ?? .null
            row.append(options.isNull ? "map[]" : GoFormat.value(options))
            row.append(m["description"]?.stringValue ?? "")
            row.append(m["uuid"]?.stringValue ?? "")
            row.append(m["plugin_version"]?.stringValue ?? "")
            row.append(m["running_plugin_version"]?.stringValue ?? "")
            row.append(m["running_sha256"]?.stringValue ?? "")
            row.append(m["deprecation_status"]?.stringValue ?? "")
            return row
        }
    }
}
