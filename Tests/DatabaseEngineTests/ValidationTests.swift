import Foundation
import CofferSDK
import Testing

@testable import DatabaseEngine

/// Errors that need no database (texts recorded against OpenBao 2.7.2).
@Suite struct ValidationTests {
    let h = Harness()

    @Test func configErrors() async throws {
        #expect(await h.error(.update, "config/pg", ["connection_url": "postgres://h/d"])?.messages == ["empty plugin name"])
        let unknown = await h.error(.update, "config/pg", ["plugin_name": "nosuch-plugin"])
        #expect(unknown?.code == .invalidRequest)
        #expect(
            unknown?.messages == [
                "error creating database object: invalid database version: 2 errors occurred:\n\t* plugin not found in the catalog: nosuch-plugin\n\t* plugin not found in the catalog: nosuch-plugin\n\n"
            ])
        #expect(
            await h.error(.update, "config/pg", ["plugin_name": "postgresql-database-plugin"])?.messages == [
                "error creating database object: connection_url cannot be empty"
            ])
        let badTemplate = await h.error(
            .update, "config/pg",
            ["plugin_name": "postgresql-database-plugin", "connection_url": "postgres://h/d", "username_template": "{{nosuch}}", "verify_connection": false])
        #expect(badTemplate?.messages.first?.hasPrefix("error creating database object: unable to initialize username template: unable to parse template: template: template:1: function \"nosuch\" not defined") == true)
    }

    @Test func unverifiedConfigIsStoredAndReadWithoutPassword() async throws {
        #expect(
            try await h.send(
                .update, "config/pg",
                [
                    "plugin_name": "postgresql-database-plugin", "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:1/postgres",
                    "username": "root", "password": "s3cret", "verify_connection": false, "allowed_roles": "dyn,static1",
                ]) == nil)
        let data = try #require(try await h.send(.read, "config/pg")?.data)
        #expect(data["allowed_roles"] == ["dyn", "static1"])
        #expect(data["plugin_name"] == "postgresql-database-plugin")
        #expect(data["password_policy"] == "")
        #expect(data["root_credentials_rotate_statements"] == [])
        let details = try #require(data["connection_details"]?.objectValue)
        #expect(details["username"] == "root")
        #expect(details["password"] == nil)
        #expect(try await h.send(.list, "config/")?.data?["keys"] == ["pg"])
        #expect(await h.error(.read, "config/nosuch")?.code == .notFound)
        // reset / rotate-root of an unknown connection: OpenBao's 500.
        #expect(await h.error(.update, "reset/nosuch")?.messages == ["1 error occurred:\n\t* failed to find entry for connection with name: \"nosuch\"\n\n"])
        #expect(await h.error(.update, "rotate-root/nosuch")?.code == .internal)
    }

    @Test func roleErrorsAndShapes() async throws {
        #expect(await h.error(.update, "roles/x", [:])?.messages == ["database name is required"])
        #expect(await h.error(.update, "roles/x", ["db_name": "pg", "credential_type": "bogus"])?.messages == [#"invalid credential_type "bogus""#])
        try await h.send(.update, "roles/dyn", ["db_name": "pg", "creation_statements": ["CREATE ROLE \"{{name}}\""], "default_ttl": "1h", "max_ttl": "24h"])
        let data = try #require(try await h.send(.read, "roles/dyn")?.data)
        #expect(data["default_ttl"] == 3600)
        #expect(data["max_ttl"] == 86400)
        #expect(data["credential_type"] == "password")
        #expect(data["renew_statements"] == [] && data["revocation_statements"] == [] && data["rollback_statements"] == [])
        #expect(await h.error(.read, "creds/nosuch")?.messages == ["unknown role: nosuch"])
        #expect(await h.error(.read, "creds/dyn")?.messages == ["1 error occurred:\n\t* failed to find entry for connection with name: \"pg\"\n\n"])
        // A static role cannot take a dynamic role's name.
        #expect(
            await h.error(.update, "static-roles/dyn", ["db_name": "pg", "username": "u", "rotation_period": "1h"])?.messages == [
                "Role and Static Role names must be unique"
            ])
        #expect(try await h.send(.list, "roles/")?.data?["keys"] == ["dyn"])
    }

    @Test func allowedRolesAndEmptyStatements() async throws {
        try await h.send(
            .update, "config/pg",
            ["plugin_name": "postgresql-database-plugin", "connection_url": "postgres://127.0.0.1:1/d", "verify_connection": false, "allowed_roles": ["dyn*"]])
        try await h.send(.update, "roles/notallowed", ["db_name": "pg"])
        #expect(await h.error(.read, "creds/notallowed")?.messages == ["1 error occurred:\n\t* \"notallowed\" is not an allowed role\n\n"])
        try await h.send(.update, "roles/dyn1", ["db_name": "pg"])
        #expect(await h.error(.read, "creds/dyn1")?.messages == ["1 error occurred:\n\t* empty creation statements\n\n"])
    }

    @Test func staticRoleErrors() async throws {
        let base: [String: JSONValue] = ["db_name": "pg", "username": "u"]
        #expect(await h.error(.update, "static-roles/s", ["db_name": "pg", "rotation_period": "1h"])?.messages == ["username is a required field to create a static account"])
        #expect(await h.error(.update, "static-roles/s", base)?.messages == ["rotation_period is required to create static accounts"])
        #expect(await h.error(.update, "static-roles/s", base.merging(["rotation_period": "2s"]) { a, _ in a })?.messages == ["rotation_period must be 5 seconds or more"])
        #expect(
            await h.error(.update, "static-roles/s", base.merging(["rotation_period": "1h", "rotation_schedule": "0 * * * *"]) { a, _ in a })?.messages == [
                "mutually exclusive fields rotation_period and rotation_schedule were both specified; only one of them can be provided"
            ])
        #expect(
            await h.error(.update, "static-roles/s", base.merging(["rotation_period": "1h", "rotation_window": "2h"]) { a, _ in a })?.messages == [
                "rotation_window is invalid with use of rotation_period"
            ])
        #expect(await h.error(.update, "static-roles/s", base.merging(["rotation_schedule": "bad"]) { a, _ in a })?.messages.first?.hasPrefix("could not parse rotation_schedule") == true)
        #expect(await h.error(.update, "rotate-role/nosuch")?.messages == ["no static role found for role name"])
        #expect(await h.error(.read, "static-creds/nosuch")?.messages == ["unknown role: nosuch"])
    }
}
