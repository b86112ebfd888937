import CofferSDK
import Foundation
import Testing

/// Responses checked against OpenBao 2.7.2 (`bao server -dev`, userpass mounted at `userpass/`).
@Suite struct UserTests {
    let h = Harness()

    static let defaultRead: [String: JSONValue] = [
        "token_bound_cidrs": [], "token_explicit_max_ttl": 0, "token_max_ttl": 0, "token_no_default_policy": false,
        "token_num_uses": 0, "token_period": 0, "token_policies": [], "token_strictly_bind_ip": false, "token_ttl": 0,
        "token_type": "default",
    ]

    @Test func createReadListDelete() async throws {
        #expect(await h.error(.list, "users")?.code == .notFound)
        #expect(await h.error(.list, "users")?.messages == [])
        #expect(try await h.send(.create, "users/Alice", ["password": "password1"]) == nil)
        #expect(try await h.read("alice") == Self.defaultRead)
        #expect(try await h.read("ALICE") == Self.defaultRead)
        try await h.send(.create, "users/bob", ["password": "password2"])
        #expect(try await h.send(.list, "users")?.data == ["keys": ["alice", "bob"]])
        #expect(try await h.send(.list, "users/")?.data == ["keys": ["alice", "bob"]])
        #expect(try await h.send(.delete, "users/Alice") == nil)
        #expect(await h.error(.read, "users/alice")?.code == .notFound)
        #expect(try await h.send(.delete, "users/nobody") == nil)
        #expect(try await h.send(.list, "users")?.data == ["keys": ["bob"]])
    }

    @Test func createNeedsPassword() async throws {
        for body: [String: JSONValue] in [[:], ["password": ""], ["policies": "a,b"], ["token_type": "weird"]] {
            let e = await h.error(.create, "users/bob", body)
            #expect(e?.code == .invalidRequest)
            #expect(e?.messages == ["must provide either password or password_hash"])
        }
        #expect(await h.error(.read, "users/bob")?.code == .notFound)
        // An existing user may be updated without one; an empty password changes nothing.
        try await h.send(.create, "users/bob", ["password": "password1"])
        #expect(try await h.send(.update, "users/bob", ["password": ""]) == nil)
        #expect(try await h.login("bob", "password1") != nil)
    }

    @Test func legacyFieldsAreEchoed() async throws {
        try await h.send(
            .create, "users/carol",
            ["password": "password1", "policies": "a,b", "ttl": "1h", "max_ttl": 7200, "bound_cidrs": "127.0.0.1/32,10.0.0.0/8"])
        var expected = Self.defaultRead
        expected["token_policies"] = ["a", "b"]
        expected["policies"] = ["a", "b"]
        expected["token_ttl"] = 3600
        expected["ttl"] = 3600
        expected["token_max_ttl"] = 7200
        expected["max_ttl"] = 7200
        expected["token_bound_cidrs"] = ["127.0.0.1", "10.0.0.0/8"]
        expected["bound_cidrs"] = ["127.0.0.1", "10.0.0.0/8"]
        #expect(try await h.read("carol") == expected)

        // The new names drop the legacy echo of what they set.
        try await h.send(.update, "users/carol", ["token_policies": "c, d", "token_ttl": "30m"])
        expected["token_policies"] = ["c", "d"]
        expected["policies"] = nil
        expected["token_ttl"] = 1800
        expected["ttl"] = nil
        #expect(try await h.read("carol") == expected)
    }

    @Test func newNameWinsWhenBothAreGiven() async throws {
        try await h.send(.create, "users/d1", ["password": "password1", "policies": "e", "token_policies": "f"])
        #expect(try await h.read("d1")?["policies"] == ["f"])
        #expect(try await h.read("d1")?["token_policies"] == ["f"])
        try await h.send(
            .create, "users/d3", ["password": "password1", "ttl": "1h", "token_ttl": "2h", "max_ttl": "3h", "token_max_ttl": "4h"])
        let d3 = try #require(try await h.read("d3"))
        #expect(d3["ttl"] == 7200 && d3["token_ttl"] == 7200 && d3["max_ttl"] == 14400 && d3["token_max_ttl"] == 14400)
        try await h.send(.create, "users/d5", ["password": "password1", "bound_cidrs": ["10.0.0.1/8"], "token_bound_cidrs": "1.1.1.1"])
        #expect(try await h.read("d5")?["bound_cidrs"] == ["1.1.1.1"])
        #expect(try await h.read("d5")?["token_bound_cidrs"] == ["1.1.1.1"])
    }

