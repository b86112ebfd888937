import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// Transit against what OpenBao 2.7.2 recorded (`Tests/CofferSDKTests/Fixtures`): every field of every path its
/// OpenAPI document lists for transit, and every `batch_input` value sent to `encrypt/k`.
@Suite struct OpenBaoFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../CofferSDKTests/Fixtures")

    static func load(_ name: String) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// Each request body schema of a path, as `[method: [field: (type, format, default)]]`.
    static func bodies(_ doc: JSONValue, _ item: JSONValue) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for method in ["get", "post", "delete"] {
            guard let op = item[method] else { continue }
            var fields: [String: String] = [:]
            if let ref = op["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.stringValue,
                let props = doc["components"]?["schemas"]?[String(ref.split(separator: "/").last ?? "")]?["properties"]?.objectValue
            {
                for (name, schema) in props {
                    fields[name] = [schema["type"], schema["format"], schema["items"]?["type"], schema["default"]]
                        .map { $0.map { $0.serialized() } ?? "-" }.joined(separator: " ")
                }
            }
            out[method] = fields
        }
        return out
    }

    @Test func fieldsMatchOpenBaosDocument() throws {
        let bao = try Self.load("openbao-openapi.json")
        let ours = OpenAPIDocument.build(
            version: "2.7.2", mounts: [.init(path: "transit/", tag: "secrets", type: "transit", paths: TransitEngine.router.pathDescriptions)])
        let baoPaths = bao["paths"]?.objectValue ?? [:]
        let ourPaths = ours["paths"]?.objectValue ?? [:]
        // Paths OpenBao serves that this engine does not (yet).
        let notServed: Set<String> = [
            "/transit/byok-export/{destination}/{source}", "/transit/byok-export/{destination}/{source}/{version}",
            "/transit/config/keys", "/transit/derive-key/{name}", "/transit/keys/{name}/csr",
            "/transit/keys/{name}/set-certificate", "/transit/keys/{name}/soft-delete", "/transit/keys/{name}/soft-delete-restore",
        ]
        let transit = Set(baoPaths.keys.filter { $0.hasPrefix("/transit/") })
        #expect(Set(ourPaths.keys) == transit.subtracting(notServed))
        for path in transit.subtracting(notServed).sorted() {
            guard let b = baoPaths[path], let o = ourPaths[path] else { continue }
            let params = { (item: JSONValue) in Set((item["parameters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }) }
            #expect(params(o) == params(b), "\(path)")
            #expect(Self.bodies(ours, o) == Self.bodies(bao, b), "\(path)")
            #expect(o["x-vault-createSupported"] == b["x-vault-createSupported"], "\(path)")
        }
    }

    @Test func batchInputOfEncryptAsRecorded() async throws {
        let doc = try Self.load("openbao-field-types.json")
        let cases = doc["types"]?["TypeSlice"]?["endpoints"]?.arrayValue?.first?["cases"]?.arrayValue ?? []
        #expect(cases.count > 100)
        let h = Harness()
        _ = try await h.data(.update, "keys/k")
        for c in cases {
            let text = c["input_json"]?.stringValue ?? ""
            let input = try JSONValue.parse(Data(text.utf8))
            if c["ok"] == true {
                let results = try await h.data(.update, "encrypt/k", ["batch_input": input])["batch_results"]?.arrayValue ?? []
                let masked = results.map { r -> JSONValue in
                    guard case .object(var o) = r else { return r }
                    if o["ciphertext"] != nil { o["ciphertext"] = "<ciphertext>" }
                    return .object(o)
                }
                #expect(JSONValue.array(masked) == c["value"], "\(text)")
            } else {
                let e = await h.error(.update, "encrypt/k", ["batch_input": input])
                #expect(e?.messages == [c["error"]?.stringValue ?? ""], "\(text)")
                #expect(e?.code == (c["status"] == 500 ? .internal : .invalidRequest), "\(text)")
            }
        }
    }
}
