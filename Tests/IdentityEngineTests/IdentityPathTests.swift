import CofferSDK
import CofferTesting
import Foundation
import IdentityEngine
import Testing

/// What the declared paths give, as OpenBao 2.7.2 answers (each checked against a `bao server -dev`).
@Suite struct IdentityPathTests {
    @Test func namesMayHoldSlashes() async throws {
        let h = Harness()
        let created = try await h.write("entity/name/team/alice", ["policies": "p"])
        #expect(created["name"] == "team/alice")
        #expect(try await h.read("entity/name/TEAM/Alice")["id"] == created["id"])
        #expect(try await h.write("group/name/ops/oncall")["name"] == "ops/oncall")
        #expect(try await h.read("group/name/ops/oncall")["type"] == "internal")
    }

    @Test func unknownFieldsAreNamedInAWarning() async throws {
        let h = Harness()
        let resp = try await h.call(.update, "entity", ["name": "w", "bogus": 1, "also": "x"])
        #expect(resp?.warnings == ["Endpoint ignored these unrecognized parameters: [also bogus]"])
    }

    @Test func fieldsAreCheckedBeforeTheHandler() async throws {
        let h = Harness()
        #expect(await h.error(.update, "entity", ["name": "x", "disabled": "maybe"])?.messages == [
            "Field validation failed: error converting input for field \"disabled\": '' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"
        ])
        // Key-value pairs are not split on commas: one pair whose value holds the rest.
        _ = try await h.write("entity", ["name": "kv", "metadata": "a=b,c=d"])
        #expect(try await h.read("entity/name/kv")["metadata"] == ["a": "b,c=d"])
        // A null sets no metadata at all.
        _ = try await h.write("entity/name/kv", ["metadata": .null])
        #expect(try await h.read("entity/name/kv")["metadata"] == .null)
    }

    @Test func policiesAreSanitized() async throws {
        let h = Harness()
        _ = try await h.write("entity", ["name": "e", "policies": "b, a,B,,c"])
        #expect(try await h.read("entity/name/e")["policies"] == ["a", "b", "c"])
        _ = try await h.write("group", ["name": "g", "policies": ["b", " a", "B", ""]])
        #expect(try await h.read("group/name/g")["policies"] == ["a", "b"])
        #expect(await h.error(.update, "entity", ["name": "r", "policies": "ROOT"])?.messages == ["policies cannot contain root"])
    }

    @Test func idsSentEmptyCount() async throws {
        let h = Harness()
        #expect(await h.error(.update, "group", ["id": ""])?.messages == ["empty group ID"])
        #expect(await h.error(.update, "group", ["id": .null, "name": "x"])?.messages == ["empty group ID"])
        #expect(await h.error(.update, "group-alias", ["id": .null, "name": "x"])?.messages == ["empty group alias ID"])
        // A criterion sent as null is still one criterion: nothing matches it.
        #expect(try await h.call(.update, "lookup/entity", ["id": .null]) == nil)
        let e = await h.error(.update, "entity/batch-delete", ["entity_ids": [""]])
        #expect(e?.code == .internal)
        #expect(e?.messages == ["1 error occurred:\n\t* missing entity id\n\n"])
    }

    @Test func deprecatedAliasAndPersonaPaths() async throws {
        let h = Harness()
        let entity = str(try await h.write("entity", ["name": "owner"])["id"])
        // `entity_id` is the older name of `canonical_id`, on `alias` as on `entity-alias`.
        let alias = try await h.write("alias", ["name": "bob", "mount_accessor": .string(Harness.userpass), "entity_id": .string(entity)])
        #expect(alias["canonical_id"] == .string(entity))
        let id = str(alias["id"])
        #expect(try await h.read("alias/id/\(id)")["name"] == "bob")
        #expect(try await h.read("persona/id/\(id)")["name"] == "bob")
        #expect(try await h.list("persona/id")["keys"] == [.string(id)])
        // `alias` paths take no custom metadata.
        let resp = try await h.call(.update, "alias/id/\(id)", ["custom_metadata": "a=b"])
        #expect(resp == nil)
        // A write to `persona` writes an entity, as OpenBao's does.
        #expect(try await h.write("persona", ["name": "p1"])["name"] == "p1")
        #expect(try await h.read("entity/name/p1") != nil)
        try await h.call(.delete, "persona/id/\(id)")
        #expect(await h.error(.read, "entity-alias/id/\(id)")?.code == .notFound)
    }

    @Test func routingErrors() async throws {
        let h = Harness()
        let noRoute = await h.error(.read, "entity/id/a/b")
        #expect(noRoute?.code == .unsupportedPath)
        #expect(noRoute?.messages == ["1 error occurred:\n\t* unsupported path\n\n"])
        let noOperation = await h.error(.delete, "entity")
        #expect(noOperation?.code == .unsupportedOperation)
        #expect(noOperation?.messages == ["1 error occurred:\n\t* unsupported operation\n\n"])
        #expect(h.store.pathDescriptions.count == IdentityStore.router.paths.count)
    }
}
