import CofferCore
import CofferHTTP
import CofferSDK
import CofferServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The exact Vault wire format, checked through the Hummingbird test client. Expected bodies and statuses were
/// taken from OpenBao 2.7.2 for the same requests.
@Suite struct VaultWireTests {
    static func app() async throws -> (some ApplicationProtocol, Core) {
        let core = Core(configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: CofferServer.engines, logger: Logger(label: "test"))
        try await core.loadSealConfig()
        let app = Application(responder: CofferResponder(core: core, logger: Logger(label: "test")))
        return (app, core)
    }

    static func json(_ buffer: ByteBuffer) -> JSONValue {
        (try? JSONValue.parse(Array(buffer.readableBytesView))) ?? .null
    }

    static func tokenHeader(_ t: String) -> HTTPFields { [HTTPField.Name("X-Vault-Token")!: t] }

    @Test func initUnsealAndErrorShapes() async throws {
        let (app, _) = try await Self.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/sys/init", method: .get) { r in
                #expect(r.status == .ok)
                #expect(Self.json(r.body) == ["initialized": false])
            }
            try await client.execute(uri: "/v1/sys/health", method: .get) { r in #expect(r.status.code == 501) }
            try await client.execute(uri: "/v1/sys/health?uninitcode=204&sealedcode=299", method: .get) { r in #expect(r.status.code == 204) }
            try await client.execute(uri: "/v1/sys/health?uninitcode=200", method: .head) { r in #expect(r.status.code == 200) }
            try await client.execute(uri: "/v1/secret/data/x", method: .get) { r in
                #expect(r.status.code == 503)
                #expect(Self.json(r.body) == ["errors": ["Vault is sealed"]])
            }
            try await client.execute(uri: "/v1/sys/init", method: .put, body: ByteBuffer(string: #"{"secret_shares":1}"#)) { r in
                #expect(r.status.code == 400)
                #expect(Self.json(r.body) == ["errors": ["invalid seal configuration: threshold must be at least one"]])
            }
            var keys: [String] = []
            var root = ""
            try await client.execute(uri: "/v1/sys/init", method: .put, body: ByteBuffer(string: #"{"secret_shares":3,"secret_threshold":2}"#)) { r in
                #expect(r.status == .ok)
                let v = Self.json(r.body)
                keys = v["keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                root = v["root_token"]?.stringValue ?? ""
                #expect(v["keys_base64"]?.arrayValue?.count == 3)
            }
            #expect(keys.count == 3)
            try await client.execute(uri: "/v1/sys/unseal", method: .put, body: ByteBuffer(string: #"{"key":"zz"}"#)) { r in
                #expect(r.status.code == 400)
                #expect(Self.json(r.body) == ["errors": ["'key' must be a valid hex or base64 string"]])
            }
            for k in keys.prefix(2) {
                try await client.execute(uri: "/v1/sys/unseal", method: .put, body: ByteBuffer(string: #"{"key":"\#(k)"}"#)) { r in
                    #expect(r.status == .ok)
                }
            }
            try await client.execute(uri: "/v1/sys/health?activecode=299", method: .get) { r in #expect(r.status.code == 299) }
            try await client.execute(uri: "/v1/sys/health", method: .head) { r in #expect(r.status.code == 200) }
            try await client.execute(uri: "/v1/sys/seal-status", method: .get) { r in
                let v = Self.json(r.body)
                #expect(v["sealed"] == false && v["t"] == 2 && v["n"] == 3 && v["type"] == "shamir")
            }
            try await client.execute(uri: "/v1/nope/foo", method: .get, headers: Self.tokenHeader(root)) { r in
                #expect(r.status.code == 404)
                #expect(Self.json(r.body) == ["errors": [#"no handler for route "nope/foo". route entry not found."#]])
            }
            try await client.execute(uri: "/v1/sys/mounts", method: .get) { r in
                #expect(r.status.code == 403)
                #expect(Self.json(r.body) == ["errors": ["permission denied"]])
            }
            try await client.execute(uri: "/v1/sys/mounts/kv", method: .post, headers: Self.tokenHeader(root), body: ByteBuffer(string: "{bad")) { r in
                #expect(r.status.code == 400)
                let msg = Self.json(r.body)["errors"]?.arrayValue?.first?.stringValue ?? ""
                #expect(msg.hasPrefix("failed to decode JSON input: "))
            }
            try await client.execute(uri: "/v1/sys/mounts/kv", method: .post, headers: Self.tokenHeader(root), body: ByteBuffer(string: #"{"type":"kv","options":{"version":"2"}}"#)) { r in
                #expect(r.status == .noContent)
            }
            try await client.execute(uri: "/v1/sys/mounts/kv", method: .post, headers: Self.tokenHeader(root), body: ByteBuffer(string: #"{"type":"kv"}"#)) { r in
                #expect(r.status.code == 400)
                #expect(Self.json(r.body) == ["errors": ["path is already in use at kv/"]])
            }
            try await client.execute(uri: "/v1/sys/mounts", method: .get, headers: Self.tokenHeader(root)) { r in
                let v = Self.json(r.body)
                // The legacy duplicated top-level fields and the envelope.
                #expect(v["kv/"]?["type"] == "kv")
                #expect(v["data"]?["kv/"]?["options"] == ["version": "2"])
                #expect(v["wrap_info"] == .null && v["lease_id"] == "")
            }
            try await client.execute(uri: "/v1/sys/policies/acl", method: .get, headers: Self.tokenHeader(root)) { r in
                #expect(r.status.code == 405)
            }
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: CofferResponder.maxRequestSize + 1)
            try await client.execute(uri: "/v1/kv/data/big", method: .post, headers: Self.tokenHeader(root), body: big) { r in
                #expect(r.status.code == 413)
            }
        }
    }
}
