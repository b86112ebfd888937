import CofferSDK
import CofferTesting
import Foundation
import IdentityEngine
import Testing

/// A store over in-memory storage with two auth mounts.
struct Harness {
    let backend: InMemoryPhysicalBackend
    let store: IdentityStore
    static let userpass = "auth_userpass_1111"
    static let approle = "auth_approle_2222"

    init(backend: InMemoryPhysicalBackend = InMemoryPhysicalBackend()) {
        let mounts: [String: (type: String, path: String)] = [
            Self.userpass: (type: "userpass", path: "auth/userpass/"),
            Self.approle: (type: "approle", path: "auth/approle/"),
        ]
        self.backend = backend
        store = IdentityStore(storage: backend, mountAccessors: { mounts })
    }

    init(sharing other: Harness) {
        self.init(backend: other.backend)
    }

    @discardableResult
    func call(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> LogicalResponse? {
        try await EngineDispatch.send(store, LogicalRequest(operation: op, path: path, data: data, storage: backend, mountPoint: "identity/"))
    }

    func write(_ path: String, _ data: [String: JSONValue] = [:]) async throws -> [String: JSONValue]? {
        try await call(.update, path, data)?.data
    }

    func read(_ path: String) async throws -> [String: JSONValue]? {
        try await call(.read, path)?.data
    }

    func list(_ path: String) async throws -> [String: JSONValue]? {
        try await call(.list, path)?.data
    }

    /// The error a call throws, or nil.
    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async -> LogicalError? {
        do {
            try await call(op, path, data)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("\(error)")
        }
    }
}

extension Optional where Wrapped == [String: JSONValue] {
    subscript(_ key: String) -> JSONValue? { self?[key] }
}

func str(_ v: JSONValue?) -> String { v?.stringValue ?? "" }

@Suite struct EntityTests {
    @Test func createReadUpdateDelete() async throws {
        let h = Harness()
        let created = try await h.write("entity", ["name": "e1", "metadata": ["a": "b"], "policies": ["p1", "p1", "p2"]])
        let id = str(created["id"])
        #expect(created["name"] == "e1")
        #expect(created["aliases"] == .null)
        // Same name again updates: no body.
        #expect(try await h.call(.update, "entity", ["name": "e1", "metadata": "a=c"]) == nil)
        let read = try await h.read("entity/id/\(id)")
        #expect(read["metadata"] == ["a": "c"])
        #expect(read["policies"] == ["p1", "p2"])
        #expect(read["namespace_id"] == "root")
        #expect(read["aliases"] == [])
        #expect(read["direct_group_ids"] == [])
        #expect(read["merged_entity_ids"] == .null)
        #expect(read["disabled"] == false)
        #expect(try await h.read("entity/name/E1")["id"] == .string(id))
        try await h.call(.delete, "entity/name/e1")
        #expect(await h.error(.read, "entity/id/\(id)")?.code == .notFound)
        // Deleting something missing is fine.
        #expect(try await h.call(.delete, "entity/id/nope") == nil)
    }

    @Test func errors() async throws {
        let h = Harness()
        _ = try await h.write("entity", ["name": "a"])
        let b = str(try await h.write("entity", ["name": "b"])["id"])
        #expect(await h.error(.update, "entity", ["id": "nope", "name": "x"])?.messages == ["entity not found from id"])
        #expect(await h.error(.update, "entity/id/\(b)", ["name": "a"])?.messages == ["entity name is already in use"])
        #expect(await h.error(.update, "entity", ["name": "c", "policies": ["root"]])?.messages == ["policies cannot contain root"])
        #expect(
            await h.error(.update, "entity", ["name": "c", "metadata": "notamap"])?.messages == [
                "Field validation failed: error converting input for field \"metadata\": invalid key pair at index 0 in field \"metadata\""
            ])
        #expect(await h.error(.read, "entity/id")?.code == .unsupportedOperation)
        #expect(await h.error(.read, "bogus")?.code == .unsupportedPath)
    }

