import CofferSDK
import Testing

@testable import KVEngine

@Suite struct KVv1Tests {
    let h = Harness(version: "1")

    @Test func writeReadDeleteRoundTrip() async throws {
        #expect(try await h.send(.create, "foo", ["pssst": "hi"]) == nil)
        let read = try #require(try await h.send(.read, "foo"))
        #expect(read.data == ["pssst": "hi"])
        #expect(read.secret?.ttl == nil)  // core fills the mount default (OpenBao: 2764800)
        #expect(read.secret?.leased == false)
        #expect(try await h.send(.delete, "foo") == nil)
        #expect(await h.error(.read, "foo")?.code == .notFound)
        #expect(try await h.send(.delete, "missing") == nil)  // OpenBao: 204 for a missing key
    }

    @Test func readMissingIs404WithoutMessages() async {
        let e = await h.error(.read, "no-secret-here")
        #expect(e?.code == .notFound)
        #expect(e?.messages == [])
    }

    // Checked against OpenBao 2.7: ttl "1h" -> 3600, "1500ms" -> 1, "+5" -> 5, "-5" -> -5, 0 -> 0, null -> 0,
    // "" -> 0, "1d" -> 86400; "abc", " 10", "1.5", 1.5, true -> mount default. ttl wins over lease.
    @Test(arguments: [
        (JSONValue.string("1h"), Int64?.some(3600)), (.string("1500ms"), 1), (.string("+5"), 5), (.string("-5"), -5),
        (.int(0), 0), (.null, 0), (.string(""), 0), (.string("1d"), 86400), (.int(5), 5), (.string("1h30m"), 5400),
        (.string("abc"), nil), (.string(" 10"), nil), (.string("1.5"), nil), (.double(1.5), nil), (.bool(true), nil),
        (.string("5S"), nil), (.string("1w"), nil),
    ])
    func ttlIsReportedAsLeaseDuration(ttl: JSONValue, expected: Int64?) async throws {
        try await h.send(.update, "t", ["ttl": ttl, "x": "y"])
        let read = try #require(try await h.send(.read, "t"))
        #expect(read.secret?.ttl == expected)
        #expect(read.data?["ttl"] == ttl)
    }

    @Test func ttlWinsOverLease() async throws {
        try await h.send(.update, "both", ["ttl": "1m", "lease": "2h"])
        #expect(try await h.send(.read, "both")?.secret?.ttl == 60)
        try await h.send(.update, "lease", ["lease": "2h"])
        #expect(try await h.send(.read, "lease")?.secret?.ttl == 7200)
        try await h.send(.update, "badttl", ["lease": "5m", "ttl": "abc"])
        #expect(try await h.send(.read, "badttl")?.secret?.ttl == nil)
    }

    @Test func emptyWriteAndFolderWriteAreRejected() async {
        #expect(await h.error(.create, "empty", [:])?.messages == ["missing data fields"])
        #expect(await h.error(.create, "dir/", ["a": 1])?.messages == ["cannot write to a path ending in '/'"])
    }

    @Test func listReturnsImmediateChildren() async throws {
        try await h.send(.create, "foo", ["a": 1])
        try await h.send(.create, "dir/x", ["a": 1])
        try await h.send(.create, "dir/sub/y", ["a": 1])
        #expect(try await h.send(.list, "")?.data == ["keys": ["dir/", "foo"]])
        #expect(try await h.send(.list, "dir")?.data == ["keys": ["sub/", "x"]])
        #expect(try await h.send(.list, "dir/")?.data == ["keys": ["sub/", "x"]])
        #expect(await h.error(.list, "nope")?.code == .notFound)
    }

    @Test func existenceCheckReportsStoredKeys() async throws {
        #expect(try await h.engine.existenceCheck(h.request(.update, "k")) == false)
        try await h.send(.create, "k", ["a": 1])
        #expect(try await h.engine.existenceCheck(h.request(.update, "k")) == true)
    }

    @Test func patchIsUnsupportedButChecksMediaTypeFirst() async {
        #expect(await h.error(.patch, "k", ["a": 1], contentType: "application/merge-patch+json")?.code == .unsupportedOperation)
        let e = await h.error(.patch, "k", ["a": 1], contentType: "application/json")
        #expect(e?.code == .unsupportedMediaType)
        #expect(e?.messages == ["PATCH requires Content-Type of application/merge-patch+json, provided application/json"])
    }
}

@Suite struct CubbyholeTests {
    let h = Harness(cubbyhole: ())

    @Test func roundTripWithoutLease() async throws {
        try await h.send(.create, "foo", ["a": 1, "ttl": "1h"])
        let read = try #require(try await h.send(.read, "foo"))
        #expect(read.data == ["a": 1, "ttl": "1h"])
        #expect(read.secret == nil)
        #expect(try await h.send(.list, "")?.data == ["keys": ["foo"]])
        try await h.send(.delete, "foo")
        #expect(await h.error(.read, "foo")?.code == .notFound)
        #expect(await h.error(.list, "")?.code == .notFound)
    }

    // OpenBao 2.7 answers these with 500 and a wrapped message.
    @Test func openBaoQuirks() async {
        let empty = await h.error(.create, "e", [:])
        #expect(empty?.code == .internal)
        #expect(empty?.messages == ["1 error occurred:\n\t* missing data fields\n\n"])
        #expect(await h.error(.read, "")?.messages == ["1 error occurred:\n\t* missing path\n\n"])
        #expect(await h.error(.create, "d/", ["a": 1])?.messages == ["cannot write to a path ending in '/'"])
    }
}
