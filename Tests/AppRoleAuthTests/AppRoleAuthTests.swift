import CofferSDK
import CofferTesting
import Foundation
import Logging
import Testing

@testable import AppRoleAuth

/// A mounted approle engine over in-memory storage.
struct Harness {
    let engine = makeAppRoleAuth(EngineConfiguration(mountPath: "auth/approle/", type: "approle", logger: Logger(label: "test")))
    let storage = InMemoryPhysicalBackend()

    func request(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remote: String? = "127.0.0.1",
        auth: AuthInfo? = nil) -> LogicalRequest
    {
        LogicalRequest(operation: op, path: path, data: data, storage: storage, mountPoint: "auth/approle/", mountType: "approle",
            remoteAddress: remote, auth: auth)
    }

    @discardableResult
    func call(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remote: String? = "127.0.0.1",
        auth: AuthInfo? = nil) async throws -> LogicalResponse?
    {
        try await EngineDispatch.send(engine, request(op, path, data, remote: remote, auth: auth))
    }

    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remote: String? = "127.0.0.1")
        async -> LogicalError?
    {
        do {
            _ = try await call(op, path, data, remote: remote)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError(.internal, "\(error)")
        }
    }

    func roleID(_ name: String) async throws -> String {
        try await call(.read, "role/\(name)/role-id")?.data?["role_id"]?.stringValue ?? ""
    }

    func secretID(_ name: String, _ data: [String: JSONValue] = [:]) async throws -> (id: String, accessor: String) {
        let d = try await call(.update, "role/\(name)/secret-id", data)?.data ?? [:]
        return (d["secret_id"]?.stringValue ?? "", d["secret_id_accessor"]?.stringValue ?? "")
    }
}

func isUUID(_ s: String) -> Bool {
    let parts = s.split(separator: "-").map(\.count)
    return parts == [8, 4, 4, 4, 12] && s.allSatisfy { $0.isHexDigit || $0 == "-" } && s == s.lowercased()
}

@Suite struct RoleTests {
    @Test func createReadListDelete() async throws {
        let h = Harness()
        #expect(await h.error(.list, "role")?.code == .notFound)
        #expect(try await h.call(.update, "role/Web", [:]) == nil)
        let data = try #require(try await h.call(.read, "role/web")?.data)
        #expect(data["bind_secret_id"] == true)
        #expect(data["secret_id_bound_cidrs"] == .null)
        #expect(data["token_bound_cidrs"] == [])
        #expect(data["token_policies"] == [])
        #expect(data["token_type"] == "default")
        #expect(data["token_strictly_bind_ip"] == false)
        #expect(data["policies"] == nil)
        #expect(data["period"] == nil)
        #expect(data.count == 15)
        #expect(try await h.call(.list, "role/")?.data?["keys"] == ["web"])
        #expect(isUUID(try await h.roleID("web")))
        #expect(try await h.engine.existenceCheck(h.request(.update, "role/web")) == true)
        #expect(try await h.engine.existenceCheck(h.request(.update, "role/other")) == false)
        #expect(try await h.call(.delete, "role/web") == nil)
        #expect(await h.error(.read, "role/web")?.code == .notFound)
        #expect(try await h.call(.delete, "role/web") == nil)
    }