    @Test func unnamedEntityAndLists() async throws {
        let h = Harness()
        #expect(await h.error(.list, "entity/id")?.code == .notFound)
        let created = try await h.write("entity", ["policies": "x"])
        let name = str(created["name"])
        #expect(name.hasPrefix("entity_") && name.hasSuffix(".root") && name.count == "entity_12345678.root".count)
        _ = try await h.write("entity-alias", ["name": "bob", "mount_accessor": .string(Harness.userpass), "canonical_id": created["id"]!])
        let list = try await h.list("entity/id/")
        #expect(list["keys"] == [created["id"]!])
        let info = list["key_info"]?[str(created["id"])]
        #expect(info?["aliases"]?.arrayValue?.first?["mount_path"] == "auth/userpass/")
        #expect(try await h.list("entity/name")["keys"] == [.string(name)])
    }

    @Test func mergeMovesAliasesAndGroups() async throws {
        let h = Harness()
        let to = str(try await h.write("entity", ["name": "to"])["id"])
        let from = str(try await h.write("entity", ["name": "from"])["id"])
        let alias = str(try await h.write("entity-alias", ["name": "x", "mount_accessor": .string(Harness.userpass), "canonical_id": .string(from)])["id"])
        let group = str(try await h.write("group", ["name": "g", "member_entity_ids": .string(from)])["id"])
        #expect(await h.error(.update, "entity/merge", ["to_entity_id": .string(to)])?.messages == ["missing entity ids to merge from"])
        #expect(await h.error(.update, "entity/merge", ["from_entity_ids": .string(to), "to_entity_id": .string(to)])?.messages == [
            "to_entity_id should not be present in from_entity_ids"
        ])
        #expect(try await h.call(.update, "entity/merge", ["from_entity_ids": .string(from), "to_entity_id": .string(to)]) == nil)
        let read = try await h.read("entity/id/\(to)")
        #expect(read["merged_entity_ids"] == [.string(from)])
        #expect(read["aliases"]?.arrayValue?.first?["merged_from_canonical_ids"] == [.string(from)])
        #expect(try await h.read("entity-alias/id/\(alias)")["canonical_id"] == .string(to))
        #expect(try await h.read("group/id/\(group)")["member_entity_ids"] == [.string(to)])
        #expect(await h.error(.read, "entity/id/\(from)")?.code == .notFound)
    }

    @Test func mergeConflicts() async throws {
        let h = Harness()
        let to = str(try await h.write("entity", ["name": "to"])["id"])
        let from = str(try await h.write("entity", ["name": "from"])["id"])
        let ta = str(try await h.write("entity-alias", ["name": "a", "mount_accessor": .string(Harness.userpass), "canonical_id": .string(to)])["id"])
        let fa = str(try await h.write("entity-alias", ["name": "b", "mount_accessor": .string(Harness.userpass), "canonical_id": .string(from)])["id"])
        let plain = await h.error(.update, "entity/merge", ["from_entity_ids": .string(from), "to_entity_id": .string(to)])
        #expect(plain?.messages.first?.hasPrefix("2 errors occurred:\n\t* toEntity and at least one fromEntity") == true)
        #expect(await h.error(.update, "entity/merge", ["from_entity_ids": .string(from), "to_entity_id": .string(to), "conflicting_alias_ids_to_keep": "zz"])?.messages == [
            "conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: \(fa), \(ta)"
        ])
        try await h.call(.update, "entity/merge", ["from_entity_ids": .string(from), "to_entity_id": .string(to), "conflicting_alias_ids_to_keep": .string(fa)])
        #expect(await h.error(.read, "entity-alias/id/\(ta)")?.code == .notFound)
        #expect(try await h.read("entity-alias/id/\(fa)")["canonical_id"] == .string(to))
    }

    @Test func batchDelete() async throws {
        let h = Harness()
        let a = str(try await h.write("entity", ["name": "a"])["id"])
        #expect(await h.error(.update, "entity/batch-delete", [:])?.messages == ["missing entity ids to delete"])
        try await h.call(.update, "entity/batch-delete", ["entity_ids": [.string(a), "nope"]])
        #expect(await h.error(.list, "entity/id")?.code == .notFound)
    }
}

