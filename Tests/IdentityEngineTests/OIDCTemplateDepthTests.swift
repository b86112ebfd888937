import CofferSDK
import Testing

/// Issue 11, item 5: the role template's JSON syntax check recursed without a limit; a deep template is refused.
@Suite("OIDC template depth")
struct OIDCTemplateDepthTests {
    @Test(arguments: [20_000, 100_000])
    func deepTemplatesAreRefused(size: Int) async throws {
        let h = OIDCHarness()
        try await h.call(.update, "oidc/key/k1")
        for template in [
            "{\"a\":" + String(repeating: "[", count: size) + String(repeating: "]", count: size) + "}",
            String(repeating: "{\"a\":", count: size / 5),
        ] {
            #expect(await h.error(.update, "oidc/role/r", ["key": "k1", "template": .string(template)])?.messages == ["error parsing template JSON: exceeded max depth"])
        }
        let ok = "{\"a\":" + String(repeating: "[", count: 510) + String(repeating: "]", count: 510) + "}"
        #expect(try await h.call(.update, "oidc/role/r", ["key": "k1", "template": .string(ok)]) == nil)
    }
}