    @Test func allFields() async throws {
        let h = Harness()
        try await h.call(.update, "role/full", [
            "secret_id_bound_cidrs": "127.0.0.1/32,10.0.0.0/8", "secret_id_num_uses": 3, "secret_id_ttl": "10m",
            "local_secret_ids": true, "token_policies": ["p1", "P2"], "token_ttl": "1h", "token_max_ttl": 7200,
            "token_num_uses": 5, "token_bound_cidrs": "127.0.0.1/32", "token_explicit_max_ttl": "3h",
            "token_no_default_policy": true, "token_type": "service",
        ])
        let d = try #require(try await h.call(.read, "role/full")?.data)
        #expect(d["secret_id_bound_cidrs"] == ["127.0.0.1/32", "10.0.0.0/8"])
        #expect(d["secret_id_ttl"] == 600)
        #expect(d["local_secret_ids"] == true)
        #expect(d["token_policies"] == ["p1", "P2"])
        #expect(d["token_ttl"] == 3600)
        #expect(d["token_max_ttl"] == 7200)
        #expect(d["token_explicit_max_ttl"] == 10800)
        #expect(d["token_bound_cidrs"] == ["127.0.0.1"])
        #expect(d["token_type"] == "service")
        #expect(await h.error(.update, "role/full", ["local_secret_ids": false])?.messages
            == ["local_secret_ids can only be modified during role creation"])
    }

    @Test func legacyFields() async throws {
        let h = Harness()
        try await h.call(.update, "role/leg", ["policies": "B,a,a", "period": "1h"])
        var d = try #require(try await h.call(.read, "role/leg")?.data)
        #expect(d["policies"] == ["a", "b"])
        #expect(d["token_policies"] == ["a", "b"])
        #expect(d["period"] == 3600)
        #expect(d["token_period"] == 3600)
        try await h.call(.update, "role/leg", ["token_policies": "c"])
        d = try #require(try await h.call(.read, "role/leg")?.data)
        #expect(d["policies"] == nil)
        #expect(d["token_policies"] == ["c"])
        #expect(d["period"] == 3600)
    }

    @Test func validationErrors() async throws {
        let h = Harness()
        #expect(await h.error(.update, "role/x", ["token_type": "bad_token"])?.messages == ["invalid 'token_type' value \"bad_token\""])
        let c = await h.error(.update, "role/x", ["bind_secret_id": false])
        #expect(c?.code == .internal)
        #expect(c?.messages == ["1 error occurred:\n\t* at least one constraint should be enabled on the role\n\n"])
        #expect(await h.error(.update, "role/x", ["token_ttl": "2h", "token_max_ttl": "1h"])?.messages
            == ["'token_ttl' cannot be greater than 'token_max_ttl'"])
        #expect(await h.error(.update, "role/x", ["secret_id_bound_cidrs": "notacidr"])?.messages
            == ["1 error occurred:\n\t* failed to validate CIDR blocks: invalid CIDR address: notacidr\n\n"])
        #expect(await h.error(.update, "role/x", ["secret_id_num_uses": -1])?.messages == ["secret_id_num_uses cannot be negative"])
        #expect(await h.error(.update, "role/x", ["token_num_uses": -1])?.messages == ["'token_num_uses' cannot be negative"])
        #expect(await h.error(.update, "role/x", ["secret_id_ttl": -5])?.messages
            == ["error converting input for field \"secret_id_ttl\": cannot provide negative value '-5'"])
        #expect(await h.error(.update, "role/x", ["token_type": "batch", "token_period": "1h"])?.messages
            == ["'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"])
        #expect(await h.error(.update, "role/bad name")?.code == .unsupportedPath)
        #expect(await h.error(.update, "role/-a")?.code == .unsupportedPath)
        let w = try await h.call(.update, "role/x", ["token_type": "default-service"])
        #expect(w?.warnings == ["default-service has no useful meaning; adjusting to service"])
        #expect(try await h.call(.update, "role/nb", ["bind_secret_id": false, "token_bound_cidrs": "127.0.0.1/32"]) == nil)
        #expect(await h.error(.read, "role")?.code == .unsupportedOperation)
    }

    @Test func roleIDUpdates() async throws {
        let h = Harness()
        try await h.call(.update, "role/a", ["role_id": "custom-a"])
        #expect(try await h.roleID("a") == "custom-a")
        try await h.call(.update, "role/b")
        #expect(await h.error(.update, "role/b/role-id", ["role_id": "custom-a"])?.messages
            == ["1 error occurred:\n\t* role_id already in use\n\n"])
        #expect(await h.error(.update, "role/b/role-id", [:])?.messages == ["missing role_id"])
        #expect(await h.error(.update, "role/nope/role-id", ["role_id": "z"])?.code == .unsupportedPath)
        #expect(await h.error(.read, "role/nope/role-id")?.code == .notFound)
        try await h.call(.update, "role/b/role-id", ["role_id": "custom-b"])
        #expect(try await h.roleID("b") == "custom-b")
        // The old role id no longer logs in; the new one does.
        let s = try await h.secretID("b")
        #expect(await h.error(.update, "login", ["role_id": "old", "secret_id": .string(s.id)])?.code == .invalidCredentials)
        #expect(try await h.call(.update, "login", ["role_id": "custom-b", "secret_id": .string(s.id)])?.auth != nil)
    }

    @Test func fieldSubPaths() async throws {
        let h = Harness()
        try await h.call(.update, "role/s", [:])
        try await h.call(.update, "role/s/policies", ["policies": "Zed,a"])
        #expect(try await h.call(.read, "role/s/policies")?.data == ["policies": ["a", "zed"], "token_policies": ["a", "zed"]])
        try await h.call(.delete, "role/s/policies")
        #expect(try await h.call(.read, "role/s/policies")?.data == ["token_policies": []])
        #expect(await h.error(.update, "role/s/policies", [:])?.messages == ["missing token_policies"])
        try await h.call(.update, "role/s/token-ttl", ["token_ttl": "1m"])
        #expect(try await h.call(.read, "role/s/token-ttl")?.data == ["token_ttl": 60])
        #expect(await h.error(.update, "role/s/token-max-ttl", ["token_max_ttl": 10])?.messages
            == ["token_max_ttl should be greater than or equal to token_ttl"])
        try await h.call(.update, "role/s/token-max-ttl", ["token_max_ttl": 100])
        #expect(await h.error(.update, "role/s/token-ttl", ["token_ttl": 101])?.messages
            == ["token_ttl should not be greater than token_max_ttl"])
        #expect(await h.error(.update, "role/s/token-ttl", ["token_ttl": -1])?.messages
            == ["Field validation failed: error converting input for field \"token_ttl\": cannot provide negative value '-1'"])
        try await h.call(.update, "role/s/period", ["period": 100])
        #expect(try await h.call(.read, "role/s/period")?.data == ["period": 100, "token_period": 100])
        try await h.call(.delete, "role/s/period")
        #expect(try await h.call(.read, "role/s/period")?.data == ["token_period": 0])
        #expect(await h.error(.update, "role/s/period", [:])?.messages == ["missing period"])
        try await h.call(.update, "role/s/secret-id-num-uses", ["secret_id_num_uses": 5])
        #expect(try await h.call(.read, "role/s/secret-id-num-uses")?.data == ["secret_id_num_uses": 5])
        #expect(await h.error(.update, "role/s/secret-id-num-uses", ["secret_id_num_uses": -1])?.messages
            == ["secret_id_num_uses cannot be negative"])
        try await h.call(.update, "role/s/token-num-uses", ["token_num_uses": 4])
        #expect(try await h.call(.read, "role/s/token-num-uses")?.data == ["token_num_uses": 4])
        try await h.call(.update, "role/s/secret-id-ttl", ["secret_id_ttl": "1h"])
        #expect(try await h.call(.read, "role/s/secret-id-ttl")?.data == ["secret_id_ttl": 3600])
        try await h.call(.update, "role/s/token-bound-cidrs", ["token_bound_cidrs": ["10.0.0.1/32"]])
        #expect(try await h.call(.read, "role/s/token-bound-cidrs")?.data == ["token_bound_cidrs": ["10.0.0.1"]])
        try await h.call(.delete, "role/s/token-bound-cidrs")
        #expect(try await h.call(.read, "role/s/token-bound-cidrs")?.data == ["token_bound_cidrs": .null])
        #expect(await h.error(.update, "role/s/secret-id-bound-cidrs", ["secret_id_bound_cidrs": "10.0.0.1"])?.messages
            == ["failed to validate CIDR blocks: invalid CIDR address: 10.0.0.1"])
        try await h.call(.update, "role/s/secret-id-bound-cidrs", ["secret_id_bound_cidrs": "10.0.0.0/8"])
        #expect(try await h.call(.read, "role/s/secret-id-bound-cidrs")?.data == ["secret_id_bound_cidrs": ["10.0.0.0/8"]])
        #expect(try await h.call(.read, "role/s/local-secret-ids")?.data == ["local_secret_ids": false])
        #expect(await h.error(.update, "role/s/local-secret-ids", ["local_secret_ids": true])?.code == .unsupportedOperation)
        #expect(await h.error(.read, "role/s/bind-secret-id")?.code == .unsupportedPath)
        #expect(await h.error(.read, "role/nope/token-ttl")?.code == .notFound)
        #expect(await h.error(.update, "role/nope/token-ttl", ["token_ttl": 1])?.code == .unsupportedPath)
        #expect(try await h.call(.delete, "role/nope/token-ttl") == nil)
    }
}

