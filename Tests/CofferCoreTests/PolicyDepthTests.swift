import CofferCore
import Testing

/// Issue 11, item 5: a 20 KB policy of nested `[` overflowed the stack. Deep policies are refused with an error.
@Suite("Policy depth limit")
struct PolicyDepthTests {
    private func parseError(_ text: String) -> PolicyParseError? {
        do {
            _ = try PolicyParser.parse(name: "deep", text: text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [20_000, 100_000])
    func deeplyNestedPoliciesAreRefused(size: Int) {
        let texts = [
            #"path "a" { capabilities = "# + String(repeating: "[", count: size) + String(repeating: "]", count: size) + " }",
            #"path "a" { allowed_parameters = "# + String(repeating: "{a=", count: size / 3) + String(repeating: "}", count: size / 3) + " }",
            #"path "a" { x = "# + String(repeating: "[{a=", count: size / 4) + " }",
            String(repeating: #"path "a" {"#, count: size / 10) + String(repeating: "}", count: size / 10),
            #"{"path": {"a": {"capabilities": "# + String(repeating: "[", count: size) + String(repeating: "]", count: size) + "}}}",
        ]
        for text in texts {
            let error = parseError(text)
            #expect(error?.message.hasSuffix("exceeded max depth") == true, "\(String(describing: error))")
            #expect(error?.apiMessage.hasPrefix("failed to parse policy: At 1:") == true)
        }
    }

    @Test func theErrorNamesTheBracket() {
        let text = #"path "a" { capabilities = "# + String(repeating: "[", count: 20_000)
        // The body of `path "a"` counts level 5 (the top object 1, two levels for each key), the list 7: bracket 507
        // (column 533) would be level 513.
        #expect(parseError(text)?.apiMessage == "failed to parse policy: At 1:533: exceeded max depth")
    }
}
