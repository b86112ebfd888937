import CofferSDK
import Foundation
import Synchronization

/// Stores ACL policies (`core/policy/<name>` inside the barrier) and caches them compiled: one `Policy` per name
/// and one `ACL` per distinct policy set, so evaluating a request never parses or recompiles anything.
final class PolicyStore: Sendable {
    let storage: any LogicalStorage
    private struct Cache {
        var policies: [String: (text: String, modified: String, policy: Policy)] = [:]
        var acls: [String: ACL] = [:]
    }
    private let cache = Mutex(Cache())

    init(storage: any LogicalStorage) {
        self.storage = storage
    }

    func invalidateAll() {
        cache.withLock { $0 = Cache() }
    }

    func setupDefaults(now: Date) async throws {
        if try await storage.get("default") == nil {
            try await storage.putJSON("default", ["name": "default", "policy": .string(Self.defaultPolicyText), "modified": .string(formatVaultTime(now))])
        }
    }

    static func normalize(_ name: String) -> String { name.lowercased() }

    func get(_ rawName: String) async throws -> (text: String, modified: String, policy: Policy)? {
        let name = Self.normalize(rawName)
        if name == "root" { return nil }
        if let c = cache.withLock({ $0.policies[name] }) { return c }
        guard let v = try await storage.getJSON(name), let text = v["policy"]?.stringValue else { return nil }
        let policy = try PolicyParser.parse(name: name, text: text)
        let entry = (text: text, modified: v["modified"]?.stringValue ?? "", policy: policy)
        cache.withLock { $0.policies[name] = entry }
        return entry
    }

    func set(_ rawName: String, text: String, now: Date) async throws {
        let name = Self.normalize(rawName)
        if name == "root" { throw LogicalError.invalidRequest("cannot update \"root\" policy") }
        guard !text.isEmpty else { throw LogicalError.invalidRequest("'policy' parameter not supplied or empty") }
        do {
            _ = try PolicyParser.parse(name: name, text: text)
        } catch {
            throw LogicalError.invalidRequest(error.apiMessage)
        }
        try await storage.putJSON(name, ["name": .string(name), "policy": .string(text), "modified": .string(formatVaultTime(now))])
        cache.withLock { $0 = Cache() }
    }

    func delete(_ rawName: String, legacy: Bool) async throws {
        let name = Self.normalize(rawName)
        if name == "root" { throw LogicalError.invalidRequest("cannot delete \"root\" policy") }
        if name == "default" { throw LogicalError.invalidRequest(legacy ? "cannot delete default policy" : "cannot delete default policy") }
        try await storage.delete(name)
        cache.withLock { $0 = Cache() }
    }

    func list() async throws -> [String] {
        var names = try await storage.list(prefix: "").filter { !$0.hasSuffix("/") }
        names.append("root")
        return names.sorted()
    }

    /// The compiled ACL for a set of policy names; unknown names are skipped, as Vault does.
    func acl(for names: [String], templateValues: [String: String] = [:], cacheScope: String = "") async throws -> ACL {
        // Template values are part of the key: a metadata change applies to the very next request.
        var key = cacheScope + "\u{1}" + Set(names).sorted().joined(separator: "\u{0}")
        if !templateValues.isEmpty {
            for (k, v) in templateValues.sorted(by: { $0.key < $1.key }) {
                key += "\u{2}" + k + "\u{3}" + v
            }
        }
        if let acl = cache.withLock({ $0.acls[key] }) { return acl }
        var list: [Policy] = []
        for n in names {
            if n == "root" {
                list.append(Policy(name: Policy.rootName, paths: []))
            } else if let p = try await get(n) {
                list.append(p.policy)
            }
        }
        let acl = ACL(policies: list, templateValues: templateValues)
        cache.withLock {
            if $0.acls.count > 10_000 { $0.acls.removeAll() }
            $0.acls[key] = acl
        }
        return acl
    }

    static var defaultPolicyText: String { DefaultPolicy.text }
}