@Suite struct SecretIDTests {
    @Test func generateLookupDestroy() async throws {
        let h = Harness()
        try await h.call(.update, "role/r", ["secret_id_ttl": "1h", "secret_id_num_uses": 3])
        let resp = try #require(try await h.call(.update, "role/r/secret-id", [
            "metadata": "{\"foo\":\"bar\"}", "cidr_list": "127.0.0.1/32", "token_bound_cidrs": "127.0.0.1/32", "ttl": 60, "num_uses": 2,
        ])?.data)
        let sid = try #require(resp["secret_id"]?.stringValue)
        let acc = try #require(resp["secret_id_accessor"]?.stringValue)
        #expect(isUUID(sid) && isUUID(acc))
        #expect(resp["secret_id_num_uses"] == 2 && resp["secret_id_ttl"] == 60)
        // Defaults come from the role.
        let d2 = try #require(try await h.call(.update, "role/r/secret-id")?.data)
        #expect(d2["secret_id_num_uses"] == 3 && d2["secret_id_ttl"] == 3600)

        let look = try #require(try await h.call(.update, "role/r/secret-id/lookup", ["secret_id": .string(sid)])?.data)
        #expect(look["metadata"] == ["foo": "bar"])
        #expect(look["cidr_list"] == ["127.0.0.1/32"])
        #expect(look["secret_id_accessor"] == .string(acc))
        #expect(look["secret_id_num_uses"] == 2)
        #expect(look.keys.sorted() == [
            "cidr_list", "creation_time", "expiration_time", "last_updated_time", "metadata", "secret_id_accessor",
            "secret_id_num_uses", "secret_id_ttl", "token_bound_cidrs",
        ])
        let byAcc = try #require(try await h.call(.update, "role/r/secret-id-accessor/lookup", ["secret_id_accessor": .string(acc)])?.data)
        #expect(byAcc == look)
        #expect(try await h.call(.list, "role/r/secret-id/")?.data?["keys"]?.arrayValue?.count == 2)

        #expect(try await h.call(.update, "role/r/secret-id/lookup", ["secret_id": "nope"]) == nil)
        #expect(await h.error(.update, "role/r/secret-id/lookup", [:])?.messages == ["missing secret_id"])
        let missingAcc = try await h.call(.update, "role/r/secret-id-accessor/lookup", ["secret_id_accessor": "nope"])
        #expect(missingAcc?.httpStatus == 404)
        #expect(missingAcc?.data == ["error": "failed to find accessor entry for secret_id_accessor: \"nope\""])
        #expect(await h.error(.update, "role/nope/secret-id/lookup", ["secret_id": .string(sid)])?.messages
            == ["1 error occurred:\n\t* role \"nope\" does not exist\n\n"])

        #expect(try await h.call(.update, "role/r/secret-id/destroy", ["secret_id": .string(sid)]) == nil)
        #expect(try await h.call(.update, "role/r/secret-id/lookup", ["secret_id": .string(sid)]) == nil)
        #expect(try await h.call(.update, "role/r/secret-id/destroy", ["secret_id": .string(sid)]) == nil)
        #expect(await h.error(.update, "role/r/secret-id-accessor/destroy", ["secret_id_accessor": "nope"])?.messages
            == ["1 error occurred:\n\t* failed to find accessor entry for secret_id_accessor: \"nope\"\n\n"])
        let acc2 = try #require(d2["secret_id_accessor"]?.stringValue)
        #expect(try await h.call(.delete, "role/r/secret-id-accessor/destroy", ["secret_id_accessor": .string(acc2)]) == nil)
        #expect(await h.error(.list, "role/r/secret-id/")?.code == .notFound)
        #expect(await h.error(.read, "role/r/secret-id")?.code == .unsupportedOperation)
    }

    @Test func generationErrors() async throws {
        let h = Harness()
        try await h.call(.update, "role/r", ["secret_id_ttl": "1h", "secret_id_num_uses": 3, "secret_id_bound_cidrs": "10.0.0.0/8"])
        #expect(await h.error(.update, "role/r/secret-id", ["metadata": "bad"])?.messages
            == ["failed to parse metadata: failed to parse the input: invalid <key,value> format"])
        #expect(await h.error(.update, "role/r/secret-id", ["metadata": ["a": "b"]])?.messages
            == ["Field validation failed: error converting input for field \"metadata\": '' expected type 'string', got unconvertible type 'map[string]interface {}'"])
        #expect(await h.error(.update, "role/r/secret-id", ["ttl": 7200])?.messages == ["ttl cannot be longer than the role's secret_id_ttl"])
        #expect(await h.error(.update, "role/r/secret-id", ["num_uses": 5])?.messages
            == ["num_uses cannot be higher than the role's secret_id_num_uses"])
        #expect(await h.error(.update, "role/r/secret-id", ["num_uses": -1])?.messages == ["num_uses cannot be negative"])
        #expect(await h.error(.update, "role/r/secret-id", ["cidr_list": "10.0.0.1"])?.messages
            == ["1 error occurred:\n\t* failed to validate CIDR blocks: invalid CIDR address: 10.0.0.1\n\n"])
        #expect(await h.error(.update, "role/r/secret-id", ["cidr_list": "192.168.0.0/16"])?.messages == [
            "1 error occurred:\n\t* failed to verify subset relationship between CIDR blocks on the role [\"10.0.0.0/8\"] and CIDR blocks on the secret ID [\"192.168.0.0/16\"]: %!w(<nil>)\n\n"
        ])
        #expect(try await h.call(.update, "role/r/secret-id", ["cidr_list": "10.1.0.0/16"])?.data != nil)
        let missing = await h.error(.update, "role/nope/secret-id")
        #expect(missing?.code == .notFound && missing?.messages == ["role \"nope\" does not exist"])
        #expect(await h.error(.list, "role/nope/secret-id")?.messages == ["role \"nope\" does not exist"])
    }

    @Test func customSecretID() async throws {
        let h = Harness()
        try await h.call(.update, "role/c", ["role_id": "c-rid"])
        let d = try #require(try await h.call(.update, "role/c/custom-secret-id", ["secret_id": "my-secret", "metadata": "a=b"])?.data)
        #expect(d["secret_id"] == "my-secret")
        #expect(await h.error(.update, "role/c/custom-secret-id", ["secret_id": "my-secret"])?.messages
            == ["1 error occurred:\n\t* failed to store secret_id: SecretID is already registered\n\n"])
        #expect(await h.error(.update, "role/c/custom-secret-id", [:])?.messages == ["missing secret_id"])
        let auth = try #require(try await h.call(.update, "login", ["role_id": "c-rid", "secret_id": "my-secret"])?.auth)
        #expect(auth.metadata == ["a": "b", "role_name": "c"])
    }

    @Test func secretsAreStoredHashed() async throws {
        let h = Harness()
        try await h.call(.update, "role/h")
        try await h.call(.update, "role/h/custom-secret-id", ["secret_id": "plain-text-secret-value"])
        for key in h.storage.allKeys {
            let value = String(decoding: try #require(try await h.storage.get(key)), as: UTF8.self)
            #expect(!value.contains("plain-text-secret-value"))
            #expect(!key.contains("plain-text-secret-value"))
        }
    }

    @Test func tidyRemovesExpired() async throws {
        let h = Harness()
        try await h.call(.update, "role/t")
        let s = try await h.secretID("t", ["ttl": 1])
        _ = try await h.secretID("t")
        try await Task.sleep(for: .milliseconds(1100))
        let r = try #require(try await h.call(.update, "tidy/secret-id"))
        #expect(r.httpStatus == 202)
        #expect(r.warnings.count == 1)
        #expect(try await h.call(.update, "role/t/secret-id/lookup", ["secret_id": .string(s.id)]) == nil)
        #expect(try await h.call(.list, "role/t/secret-id")?.data?["keys"]?.arrayValue?.count == 1)
        #expect(!h.storage.allKeys.contains("accessor/" + s.accessor))
    }

    @Test func deletingRoleRemovesSecretIDs() async throws {
        let h = Harness()
        try await h.call(.update, "role/d", ["role_id": "d-rid"])
        let s = try await h.secretID("d")
        try await h.call(.delete, "role/d")
        #expect(h.storage.allKeys.allSatisfy { !$0.hasPrefix("secret_id/") && !$0.hasPrefix("accessor/") && !$0.hasPrefix("role") })
        try await h.call(.update, "role/d", ["role_id": "d-rid"])
        #expect(await h.error(.update, "login", ["role_id": "d-rid", "secret_id": .string(s.id)])?.code == .invalidCredentials)
    }
}

