import CofferSDK
import Foundation
import Synchronization
import Testing

@testable import UserpassAuth

@Suite struct LoginTests {
    let h = Harness()

    @Test func loginReturnsAuth() async throws {
        try await h.send(
            .create, "users/eve",
            [
                "password": "secretpw", "token_policies": "p1,p2", "token_ttl": "1h", "token_max_ttl": "2h",
                "token_bound_cidrs": "127.0.0.1/32", "token_num_uses": 5,
            ])
        let auth = try #require(try await h.login("Eve", "secretpw"))
        #expect(auth.policies == ["p1", "p2"])
        #expect(auth.metadata == ["username": "eve"])
        #expect(auth.displayName == "eve")
        #expect(auth.ttl == 3600)
        #expect(auth.maxTTL == 7200)
        #expect(auth.period == nil)
        #expect(auth.numUses == 5)
        #expect(auth.renewable)
        #expect(auth.alias == AuthAlias(name: "eve"))
        #expect(auth.boundCIDRs == ["127.0.0.1"])
        #expect(auth.noDefaultPolicy == false)
        #expect(auth.tokenType == "default")
        #expect(auth.internalData == ["username": "eve"])
    }

    @Test func explicitMaxTTLIsTheStricterMax() async throws {
        try await h.send(.create, "users/m", ["password": "password1", "token_max_ttl": "2h", "token_explicit_max_ttl": "1h"])
        #expect(try await h.login("m", "password1")?.maxTTL == 3600)
        try await h.send(.update, "users/m", ["token_max_ttl": 0])
        #expect(try await h.login("m", "password1")?.maxTTL == 3600)
        try await h.send(.update, "users/m", ["token_explicit_max_ttl": 0])
        #expect(try await h.login("m", "password1")?.maxTTL == nil)
        #expect(try await h.login("m", "password1")?.ttl == nil)
    }

    @Test func wrongPasswordAndUnknownUserFailAlike() async throws {
        try await h.send(.create, "users/eve", ["password": "secretpw"])
        for (user, password) in [("eve", "wrong"), ("nobody", "wrong"), ("nobody", "secretpw"), ("eve", "SECRETPW")] {
            let e = await h.error(.update, "login/\(user)", ["password": .string(password)])
            #expect(e?.code == .invalidCredentials)
            #expect(e?.messages == ["invalid username or password"])
        }
        // Non-string passwords are converted, then fail as wrong passwords.
        #expect(await h.error(.update, "login/eve", ["password": 5])?.code == .invalidCredentials)
        #expect(await h.error(.update, "login/eve", ["password": true])?.code == .invalidCredentials)
    }