@Suite struct AliasTests {
    @Test func createUpdateMove() async throws {
        let h = Harness()
        #expect(await h.error(.update, "entity-alias", ["name": "x"])?.messages == ["'id' or 'mount_accessor' and 'name' must be provided"])
        #expect(await h.error(.update, "entity-alias", ["name": "x", "mount_accessor": "bogus"])?.messages == ["invalid mount accessor \"bogus\""])
        #expect(await h.error(.update, "entity-alias", ["name": "x", "mount_accessor": .string(Harness.userpass), "canonical_id": "nope"])?.messages == [
            "invalid canonical ID"
        ])
        let created = try await h.write("entity-alias", ["name": "alice", "mount_accessor": .string(Harness.userpass)])
        let aliasID = str(created["id"])
        let first = str(created["canonical_id"])
        let read = try await h.read("entity-alias/id/\(aliasID)")
        #expect(read["mount_type"] == "userpass")
        #expect(read["custom_metadata"] == [:])
        #expect(read["namespace_id"] == "root")
        #expect(read["local"] == false)
        // Same factors (case-insensitive name) update the existing alias.
        let again = try await h.write("entity-alias", ["name": "Alice", "mount_accessor": .string(Harness.userpass)])
        #expect(again["id"] == .string(aliasID))
        #expect(await h.error(.update, "entity-alias", ["name": "other", "mount_accessor": .string(Harness.userpass), "canonical_id": .string(first)])?.messages == [
            "Alias already exists for requested entity and mount accessor"
        ])
        // No change: 204.
        #expect(try await h.call(.update, "entity-alias/id/\(aliasID)", [:]) == nil)
        #expect(await h.error(.update, "entity-alias/id/\(aliasID)", ["canonical_id": "nope"])?.messages == [
            "given 'canonical_id' is not associated with an entity"
        ])
        #expect(await h.error(.update, "entity-alias", ["id": "nope", "name": "x"])?.messages == ["invalid alias ID provided"])
        let second = str(try await h.write("entity", ["name": "second"])["id"])
        let moved = try await h.write("entity-alias/id/\(aliasID)", ["canonical_id": .string(second), "custom_metadata": ["k": "v"]])
        #expect(moved["canonical_id"] == .string(second))
        #expect(try await h.read("entity/id/\(first)")["aliases"] == [])
        #expect(try await h.read("entity-alias/id/\(aliasID)")["custom_metadata"] == ["k": "v"])
        #expect(try await h.list("entity-alias/id")["keys"] == [.string(aliasID)])
        try await h.call(.delete, "entity-alias/id/\(aliasID)")
        #expect(await h.error(.list, "entity-alias/id")?.code == .notFound)
    }

    @Test func lookups() async throws {
        let h = Harness()
        let e = try await h.write("entity-alias", ["name": "bob", "mount_accessor": .string(Harness.approle)])
        #expect(await h.error(.update, "lookup/entity", [:])?.messages == ["query parameter not supplied"])
        #expect(await h.error(.update, "lookup/entity", ["alias_name": "bob"])?.messages == ["both 'alias_name' and 'alias_mount_accessor' needs to be set"])
        #expect(await h.error(.update, "lookup/entity", ["name": "a", "id": "b"])?.messages == [
            "query parameter conflict; please supply distinct set of query parameters"
        ])
        #expect(try await h.call(.update, "lookup/entity", ["name": "nope"]) == nil)
        let byAlias = try await h.write("lookup/entity", ["alias_name": "BOB", "alias_mount_accessor": .string(Harness.approle)])
        #expect(byAlias["id"] == e["canonical_id"])
        #expect(try await h.write("lookup/entity", ["alias_id": e["id"]!])["id"] == e["canonical_id"])
        #expect(await h.error(.read, "lookup/entity")?.code == .unsupportedOperation)
    }
}