@Suite struct LoginTests {
    @Test func loginIssuesAuth() async throws {
        let h = Harness()
        try await h.call(.update, "role/web", [
            "token_policies": "a", "token_ttl": "10m", "token_max_ttl": "20m", "token_num_uses": 3, "token_type": "service",
        ])
        let rid = try await h.roleID("web")
        let s = try await h.secretID("web", ["metadata": "{\"foo\":\"bar\"}"])
        let resp = try #require(try await h.call(.update, "login", ["role_id": .string(rid), "secret_id": .string(s.id)]))
        let auth = try #require(resp.auth)
        #expect(auth.policies == ["a"])
        #expect(auth.metadata == ["foo": "bar", "role_name": "web"])
        #expect(auth.ttl == 600 && auth.maxTTL == 1200 && auth.numUses == 3)
        #expect(auth.renewable)
        #expect(auth.tokenType == "service")
        #expect(auth.alias == AuthAlias(name: rid, metadata: ["foo": "bar", "role_name": "web"]))
        #expect(auth.internalData == ["role_name": "web", "secret_id_accessor": s.accessor])
        #expect(h.engine.loginIdentifier(h.request(.update, "login", ["role_id": .string(rid)])) == rid)
        #expect(h.engine.loginIdentifier(h.request(.update, "role/web", ["role_id": .string(rid)])) == nil)
        #expect(h.engine.specialPaths.unauthenticated == ["login"])
    }