    @Test func nonStringPasswords() async throws {
        let login = await h.error(.update, "login/eve", ["password": ["a"]])
        #expect(login?.code == .internal)
        #expect(
            login?.messages == [
                "Field validation failed: error converting input for field \"password\": '' expected type 'string', got unconvertible type '[]interface {}'"
            ])
        let write = await h.error(.update, "users/eve", ["password": ["a"]])
        #expect(write?.code == .invalidRequest)
        #expect(write?.messages == ["error converting input for field \"password\": '' expected type 'string', got unconvertible type '[]interface {}'"])
    }

    @Test func missingPasswordIsA500() async throws {
        for body: [String: JSONValue] in [[:], ["password": ""]] {
            let e = await h.error(.update, "login/eve", body)
            #expect(e?.code == .internal)
            #expect(e?.messages == ["missing password"])
        }
    }

    @Test func unknownUserCostsABcryptCheck() async throws {
        try await h.send(.create, "users/eve", ["password": "secretpw"])
        // Which hashes each failed login checked, recorded in this task only (other tests hash in parallel).
        let seen = Mutex<[String]>([])
        await PasswordHasher.$checked.withValue({ hash in seen.withLock { $0.append(hash) } }) {
            #expect(await h.error(.update, "login/nobody", ["password": "wrongpw"])?.messages == ["invalid username or password"])
            #expect(await h.error(.update, "login/eve", ["password": "wrongpw"])?.messages == ["invalid username or password"])
        }
        let hashes = seen.withLock { $0 }
        try #require(hashes.count == 2, "one bcrypt check for each login")
        // Both checks are bcrypt at the same cost: "$2b$10$" followed by 53 characters of salt and hash.
        let cost = "$2b$\(PasswordHasher.cost)$"
        #expect(hashes.allSatisfy { $0.hasPrefix(cost) && $0.utf8.count == 60 }, "\(hashes.map { $0.prefix(7) })")
        #expect(hashes[0] == PasswordHasher.dummyHash && hashes[1] != hashes[0])
    }

    @Test func boundCIDRs() async throws {
        try await h.send(.create, "users/i1", ["password": "password1", "token_bound_cidrs": "10.0.0.0/8"])
        try await h.send(.create, "users/j1", ["password": "password1", "bound_cidrs": "10.0.0.0/8"])
        for user in ["i1", "j1"] {
            let e = await h.error(.update, "login/\(user)", ["password": "password1"], remoteAddress: "127.0.0.1")
            #expect(e?.code == .permissionDenied)
            #expect(e?.messages == ["permission denied"])
            #expect(await h.error(.update, "login/\(user)", ["password": "password1"], remoteAddress: nil)?.code == .permissionDenied)
            #expect(try await h.login(user, "password1", remoteAddress: "10.1.2.3") != nil)
            // The password is checked first.
            #expect(await h.error(.update, "login/\(user)", ["password": "nope"])?.code == .invalidCredentials)
        }
    }

    @Test func renewal() async throws {
        try await h.send(.create, "users/fay", ["password": "password1", "token_policies": "p1", "token_ttl": "1h", "token_max_ttl": "2h"])
        let auth = try #require(try await h.login("fay", "password1"))
        try await h.send(.update, "users/fay", ["token_ttl": "30m"])
        var renewed = try #require(try await h.send(.renew, "login/fay", auth: auth)?.auth)
        #expect(renewed.ttl == 1800)
        #expect(renewed.maxTTL == 7200)
        #expect(renewed.policies == ["p1"])
        // The core may hand back the token's policies, with `default`.
        var withDefault = auth
        withDefault.policies = ["default", "p1"]
        try await h.send(.update, "users/fay/policies", ["token_policies": "p1,default"])
        renewed = try #require(try await h.send(.renew, "login/fay", auth: withDefault)?.auth)
        #expect(renewed.ttl == 1800)

        try await h.send(.update, "users/fay/policies", ["token_policies": "p2"])
        let e = await h.error(.renew, "login/fay", auth: auth)
        #expect(e?.code == .internal)
        #expect(e?.messages == ["policies have changed, not renewing"])

        try await h.send(.update, "users/fay/policies", ["policies": "p1"])
        try await h.send(.delete, "users/fay")
        #expect(try await h.send(.renew, "login/fay", auth: auth) == nil)
    }

    /// hvac 2.4.0 tests/integration_tests/v1/test_integration.py: test_userpass_auth and test_create_userpass.
    @Test func hvacFlows() async throws {
        #expect(try await h.send(.update, "users/testuser", ["password": "testpass", "policies": "not_root"]) == nil)
        #expect(try await h.login("testuser", "testpass")?.policies == ["not_root"])
        #expect(try await h.send(.create, "users/testcreateuser", ["password": "testcreateuserpass", "policies": "not_root"]) == nil)
        #expect(try await h.login("testcreateuser", "testcreateuserpass") != nil)
        #expect(
            try await h.send(.update, "users/testcreateuser", ["password": "testcreateuserpass", "policies": "not_root", "ttl": "10s"])
                == nil)
        #expect(try await h.login("testcreateuser", "testcreateuserpass")?.ttl == 10)
    }
}

@Suite struct PasswordTests {
    let h = Harness()

    @Test func shortPasswordsAreRefused() async throws {
        for pw in ["pw", "1234567", "ééééééé"] {
            let e = await h.error(.create, "users/bob", ["password": .string(pw)])
            #expect(e?.code == .invalidRequest)
            #expect(e?.messages == ["password must be at least 8 characters"])
        }
        try await h.send(.create, "users/bob", ["password": "12345678"])
        #expect(await h.error(.update, "users/bob/password", ["password": "short"])?.messages == ["password must be at least 8 characters"])
        #expect(try await h.login("bob", "12345678") != nil)
        // Numbers are converted as OpenBao does.
        try await h.send(.create, "users/k1", ["password": 12_345_678])
        #expect(try await h.login("k1", "12345678") != nil)
    }