@Suite struct GroupTests {
    @Test func nestedGroupsAndPolicies() async throws {
        let h = Harness()
        let login = try await h.store.resolveLogin(
            mountAccessor: Harness.userpass, mountType: "userpass", mountPath: "auth/userpass/", alias: AuthAlias(name: "bob"))
        let g1 = str(try await h.write("group", ["name": "g1", "policies": ["gp1"], "member_entity_ids": [.string(login.id)], "metadata": ["k": "v"]])["id"])
        let g2 = str(try await h.write("group", ["name": "g2", "policies": "gp2,gp3", "member_group_ids": .string(g1)])["id"])
        let g3 = str(try await h.write("group", ["name": "g3", "member_group_ids": [.string(g2)]])["id"])
        _ = try await h.write("entity/id/\(login.id)", ["policies": ["own"]])
        #expect(try await h.store.policies(entityID: login.id) == ["own", "gp1", "gp2", "gp3"])
        let read = try await h.read("entity/id/\(login.id)")
        #expect(read["direct_group_ids"] == [.string(g1)])
        #expect(read["inherited_group_ids"] == [.string(g2), .string(g3)])
        #expect(read["group_ids"] == [.string(g1), .string(g2), .string(g3)])
        let group = try await h.read("group/id/\(g1)")
        #expect(group["parent_group_ids"] == [.string(g2)])
        #expect(group["member_group_ids"] == .null)
        #expect(group["modify_index"] == 2)
        #expect(group["alias"] == [:])
        #expect(group["type"] == "internal")
        #expect(try await h.read("group/name/G2")["member_group_ids"] == [.string(g1)])
        #expect(await h.error(.update, "group/id/\(g1)", ["member_group_ids": .string(g3)])?.messages == [
            "cyclic relationship detected for member group ID \"\(g3)\""
        ])
        #expect(await h.error(.update, "group/id/\(g1)", ["member_group_ids": .string(g1)])?.code == .internal)
        #expect(await h.error(.update, "group", ["name": "gz", "member_entity_ids": "nope"])?.messages == ["1 error occurred:\n\t* invalid entity ID \"nope\"\n\n"])
        let values = try await h.store.templateValues(entityID: login.id)
        #expect(values["identity.entity.aliases.\(Harness.userpass).name"] == "bob")
        #expect(values["identity.groups.names.g1.id"] == g1)
        #expect(values["identity.groups.ids.\(g1).metadata.k"] == "v")
        // Disabled entities get nothing.
        _ = try await h.write("entity/id/\(login.id)", ["disabled": true])
        #expect(try await h.store.policies(entityID: login.id) == [])
        // Deleting the entity empties the group's members.
        try await h.call(.delete, "entity/id/\(login.id)")
        #expect(try await h.read("group/id/\(g1)")["member_entity_ids"] == [])
    }

    @Test func groupUpdates() async throws {
        let h = Harness()
        let created = try await h.write("group", ["name": "g"])
        let id = str(created["id"])
        #expect(try await h.call(.update, "group", ["name": "g", "policies": "a"]) == nil)
        #expect(await h.error(.update, "group", ["name": "g", "type": "external"])?.messages == ["group type cannot be changed"])
        #expect(await h.error(.update, "group", ["name": "x", "type": "cosmic"])?.messages == ["invalid group type \"cosmic\""])
        #expect(await h.error(.update, "group", ["name": "x", "type": "external", "member_entity_ids": "a"])?.messages == [
            "member entities can't be set manually for external groups"
        ])
        #expect(await h.error(.update, "group/id/nope", ["name": "x"])?.messages == ["invalid group ID"])
        _ = try await h.write("group", ["name": "other"])
        #expect(await h.error(.update, "group/id/\(id)", ["name": "other"])?.messages == ["group name is already in use"])
        let ext = try await h.write("group", ["type": "external"])
        #expect(str(ext["name"]).hasPrefix("group_"))
        let read = try await h.read("group/id/\(str(ext["id"]))")
        #expect(read["member_entity_ids"] == .null)
        #expect(read["policies"] == .null)
        #expect(try await h.list("group/name")["keys"]?.arrayValue?.count == 3)
        try await h.call(.delete, "group/name/g")
        #expect(await h.error(.read, "group/id/\(id)")?.code == .notFound)
    }

    @Test func groupAliases() async throws {
        let h = Harness()
        let ext = str(try await h.write("group", ["name": "ext", "type": "external"])["id"])
        let internalGroup = str(try await h.write("group", ["name": "int"])["id"])
        #expect(await h.error(.update, "group-alias", ["name": "a", "mount_accessor": .string(Harness.approle), "canonical_id": .string(internalGroup)])?.messages == [
            "alias can't be set on an internal group"
        ])
        #expect(await h.error(.update, "group-alias", ["name": "a"])?.messages == ["missing mount_accessor"])
        #expect(await h.error(.update, "group-alias", ["mount_accessor": .string(Harness.approle)])?.messages == ["missing alias name"])
        let a = try await h.write("group-alias", ["name": "a", "mount_accessor": .string(Harness.approle), "canonical_id": .string(ext)])
        let aliasID = str(a["id"])
        #expect(await h.error(.update, "group-alias", ["name": "A", "mount_accessor": .string(Harness.approle)])?.messages == [
            "combination of mount and group alias name is already in use"
        ])
        // Unchanged: 204.
        #expect(try await h.call(.update, "group-alias", ["id": .string(aliasID), "name": "a", "mount_accessor": .string(Harness.approle)]) == nil)
        let group = try await h.read("group/id/\(ext)")
        #expect(group["alias"]?["mount_path"] == "auth/approle/")
        #expect(group["modify_index"] == 2)
        // Without canonical_id a new external group is made.
        let b = try await h.write("group-alias", ["name": "b", "mount_accessor": .string(Harness.approle)])
        let made = try await h.read("group/id/\(str(b["canonical_id"]))")
        #expect(made["type"] == "external")
        #expect(try await h.write("lookup/group", ["alias_name": "b", "alias_mount_accessor": .string(Harness.approle)])["id"] == b["canonical_id"])
        #expect(try await h.write("lookup/group", ["alias_id": .string(aliasID)])["id"] == .string(ext))
        #expect(try await h.list("group-alias/id")["keys"]?.arrayValue?.count == 2)
        let readAlias = try await h.read("group-alias/id/\(aliasID)")
        #expect(readAlias["canonical_id"] == .string(ext))
        #expect(readAlias["namespace_id"] == "root")
        // A second alias for the same group replaces the first.
        _ = try await h.write("group-alias", ["name": "c", "mount_accessor": .string(Harness.userpass), "canonical_id": .string(ext)])
        #expect(await h.error(.read, "group-alias/id/\(aliasID)")?.code == .notFound)
        try await h.call(.delete, "group-alias/id/\(str(b["id"]))")
        #expect(try await h.read("group/id/\(str(b["canonical_id"]))")["alias"] == [:])
    }
}