    @Test func wrongCredentialsGiveOneAnswer() async throws {
        let h = Harness()
        try await h.call(.update, "role/web", ["role_id": "rid"])
        let s = try await h.secretID("web")
        let bad: [[String: JSONValue]] = [
            ["role_id": "rid", "secret_id": "wrong"], ["role_id": "wrong", "secret_id": .string(s.id)], ["role_id": "wrong", "secret_id": "x"],
        ]
        for data in bad {
            let e = await h.error(.update, "login", data)
            #expect(e?.code == .invalidCredentials)
            #expect(e?.messages == ["invalid role or secret ID"])
        }
        #expect(await h.error(.update, "login", ["role_id": "rid"])?.messages == ["missing secret_id"])
        let e = await h.error(.update, "login", [:])
        #expect(e?.code == .internal && e?.messages == ["missing role_id"])
    }

    @Test func numUsesAreConsumed() async throws {
        let h = Harness()
        try await h.call(.update, "role/n", ["role_id": "n-rid"])
        let s = try await h.secretID("n", ["num_uses": 2])
        let login: [String: JSONValue] = ["role_id": "n-rid", "secret_id": .string(s.id)]
        try await h.call(.update, "login", login)
        #expect(try await h.call(.update, "role/n/secret-id/lookup", ["secret_id": .string(s.id)])?.data?["secret_id_num_uses"] == 1)
        try await h.call(.update, "login", login)
        #expect(await h.error(.update, "login", login)?.code == .invalidCredentials)
        #expect(!h.storage.allKeys.contains("accessor/" + s.accessor))
    }

    @Test func concurrentLoginsNeverExceedNumUses() async throws {
        let h = Harness()
        try await h.call(.update, "role/n", ["role_id": "n-rid"])
        let s = try await h.secretID("n", ["num_uses": 5])
        let successes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    (try? await h.call(.update, "login", ["role_id": "n-rid", "secret_id": .string(s.id)])) != nil
                }
            }
            var n = 0
            for await ok in group where ok { n += 1 }
            return n
        }
        #expect(successes == 5)
    }

    @Test func expiredSecretID() async throws {
        let h = Harness()
        try await h.call(.update, "role/e", ["role_id": "e-rid"])
        let s = try await h.secretID("e", ["ttl": 1])
        try await Task.sleep(for: .milliseconds(1100))
        #expect(await h.error(.update, "login", ["role_id": "e-rid", "secret_id": .string(s.id)])?.messages == ["invalid role or secret ID"])
    }

    @Test func cidrChecks() async throws {
        let h = Harness()
        try await h.call(.update, "role/c", ["role_id": "c-rid"])
        let s = try await h.secretID("c", ["cidr_list": "10.0.0.0/8"])
        #expect(await h.error(.update, "login", ["role_id": "c-rid", "secret_id": .string(s.id)], remote: "127.0.0.1")?.messages
            == ["source address \"127.0.0.1\" unauthorized through CIDR restrictions on the secret ID"])
        #expect(try await h.call(.update, "login", ["role_id": "c-rid", "secret_id": .string(s.id)], remote: "10.2.3.4")?.auth != nil)

        try await h.call(.update, "role/r", ["role_id": "r-rid", "secret_id_bound_cidrs": "10.0.0.0/8"])
        let s2 = try await h.secretID("r")
        #expect(await h.error(.update, "login", ["role_id": "r-rid", "secret_id": .string(s2.id)])?.messages
            == ["source address \"127.0.0.1\" unauthorized by CIDR restrictions on the role: %!w(<nil>)"])
        #expect(try await h.call(.update, "login", ["role_id": "r-rid", "secret_id": .string(s2.id)], remote: "10.0.0.9")?.auth != nil)

        // Secret-ID token_bound_cidrs override the role's.
        let s3 = try await h.secretID("c", ["token_bound_cidrs": "10.1.0.0/16"])
        let auth = try await h.call(.update, "login", ["role_id": "c-rid", "secret_id": .string(s3.id)])?.auth
        #expect(auth?.boundCIDRs == ["10.1.0.0/16"])
    }

    @Test func roleIDOnlyLogin() async throws {
        let h = Harness()
        try await h.call(.update, "role/nb", [
            "bind_secret_id": false, "secret_id_bound_cidrs": "127.0.0.0/8", "token_bound_cidrs": "127.0.0.1", "token_policies": "x",
        ])
        try await h.call(.update, "role/nb/role-id", ["role_id": "nb-rid"])
        let auth = try #require(try await h.call(.update, "login", ["role_id": "nb-rid"])?.auth)
        #expect(auth.policies == ["x"])
        #expect(auth.metadata == ["role_name": "nb"])
        #expect(auth.boundCIDRs == ["127.0.0.1"])
        #expect(try await h.call(.update, "login", ["role_id": "nb-rid", "secret_id": "ignored"])?.auth != nil)
        #expect(await h.error(.update, "login", ["role_id": "nb-rid"], remote: "192.168.1.1")?.code == .invalidRequest)
    }

    @Test func renewal() async throws {
        let h = Harness()
        try await h.call(.update, "role/web", ["role_id": "rid", "token_ttl": 60, "token_max_ttl": 120])
        let s = try await h.secretID("web")
        let auth = try #require(try await h.call(.update, "login", ["role_id": "rid", "secret_id": .string(s.id)])?.auth)
        try await h.call(.update, "role/web/token-max-ttl", ["token_max_ttl": 300])
        let renewed = try #require(try await h.call(.renew, "login", auth: auth)?.auth)
        #expect(renewed.ttl == 60 && renewed.maxTTL == 300)
        #expect(renewed.policies == auth.policies)
        try await h.call(.delete, "role/web")
        let e = await {
            do {
                _ = try await h.call(.renew, "login", auth: auth)
                return nil as LogicalError?
            } catch let e as LogicalError { return e } catch { return nil }
        }()
        #expect(e?.messages == ["role \"web\" does not exist during renewal"])
    }
}

