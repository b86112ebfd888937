import CofferSDK
import Testing

@testable import KVEngine

@Suite struct SupportTests {
    @Test func goDurationFormatting() throws {
        #expect(GoDuration.format(seconds: 0) == "0s")
        #expect(GoDuration.format(seconds: 45) == "45s")
        #expect(GoDuration.format(seconds: 1800) == "30m0s")
        #expect(GoDuration.format(seconds: 3600) == "1h0m0s")
        #expect(GoDuration.format(seconds: 90061) == "25h1m1s")
        #expect(GoDuration.format(seconds: -1) == "-1s")
    }

    @Test func goDurationParsing() throws {
        #expect(try GoDuration.parseSeconds("30m").get() == 1800)
        #expect(try GoDuration.parseSeconds("1.5h").get() == 5400)
        #expect(try GoDuration.parseSeconds("2d").get() == 172_800)
        #expect(try GoDuration.parseSeconds("-1h").get() == -3600)
        #expect(try GoDuration.parseSeconds("0").get() == 0)
        #expect(throws: GoDuration.ParseError(message: "time: invalid duration \"abc\"")) { try GoDuration.parseSeconds("abc").get() }
        #expect(throws: GoDuration.ParseError.self) { try GoDuration.parseSeconds("1.5").get() }
    }

    @Test func mergePatchFollowsRFC7386() throws {
        let target = try JSONValue.parse(#"{"a":1,"b":{"c":2,"d":3},"e":[1,2]}"#)
        let patch = try JSONValue.parse(#"{"a":null,"b":{"c":9,"x":{"y":1}},"e":[3],"n":null}"#)
        #expect(jsonMergePatch(target: target, patch: patch) == (try JSONValue.parse(#"{"b":{"c":9,"d":3,"x":{"y":1}},"e":[3]}"#)))
        #expect(jsonMergePatch(target: ["a": 1], patch: "x") == "x")
        #expect(jsonMergePatch(target: "x", patch: ["a": ["b": nil]]) == ["a": [:]])
    }

    @Test func metadataEncoderWritesWhatTheGenericEncoderWrites() throws {
        var meta = KeyMetadata(now: "2026-11-29T10:00:00.123456789Z")
        #expect(meta.serializedBytes() == meta.json.serializedBytes())
        meta.customMetadata = ["b": "x\"y\u{1}<>&", "a": "ünï", "": "empty"]
        meta.casRequired = true
        meta.deleteVersionAfter = 3600
        meta.maxVersions = -1
        meta.currentMetadataVersion = 7
        for n in Int64(1)...12 {
            meta.versions[n] = VersionInfo(createdTime: "t\(n)", deletionTime: n % 3 == 0 ? "d\(n)" : "", destroyed: n == 5)
        }
        meta.currentVersion = 12
        meta.oldestVersion = 1
        let bytes = meta.serializedBytes()
        #expect(bytes == meta.json.serializedBytes())
        #expect(KeyMetadata(json: try JSONValue.parse(bytes)) == meta)
    }
}