@Suite struct ResolverTests {
    @Test func loginCreatesThenReuses() async throws {
        let h = Harness()
        let first = try await h.store.resolveLogin(
            mountAccessor: Harness.approle, mountType: "approle", mountPath: "auth/approle/",
            alias: AuthAlias(name: "role-id", metadata: ["role_name": "r"]))
        #expect(first.name.hasPrefix("entity_"))
        let second = try await h.store.resolveLogin(
            mountAccessor: Harness.approle, mountType: "approle", mountPath: "auth/approle/", alias: AuthAlias(name: "role-id"))
        #expect(second.id == first.id)
        #expect(second.aliasID == first.aliasID)
        let alias = try await h.read("entity-alias/id/\(first.aliasID)")
        #expect(alias["metadata"] == .null)
        #expect(alias["custom_metadata"] == .null)
        #expect(try await h.store.policies(entityID: "nope") == [])
    }

    @Test func survivesRestart() async throws {
        let h = Harness()
        let login = try await h.store.resolveLogin(
            mountAccessor: Harness.userpass, mountType: "userpass", mountPath: "auth/userpass/", alias: AuthAlias(name: "bob"))
        let g = str(try await h.write("group", ["name": "g", "policies": "p", "member_entity_ids": .string(login.id)])["id"])
        let restarted = Harness(sharing: h)
        #expect(try await restarted.store.policies(entityID: login.id) == ["p"])
        #expect(try await restarted.read("group/id/\(g)")["member_entity_ids"] == [.string(login.id)])
        let again = try await restarted.store.resolveLogin(
            mountAccessor: Harness.userpass, mountType: "userpass", mountPath: "auth/userpass/", alias: AuthAlias(name: "bob"))
        #expect(again.id == login.id)
    }

    @Test func concurrentLoginsMakeOneEntity() async throws {
        let h = Harness()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await h.store.resolveLogin(
                        mountAccessor: Harness.userpass, mountType: "userpass", mountPath: "auth/userpass/",
                        alias: AuthAlias(name: "carol")
                    ).id
                }
            }
            var out: Set<String> = []
            for try await id in group { out.insert(id) }
            return out
        }
        #expect(ids.count == 1)
    }
}