@Suite struct CIDRTests {
    @Test func containment() {
        #expect(CIDRChecks.address("10.1.2.3", isIn: ["10.0.0.0/8"]))
        #expect(!CIDRChecks.address("11.1.2.3", isIn: ["10.0.0.0/8"]))
        #expect(CIDRChecks.address("127.0.0.1", isIn: ["127.0.0.1"]))
        #expect(CIDRChecks.address("::1", isIn: ["::1/128"]))
        #expect(!CIDRChecks.address(nil, isIn: ["0.0.0.0/0"]))
        #expect(CIDRChecks.blocks(["10.1.0.0/16"], areWithin: ["10.0.0.0/8"]))
        #expect(!CIDRChecks.blocks(["10.0.0.0/7"], areWithin: ["10.0.0.0/8"]))
        #expect(!CIDRChecks.blocks(["::/0"], areWithin: ["10.0.0.0/8"]))
        #expect(CIDRChecks.firstInvalid(["10.0.0.0/8", "10.0.0.1"]) == "10.0.0.1")
        #expect(CIDRChecks.firstInvalid(["10.0.0.0/33"]) == "10.0.0.0/33")
        #expect(CIDRChecks.firstInvalid(["10.0.0.0/8", ""]) == "")
        #expect(CIDRChecks.firstInvalid(["10.0.0.0/8", "::1/128"]) == nil)
        // Go's net.ParseCIDR: a prefix of digits only (leading zeros allowed), octets without leading zeros.
        #expect(CIDRChecks.firstInvalid(["10.0.0.0/08", " 10.0.0.0/8 "]) == nil)
        #expect(CIDRChecks.firstInvalid(["10.0.0.0/+8"]) == "10.0.0.0/+8")
        #expect(CIDRChecks.firstInvalid(["010.0.0.0/8"]) == "010.0.0.0/8")
        #expect(CIDRBlock("01.2.3.4") == nil && CIDRBlock("+1.2.3.4") == nil && CIDRBlock("::+1") == nil)
        #expect(CIDRBlock("0.0.0.0/0") != nil && CIDRBlock("::ffff:10.0.0.1") != nil)
    }
}