    @Test func allTokenFields() async throws {
        try await h.send(
            .create, "users/d6",
            [
                "password": "password1", "token_explicit_max_ttl": "1h", "token_period": "2h", "token_num_uses": "3",
                "token_no_default_policy": "true", "token_strictly_bind_ip": true, "token_type": "service",
            ])
        var expected = Self.defaultRead
        expected["token_explicit_max_ttl"] = 3600
        expected["token_period"] = 7200
        expected["token_num_uses"] = 3
        expected["token_no_default_policy"] = true
        expected["token_strictly_bind_ip"] = true
        expected["token_type"] = "service"
        #expect(try await h.read("d6") == expected)
    }

    @Test func policyListsAreKeptAsOpenBaoParsesThem() async throws {
        try await h.send(.create, "users/g1", ["password": "password1", "token_policies": "B, a,a ,default,,"])
        #expect(try await h.read("g1")?["token_policies"] == ["B", "a", "a", "default", "", ""])
        try await h.send(.update, "users/g1", ["token_policies": ["Z", "y", " x "]])
        #expect(try await h.read("g1")?["token_policies"] == ["Z", "y", "x"])
        try await h.send(.update, "users/g1", ["token_policies": [1, true]])
        #expect(try await h.read("g1")?["token_policies"] == ["1", "1"])
        let e = await h.error(.update, "users/g1", ["token_policies": ["a": 1]])
        #expect(
            e?.messages == [
                "error converting input for field \"token_policies\": 1 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type 'map[string]interface {}', value: 'map[a:1]'"
            ])
    }

    @Test func cidrsAreCanonicalized() async throws {
        try await h.send(
            .create, "users/d4", ["password": "password1", "token_bound_cidrs": ["10.0.0.1/8", "::1/128", "fe80::/64", "1.2.3.4", " 5.6.7.8/32"]])
        #expect(try await h.read("d4")?["token_bound_cidrs"] == ["10.0.0.1/8", "::1", "fe80::/64", "1.2.3.4", "5.6.7.8"])
        try await h.send(.update, "users/d4", ["token_bound_cidrs": ""])
        #expect(try await h.read("d4")?["token_bound_cidrs"] == [])
        for field in ["token_bound_cidrs", "bound_cidrs"] {
            let e = await h.error(.update, "users/d4", [field: "notacidr"])
            #expect(e?.code == .invalidRequest)
            #expect(
                e?.messages == [
                    "error parsing address \"notacidr\": Unable to convert \"notacidr\" to an IPv4 or IPv6 address, or a UNIX Socket"
                ])
        }
    }

    @Test(arguments: [
        (["token_ttl": JSONValue.string("abc")], "error converting input for field \"token_ttl\": time: invalid duration \"abc\""),
        (["ttl": "abc"], "error converting input for field \"ttl\": time: invalid duration \"abc\""),
        (["token_ttl": 1.5], "error converting input for field \"token_ttl\": time: missing unit in duration \"1.5\""),
        (["token_ttl": -1], "error converting input for field \"token_ttl\": cannot provide negative value '-1'"),
        (["token_ttl": "-1h"], "error converting input for field \"token_ttl\": cannot provide negative value '-3600'"),
        (["token_period": -1], "error converting input for field \"token_period\": cannot provide negative value '-1'"),
        (["token_num_uses": -1], "'token_num_uses' cannot be negative"),
        (["token_num_uses": "abc"], "error converting input for field \"token_num_uses\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"),
        (["token_no_default_policy": "abc"], "error converting input for field \"token_no_default_policy\": '' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"),
        (["token_type": "weird"], "invalid 'token_type' value \"weird\""),
        (["token_type": "default-batch"], "invalid 'token_type' value \"default-batch\""),
        (["token_type": "batch", "token_period": "1h"], "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"),
        (["token_type": "batch", "token_num_uses": 3], "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"),
        (["token_ttl": "5h", "token_max_ttl": "4h"], "'token_ttl' cannot be greater than 'token_max_ttl'"),
    ])
    func invalidTokenFields(body: [String: JSONValue], message: String) async throws {
        var data = body
        data["password"] = "password1"
        let e = await h.error(.create, "users/v1", data)
        #expect(e?.code == .invalidRequest)
        #expect(e?.messages == [message])
        #expect(await h.error(.read, "users/v1")?.code == .notFound)
    }

    @Test func failedUpdateLeavesUserUnchanged() async throws {
        try await h.send(.create, "users/d3", ["password": "password1", "token_ttl": "2h", "token_max_ttl": "4h"])
        let before = try await h.read("d3")
        #expect(await h.error(.update, "users/d3", ["token_ttl": "5h"])?.messages == ["'token_ttl' cannot be greater than 'token_max_ttl'"])
        #expect(try await h.read("d3") == before)
    }

    @Test func passwordPath() async throws {
        let missing = await h.error(.update, "users/nobody/password", ["password": "password1"])
        #expect(missing?.code == .internal)
        #expect(missing?.messages == ["1 error occurred:\n\t* username does not exist\n\n"])
        try await h.send(.create, "users/eve", ["password": "password1"])
        for body: [String: JSONValue] in [[:], ["password": ""]] {
            #expect(await h.error(.update, "users/eve/password", body)?.messages == ["must provide either password or password_hash"])
        }
        #expect(try await h.send(.update, "users/EVE/password", ["password": "password2"]) == nil)
        #expect(await h.error(.update, "login/eve", ["password": "password1"])?.code == .invalidCredentials)
        #expect(try await h.login("eve", "password2") != nil)
        #expect(await h.error(.read, "users/eve/password")?.messages == ["1 error occurred:\n\t* unsupported operation\n\n"])
        #expect(await h.error(.read, "users/eve/password")?.code == .unsupportedOperation)
    }

    @Test func policiesPath() async throws {
        #expect(await h.error(.update, "users/nobody/policies", ["policies": "x"])?.messages == ["1 error occurred:\n\t* username does not exist\n\n"])
        try await h.send(.create, "users/g1", ["password": "password1", "token_policies": "a"])
        try await h.send(.update, "users/g1/policies", ["policies": "q"])
        var r = try #require(try await h.read("g1"))
        #expect(r["policies"] == ["q"] && r["token_policies"] == ["q"])
        try await h.send(.update, "users/g1/policies", [:])
        #expect(try await h.read("g1")?["policies"] == ["q"])
        try await h.send(.update, "users/g1/policies", ["token_policies": "r"])
        r = try #require(try await h.read("g1"))
        #expect(r["policies"] == nil && r["token_policies"] == ["r"])
        try await h.send(.update, "users/g1/policies", ["policies": "s", "token_policies": "t"])
        r = try #require(try await h.read("g1"))
        #expect(r["policies"] == nil && r["token_policies"] == ["t"])
        try await h.send(.update, "users/g1/policies", ["policies": ""])
        #expect(try await h.read("g1")?["token_policies"] == [])
        #expect(await h.error(.read, "users/g1/policies")?.code == .unsupportedOperation)
    }

    @Test func routing() async throws {
        for path in ["users/-bad", "users/a.b-", "users/a b", "users/x/y", "users/x/y/z", "foo", "login"] {
            let e = await h.error(.update, path, ["password": "password1"])
            #expect(e?.code == .unsupportedPath, "\(path)")
            #expect(e?.messages == ["1 error occurred:\n\t* unsupported path\n\n"], "\(path)")
        }
        #expect(try await h.send(.create, "users/a.b-c_d", ["password": "password1"]) == nil)
        #expect(try await h.send(.create, "users/x", ["password": "password1"]) == nil)
        #expect(await h.error(.read, "users/")?.messages == ["1 error occurred:\n\t* unsupported operation\n\n"])
        #expect(await h.error(.read, "login/eve")?.messages == ["unsupported operation"])
        #expect(await h.error(.update, "login/-bad", ["password": "x"])?.messages == ["unsupported path"])
        #expect(await h.error(.update, "login/-bad", ["password": "x"])?.code == .unsupportedPath)
    }

    @Test func specialPathsAndExistence() async throws {
        #expect(h.engine.specialPaths.unauthenticated == ["login/*"])
        #expect(try await h.engine.existenceCheck(h.request(.update, "users/Zed")) == false)
        try await h.send(.create, "users/zed", ["password": "password1"])
        #expect(try await h.engine.existenceCheck(h.request(.update, "users/Zed")) == true)
        #expect(try await h.engine.existenceCheck(h.request(.update, "users/zed/password")) == nil)
        #expect(h.engine.loginIdentifier(h.request(.update, "login/Zed")) == "zed")
        #expect(h.engine.loginIdentifier(h.request(.renew, "login/zed")) == nil)
        #expect(h.engine.loginIdentifier(h.request(.update, "users/zed")) == nil)
    }

    @Test func storageHoldsOneRecordWithoutThePassword() async throws {
        try await h.send(.create, "users/Sam", ["password": "correct horse battery staple"])
        #expect(h.storage.allKeys == ["user/sam"])
        let raw = try #require(try await h.storage.get("user/sam"))
        let text = String(decoding: raw, as: UTF8.self)
        #expect(!text.contains("correct horse"))
        #expect(text.contains("$2b$10$"))
    }
}
