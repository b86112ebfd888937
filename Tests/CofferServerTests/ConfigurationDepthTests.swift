import CofferServer
import Testing

/// Issue 11, item 5: deeply nested configuration is refused with an error, not a stack overflow.
@Suite("Configuration depth limit")
struct ConfigurationDepthTests {
    @Test func deeplyNestedConfigurationIsRefused() {
        let texts = [
            ("coffer.hcl", #"storage "sqlite" { path = "# + String(repeating: "[", count: 100_000) + " }"),
            ("coffer.hcl", String(repeating: #"listener "tcp" {"#, count: 2_000)),
            ("coffer.json", #"{"storage": "# + String(repeating: "[", count: 100_000) + "}"),
        ]
        for (fileName, text) in texts {
            #expect {
                _ = try ServerConfiguration.parse(text: text, fileName: fileName)
            } throws: { error in
                (error as? ConfigurationError)?.message.hasSuffix("exceeded max depth") == true
            }
        }
    }
}