/// Behaviours checked against OpenBao 2.7.2 when the method moved onto the engine framework.
@Suite struct OpenBaoBehaviourTests {
    @Test func batchTokensWithLimitedUsesAreRefused() async throws {
        let h = Harness()
        let limited = ["'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"]
        #expect(await h.error(.update, "role/b", ["token_type": "batch", "token_num_uses": 3])?.messages == limited)
        #expect(await h.error(.update, "role/b", ["token_type": "default-batch", "token_num_uses": 3])?.messages == limited)
        let w = try await h.call(.update, "role/b", ["token_type": "default-batch", "foo": 1])
        #expect(w?.warnings == [
            "default-batch has no useful meaning; adjusting to batch", "Endpoint ignored these unrecognized parameters: [foo]",
        ])
        #expect(try await h.call(.read, "role/b")?.data?["token_type"] == "batch")
    }

    @Test func otherOperationsOnTheLoginPath() async throws {
        let h = Harness()
        try await h.call(.update, "role/web", ["role_id": "rid"])
        let s = try await h.secretID("web")
        for op in [CofferSDK.Operation.delete, .read, .patch] {
            let missing = await h.error(op, "login")
            #expect(missing?.code == .internal && missing?.messages == ["missing role_id"])
            let refused = await h.error(op, "login", ["role_id": "rid", "secret_id": .string(s.id)])
            #expect(refused?.code == .unsupportedOperation && refused?.messages == ["unsupported operation"])
        }
        let bad = await h.error(.update, "login", ["role_id": ["x"]])
        #expect(bad?.code == .internal)
        #expect(bad?.messages == [
            "Field validation failed: error converting input for field \"role_id\": '' expected type 'string', got unconvertible type '[]interface {}'"
        ])
        #expect(h.engine.loginIdentifier(h.request(.read, "login", ["role_id": "rid"])) == nil)
    }

    @Test func subPathsPreferTheTokenNames() async throws {
        let h = Harness()
        try await h.call(.update, "role/p")
        try await h.call(.update, "role/p/policies", ["policies": "a", "token_policies": "B"])
        #expect(try await h.call(.read, "role/p/policies")?.data == ["policies": ["b"], "token_policies": ["b"]])
        try await h.call(.update, "role/p/period", ["period": 10, "token_period": 20])
        #expect(try await h.call(.read, "role/p/period")?.data == ["period": 20, "token_period": 20])
        try await h.call(.update, "role/p/period", ["token_period": 30])
        #expect(try await h.call(.read, "role/p/period")?.data == ["token_period": 30])
        #expect(await h.error(.update, "role/p/token-ttl", [:])?.messages == ["missing token_ttl"])
    }

    @Test func deprecatedBoundCIDRList() async throws {
        let h = Harness()
        try await h.call(.update, "role/c", ["secret_id_bound_cidrs": "10.0.0.0/8"])
        let r = try #require(try await h.call(.read, "role/c/bound-cidr-list"))
        #expect(r.data == ["bound_cidr_list": .null])
        #expect(r.warnings == ["The \"bound_cidr_list\" field is deprecated and will be removed. Please use \"secret_id_bound_cidrs\" instead."])
        try await h.call(.delete, "role/c/bound-cidr-list")
        #expect(try await h.call(.read, "role/c/secret-id-bound-cidrs")?.data == ["secret_id_bound_cidrs": ["10.0.0.0/8"]])
        // Each path takes its own name only.
        try await h.call(.update, "role/c/bound-cidr-list", ["secret_id_bound_cidrs": "10.1.0.0/16"])
        #expect(try await h.call(.read, "role/c/secret-id-bound-cidrs")?.data == ["secret_id_bound_cidrs": ["10.0.0.0/8"]])
        try await h.call(.update, "role/c/bound-cidr-list", ["bound_cidr_list": "10.2.0.0/16"])
        #expect(try await h.call(.read, "role/c/secret-id-bound-cidrs")?.data == ["secret_id_bound_cidrs": ["10.2.0.0/16"]])
        #expect(await h.error(.update, "role/c/secret-id-bound-cidrs", ["secret_id_bound_cidrs": ",10.0.0.0/8"])?.messages
            == ["failed to validate CIDR blocks: invalid CIDR address: "])
        #expect(await h.error(.update, "role/c", ["secret_id_bound_cidrs": ",10.0.0.0/8"])?.messages
            == ["1 error occurred:\n\t* failed to validate CIDR blocks: invalid CIDR address: \n\n"])
    }

    @Test func secretIDLimitsGivenExplicitly() async throws {
        let h = Harness()
        try await h.call(.update, "role/l", ["secret_id_num_uses": 3, "secret_id_ttl": 600, "secret_id_bound_cidrs": "10.0.0.0/8"])
        #expect(await h.error(.update, "role/l/secret-id", ["num_uses": 0])?.messages
            == ["num_uses cannot be higher than the role's secret_id_num_uses"])
        #expect(await h.error(.update, "role/l/secret-id", ["ttl": 0])?.messages == ["ttl cannot be longer than the role's secret_id_ttl"])
        // CIDR blocks are checked before the metadata.
        #expect(await h.error(.update, "role/l/secret-id", ["metadata": "bad", "cidr_list": "x"])?.messages
            == ["1 error occurred:\n\t* failed to validate CIDR blocks: invalid CIDR address: x\n\n"])
        #expect(await h.error(.update, "role/l/secret-id", ["cidr_list": ",10.1.0.0/16"])?.messages
            == ["1 error occurred:\n\t* failed to validate CIDR blocks: invalid CIDR address: \n\n"])
        for _ in 0..<3 { _ = try await h.secretID("l") }
        let all = try #require(try await h.call(.list, "role/l/secret-id/")?.data?["keys"]?.arrayValue)
        #expect(all.count == 3)
        #expect(try await h.call(.list, "role/l/secret-id/", ["limit": "2"])?.data?["keys"]?.arrayValue == Array(all.prefix(2)))
        #expect(try await h.call(.list, "role/l/secret-id/", ["after": all[0]])?.data?["keys"]?.arrayValue == Array(all.dropFirst()))
        #expect(await h.error(.list, "role/l/secret-id/", ["limit": "x"])?.messages == [
            "Field validation failed: error converting input for field \"limit\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        ])
    }

    @Test func accessorOfAnotherRole() async throws {
        let h = Harness()
        try await h.call(.update, "role/o1")
        try await h.call(.update, "role/o2")
        let s = try await h.secretID("o1")
        #expect(try await h.call(.update, "role/o2/secret-id-accessor/lookup", ["secret_id_accessor": .string(s.accessor)]) == nil)
        let e = await h.error(.update, "role/o2/secret-id-accessor/destroy", ["secret_id_accessor": .string(s.accessor)])
        #expect(e?.code == .permissionDenied && e?.messages == ["invalid secret id accessor"])
        #expect(try await h.call(.update, "role/o1/secret-id/lookup", ["secret_id": .string(s.id)])?.data != nil)
    }

    @Test func secretIDCIDRsAtLogin() async throws {
        let h = Harness()
        try await h.call(.update, "role/c", ["role_id": "c-rid", "token_bound_cidrs": "127.0.0.1"])
        try await h.call(.update, "role/c/custom-secret-id", ["secret_id": "limited", "cidr_list": "10.0.0.0/8", "num_uses": 2])
        #expect(await h.error(.update, "login", ["role_id": "c-rid", "secret_id": "limited"])?.messages
            == ["source address \"127.0.0.1\" unauthorized by CIDR restrictions on the secret ID: %!w(<nil>)"])
        // The role's single-host token blocks are shown as blocks when a secret ID's are not within them.
        #expect(await h.error(.update, "role/c/secret-id", ["token_bound_cidrs": "10.0.0.0/8"])?.messages == [
            "1 error occurred:\n\t* failed to verify subset relationship between CIDR blocks on the role [\"127.0.0.1/32\"] and CIDR blocks on the secret ID [\"10.0.0.0/8\"]: %!w(<nil>)\n\n"
        ])
        // A secret ID whose blocks the role no longer contains is refused at login.
        try await h.call(.update, "role/c", ["secret_id_bound_cidrs": "192.168.0.0/16"])
        #expect(await h.error(.update, "login", ["role_id": "c-rid", "secret_id": "limited"], remote: "10.1.1.1")?.messages == [
            "failed to verify subset relationship between CIDR blocks on the role [\"192.168.0.0/16\"] and CIDR blocks on the secret ID [\"10.0.0.0/8\"]: %!w(<nil>)"
        ])
    }
}

