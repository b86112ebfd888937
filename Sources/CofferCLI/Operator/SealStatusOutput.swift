import CofferClient

/// Prints seal status the way `bao status` and `bao operator unseal` do.
enum SealStatusOutput {
    /// Fetches `sys/leader` for the HA fields; a failure there is ignored, as `bao` does.
    static func leader(_ client: VaultClient) async -> JSON? {
        try? await client.request(method: "GET", path: "sys/leader").body
    }

    /// - Parameter cofferVersion: add the server's own release (`Coffer Version`, from `coffer_version`) after the API
    ///   `Version`, as `coffer status` does.
    static func print(_ status: JSON, leader: JSON?, formatter: Formatter, cofferVersion: Bool = false) {
        if formatter.isTable {
            Console.out(Table.render(rows(status, leader: leader, cofferVersion: cofferVersion), headers: ["Key", "Value"]))
        } else {
            formatter.emit(json(status, leader: leader))
        }
    }

    static func rows(_ s: JSON, leader: JSON?, cofferVersion: Bool = false) -> [[String]] {
        var rows: [[String]] = []
        let sealed = s["sealed"]?.boolValue ?? false
        rows.append(["Seal Type", s["type"]?.stringValue ?? ""])
        rows.append(["Initialized", GoFormat.value(s["initialized"] ?? false)])
        rows.append(["Sealed", GoFormat.value(s["sealed"] ?? false)])
        rows.append(["Total Shares", GoFormat.value(s["n"] ?? .int(0))])
        rows.append(["Threshold", GoFormat.value(s["t"] ?? .int(0))])
        if sealed {
            rows.append(["Unseal Progress", "\(GoFormat.value(s["progress"] ?? .int(0)))/\(GoFormat.value(s["t"] ?? .int(0)))"])
            rows.append(["Unseal Nonce", s["nonce"]?.stringValue ?? ""])
        }
        rows.append(["Version", s["version"]?.stringValue ?? ""])
        if cofferVersion, let own = s["coffer_version"]?.stringValue, !own.isEmpty {
            rows.append(["Coffer Version", own])
        }
        if let buildDate = s["build_date"]?.stringValue, !buildDate.isEmpty {
            rows.append(["Build Date", buildDate])
        }
        if let commitDate = s["commit_date"]?.stringValue, !commitDate.isEmpty {
            rows.append(["Commit Date", commitDate])
        }
        if let storage = s["storage_type"]?.stringValue, !storage.isEmpty {
            rows.append(["Storage Type", storage])
        }
        if let name = s["cluster_name"]?.stringValue, !name.isEmpty {
            rows.append(["Cluster Name", name])
        }
        if let id = s["cluster_id"]?.stringValue, !id.isEmpty {
            rows.append(["Cluster ID", id])
        }
        let haEnabled = leader?["ha_enabled"]?.boolValue ?? false
        rows.append(["HA Enabled", haEnabled ? "true" : "false"])
        if haEnabled, !sealed, let leader {
            // bao's order: the cluster address, the mode, then Active Since (active) or Active Node Address (standby).
            let isSelf = leader["is_self"]?.boolValue ?? false
            rows.append(["HA Cluster", leader["leader_cluster_address"]?.stringValue ?? ""])
            rows.append(["HA Mode", isSelf ? "active" : "standby"])
            if isSelf, let activeTime = leader["active_time"]?.stringValue, !activeTime.isEmpty, !activeTime.hasPrefix("0001-") {
                rows.append(["Active Since", activeTime])
            }
            if !isSelf {
                let address = leader["leader_address"]?.stringValue ?? ""
                rows.append(["Active Node Address", address.isEmpty ? "<none>" : address])
            }
        }
        return rows
    }

    /// The JSON object `bao status -format=json` prints: seal status fields in the Go struct order, plus `ha_enabled`.
    static func json(_ s: JSON, leader: JSON?) -> JSON {
        var out = JSON.object([])
        out["type"] = s["type"] ?? ""
        out["initialized"] = s["initialized"] ?? false
        out["sealed"] = s["sealed"] ?? false
        out["t"] = s["t"] ?? .int(0)
        out["n"] = s["n"] ?? .int(0)
        out["progress"] = s["progress"] ?? .int(0)
        out["nonce"] = s["nonce"] ?? ""
        out["version"] = s["version"] ?? ""
        if let commitDate = s["commit_date"] { out["commit_date"] = commitDate }
        out["migration"] = s["migration"] ?? false
        for key in ["cluster_name", "cluster_id"] {
            if let value = s[key]?.stringValue, !value.isEmpty { out[key] = .string(value) }
        }
        out["recovery_seal"] = s["recovery_seal"] ?? false
        if let storage = s["storage_type"]?.stringValue, !storage.isEmpty { out["storage_type"] = .string(storage) }
        out["build_date"] = s["build_date"] ?? ""
        out["ha_enabled"] = leader?["ha_enabled"] ?? false
        if let leader, leader["ha_enabled"]?.boolValue == true {
            // bao omits the empty ones: a false is_self, and a standby's zero active_time.
            for key in ["is_self", "active_time", "leader_address", "leader_cluster_address"] {
                guard let value = leader[key], !value.isNull, value != "", value != false else { continue }
                if key == "active_time", value.stringValue?.hasPrefix("0001-") == true { continue }
                out[key] = value
            }
        }
        return out
    }
}
