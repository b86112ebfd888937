import CofferClient

/// Where a `kv` command's path lives: its mount and KV version, found with `sys/internal/ui/mounts/<path>`.
struct KVTarget {
    /// The path as the user gave it, joined with `-mount` when given (e.g. `secret/foo`).
    var partialPath: String
    /// The mount path, e.g. `secret/` (empty when the server could not tell).
    var mountPath: String
    /// The KV version, 1 or 2.
    var version: Int

    var isV2: Bool { version == 2 }

    /// Resolves the mount of `path` (or `mount` + `path`) as `bao` does before each `kv` command.
    static func resolve(_ client: VaultClient, path argument: String, mount: String?) async throws -> KVTarget {
        if let mount, !mount.isEmpty {
            let mountPath = sanitizePath(mount)
            let (_, version) = try await preflight(client, mountPath)
            let partial = argument.isEmpty ? mountPath : joinPath(mountPath, argument)
            return KVTarget(partialPath: partial, mountPath: mountPath + "/", version: version)
        }
        let path = sanitizePath(argument)
        let (mountPath, version) = try await preflight(client, path)
        return KVTarget(partialPath: path, mountPath: mountPath, version: version)
    }

    /// Asks the server which mount serves `path` and its KV version.
    static func preflight(_ client: VaultClient, _ path: String) async throws -> (mount: String, version: Int) {
        let body: JSON?
        do {
            // The preflight is never wrapped, even under -wrap-ttl.
            body = try await client.request(method: "GET", path: "sys/internal/ui/mounts/\(path)", wrapTTL: .some(nil)).body
        } catch let error as ClientError where error.status == 404 {
            // A server without the endpoint: treat the path as KV version 1.
            return ("", 1)
        } catch {
            throw CLIFailure.api(nil, error)
        }
        guard let data = body?["data"] else { return ("", 1) }
        let mountPath = data["path"]?.stringValue ?? ""
        let versionValue = data["options"]?["version"]
        let version = versionValue?.intValue ?? 1
        return (mountPath, version == 2 ? 2 : 1)
    }

    /// The API path with `prefix` (`data`, `metadata`, `delete`...) inserted after the mount, for KV v2.
    func apiPath(_ prefix: String) -> String {
        let mount = mountPath.hasSuffix("/") ? String(mountPath.dropLast()) : mountPath
        guard !mount.isEmpty else { return joinPath(partialPath, "") }
        if partialPath == mount || partialPath == mountPath {
            return joinPath(mount, prefix)
        }
        var rest = Substring(partialPath)
        if rest.hasPrefix(mountPath) {
            rest = rest.dropFirst(mountPath.count)
        } else if rest.hasPrefix(mount) {
            rest = rest.dropFirst(mount.count)
        }
        return joinPath(joinPath(mount, prefix), String(rest))
    }
}

/// Joins path parts with single slashes and no trailing slash, like Go's `path.Join` for clean paths.
func joinPath(_ a: String, _ b: String) -> String {
    let parts = (a + "/" + b).split(separator: "/", omittingEmptySubsequences: true)
    var cleaned: [Substring] = []
    for part in parts {
        if part == "." { continue }
        if part == ".." {
            if !cleaned.isEmpty { cleaned.removeLast() }
            continue
        }
        cleaned.append(part)
    }
    return cleaned.joined(separator: "/")
}

/// Parses `-versions` values (`-versions=1,2 -versions=3`) into version numbers.
func parseVersions(_ values: [String]) -> [JSON] {
    values.flatMap { $0.split(separator: ",") }.compactMap { part in
        let trimmed = String(part).trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if let number = Int(trimmed) { return .int(number) }
        return .string(trimmed)
    }
}