/// The paths, methods, path parameters, body fields and query parameters of the mount's OpenAPI document against
/// OpenBao 2.7.2's (`Tests/CofferSDKTests/Fixtures/openbao-openapi.json`).
@Suite struct OpenAPIFixtureTests {
    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CofferSDKTests/Fixtures/openbao-openapi.json")

    /// `path -> method -> (path parameters, body fields, query parameters)`, for the paths below `/auth/approle/`.
    static func shape(_ doc: JSONValue) -> [String: [String: [String: Set<String>]]] {
        let schemas = doc["components"]?["schemas"]?.objectValue ?? [:]
        var out: [String: [String: [String: Set<String>]]] = [:]
        for (path, item) in doc["paths"]?.objectValue ?? [:] where path.hasPrefix("/auth/approle/") {
            let params = Set((item["parameters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            for method in ["get", "post", "patch", "delete"] {
                guard let op = item[method] else { continue }
                let ref = op["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.stringValue ?? ""
                let body = schemas[String(ref.split(separator: "/").last ?? "")]?["properties"]?.objectValue ?? [:]
                let query = Set((op["parameters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
                out[path, default: [:]][method] = ["path": params, "body": Set(body.keys), "query": query]
            }
        }
        return out
    }

    @Test func everyPathMatchesOpenBao() throws {
        let fixture = try JSONValue.parse(try Data(contentsOf: Self.fixtureURL))
        let ours = OpenAPIDocument.build(
            version: "2.7.2",
            mounts: [.init(path: "auth/approle/", tag: "auth", type: "approle", paths: AppRoleAuth.router.pathDescriptions)])
        let expected = Self.shape(fixture)
        let actual = Self.shape(ours)
        #expect(expected.count == 23)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (path, methods) in expected {
            #expect(actual[path] == methods, "\(path)")
        }
    }
}

/// More behaviours of OpenBao 2.7.2, checked against a dev server.
@Suite struct OpenBaoPathTests {
    @Test func bindSecretIDPathAnswersUnsupportedPath() async throws {
        let h = Harness()
        try await h.call(.update, "role/r1")
        let unsupported = ["1 error occurred:\n\t* unsupported path\n\n"]
        for op in [CofferSDK.Operation.read, .update, .delete] {
            let e = await h.error(op, "role/r1/bind-secret-id", op == .update ? ["bind_secret_id": false] : [:])
            #expect(e?.code == .unsupportedPath && e?.messages == unsupported)
        }
        // The field is still validated first.
        let bad = await h.error(.update, "role/r1/bind-secret-id", ["bind_secret_id": "x"])
        #expect(bad?.code == .invalidRequest && bad?.messages == [
            "Field validation failed: error converting input for field \"bind_secret_id\": '' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"
        ])
        #expect(try await h.call(.read, "role/r1")?.data?["bind_secret_id"] == true)
    }

    @Test func tidyDropsTheIgnoredFieldWarning() async throws {
        let h = Harness()
        let r = try await h.call(.update, "tidy/secret-id", ["x": 1])
        #expect(r?.httpStatus == 202)
        #expect(r?.warnings == [
            "Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."
        ])
    }
}

extension OpenBaoPathTests {
    /// Sub-path writes and deletes keep a role's last constraint, as its own path does (OpenBao checks every store).
    @Test func subPathsKeepAConstraint() async throws {
        let h = Harness()
        let refused = ["1 error occurred:\n\t* at least one constraint should be enabled on the role\n\n"]
        try await h.call(.update, "role/t", ["bind_secret_id": false, "token_bound_cidrs": "1.2.3.4"])
        #expect(await h.error(.update, "role/t/token-bound-cidrs", ["token_bound_cidrs": ""])?.messages == refused)
        #expect(await h.error(.delete, "role/t/token-bound-cidrs")?.messages == refused)
        #expect(try await h.call(.read, "role/t/token-bound-cidrs")?.data == ["token_bound_cidrs": ["1.2.3.4"]])
        try await h.call(.update, "role/s", ["bind_secret_id": false, "secret_id_bound_cidrs": "10.0.0.0/8"])
        #expect(await h.error(.delete, "role/s/secret-id-bound-cidrs")?.messages == refused)
        try await h.call(.delete, "role/s/bound-cidr-list")
        try await h.call(.delete, "role/s/token-ttl")
        #expect(try await h.call(.read, "role/s/secret-id-bound-cidrs")?.data == ["secret_id_bound_cidrs": ["10.0.0.0/8"]])
    }
}