    @Test func longPasswordsStayFullySignificant() async throws {
        let base = String(repeating: "a", count: 100)
        try await h.send(.create, "users/long", ["password": .string(base + "X")])
        #expect(try await h.login("long", base + "X") != nil)
        // Differing only after byte 72 must still fail.
        #expect(await h.error(.update, "login/long", ["password": .string(base + "Y")])?.code == .invalidCredentials)
        #expect(await h.error(.update, "login/long", ["password": .string(base)])?.code == .invalidCredentials)
        let seventyTwo = String(repeating: "b", count: 72)
        try await h.send(.create, "users/edge", ["password": .string(seventyTwo)])
        #expect(try await h.login("edge", seventyTwo) != nil)
        #expect(await h.error(.update, "login/edge", ["password": .string(seventyTwo + "c")])?.code == .invalidCredentials)
    }

    @Test func unicodeAndSpacesAreAllowed() async throws {
        let pw = "  pässwörd 🔑 密码 with spaces  "
        try await h.send(.create, "users/u", ["password": .string(pw)])
        #expect(try await h.login("u", pw) != nil)
        #expect(await h.error(.update, "login/u", ["password": .string(pw.trimmingCharacters(in: .whitespaces))])?.code == .invalidCredentials)
        // NFKC: a decomposed "é" matches the precomposed one.
        try await h.send(.create, "users/n", ["password": "caf\u{E9}-caf\u{E9}"])
        #expect(try await h.login("n", "cafe\u{301}-cafe\u{301}") != nil)
        // Passwords with NUL bytes are pre-hashed rather than cut at the NUL.
        try await h.send(.create, "users/z", ["password": "abcdefgh\u{0}tail1"])
        #expect(await h.error(.update, "login/z", ["password": "abcdefgh\u{0}tail2"])?.code == .invalidCredentials)
        #expect(try await h.login("z", "abcdefgh\u{0}tail1") != nil)
    }

    @Test func passwordHashImport() async throws {
        for bad in ["notahash", "$2y$04$short", "$2b$03$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"] {
            let e = await h.error(.create, "users/h1", ["password_hash": .string(bad)])
            #expect(e?.messages == ["password_hash is not a valid bcrypt hash"], "\(bad)")
        }
        // A bcrypt hash of "hashedpw1", as another bcrypt implementation would produce it ($2a$ and $2y$ prefixes too).
        try await h.send(.create, "users/donor", ["password": "hashedpw1"])
        let stored = try #require(try await h.storage.getJSON("user/donor")?["password_hash"]?.stringValue)
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let imported = prefix + stored.dropFirst(4)
            try await h.send(.create, "users/h1", ["password_hash": .string(imported)])
            #expect(try await h.login("h1", "hashedpw1") != nil)
            #expect(await h.error(.update, "login/h1", ["password": "hashedpw2"])?.code == .invalidCredentials)
        }
        // Made by libxcrypt (perl's crypt) and accepted by OpenBao 2.7 for "hashedpw1".
        let foreign = "$2b$05$abcdefghijklmnopqrstuus7Qzdk8wYR5ol/lrhULz2AP8wR.yr/e"
        try await h.send(.create, "users/h2", ["password_hash": .string(foreign)])
        #expect(try await h.login("h2", "hashedpw1") != nil)
        let both = await h.error(.update, "users/h2", ["password_hash": .string(foreign), "password": "otherpw1"])
        #expect(both?.messages == ["only one of password or password_hash may be provided"])
        #expect(try await h.send(.update, "users/h2", ["password_hash": "", "password": "otherpw1"]) == nil)
        #expect(try await h.login("h2", "otherpw1") != nil)
        // Setting a password afterwards switches back to Coffer's scheme.
        try await h.send(.update, "users/h1/password", ["password": "newpassword"])
        #expect(try await h.login("h1", "newpassword") != nil)
    }
}
