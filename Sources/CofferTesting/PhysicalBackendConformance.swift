import CofferSDK
import Foundation

/// A failed expectation of ``PhysicalBackendConformance``.
///
/// Thrown instead of recording an issue, because Swift Testing's `#expect` is only available in test targets:
/// a test calls the suite inside `@Test` and the thrown error fails the test with `description` as its message.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The check that failed (``PhysicalBackendConformance/Check`` raw value), if known.
    public var check: String?
    public var message: String

    public init(check: String? = nil, _ message: String) {
        self.check = check
        self.message = message
    }

    public var description: String {
        if let check { return "[\(check)] \(message)" }
        return message
    }
}

/// A shared behavioural test suite that every ``PhysicalBackend`` must pass.
///
/// ```swift
/// @Test func conformance() async throws {
///     try await PhysicalBackendConformance.run { InMemoryPhysicalBackend() }
/// }
///
/// @Test(arguments: PhysicalBackendConformance.Check.allCases)
/// func conformance(_ check: PhysicalBackendConformance.Check) async throws {
///     try await PhysicalBackendConformance.run(check) { try await makeBackend() }
/// }
/// ```
///
/// Each check expects a fresh, empty backend. `run` closes the backend after the check.
public enum PhysicalBackendConformance {
    /// One behavioural property of a backend.
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        case getMissing
        case binaryRoundTrip
        case overwrite
        case delete
        case listImmediateChildren
        case listNestedPrefixes
        case listAfterDelete
        case specialCharacterKeys
        case transactionAtomicity
        case concurrentWrites

        public var description: String { rawValue }
    }

    /// Runs every check, each on a fresh backend from `makeBackend` (closed afterwards).
    /// Throws one ``ConformanceFailure`` listing every failed check.
    public static func run(_ makeBackend: () async throws -> any PhysicalBackend) async throws {
        var failures: [String] = []
        for check in Check.allCases {
            do {
                try await run(check, makeBackend)
            } catch {
                failures.append(String(describing: error))
            }
        }
        if !failures.isEmpty {
            throw ConformanceFailure(
                "\(failures.count) of \(Check.allCases.count) conformance checks failed:\n" + failures.joined(separator: "\n")
            )
        }
    }

    /// Runs one check on a fresh backend from `makeBackend`, then closes it.
    public static func run(_ check: Check, _ makeBackend: () async throws -> any PhysicalBackend) async throws {
        let backend = try await makeBackend()
        var failure: (any Error)?
        do {
            try await run(check, on: backend)
        } catch {
            failure = error
        }
        do {
            try await backend.close()
        } catch {
            if failure == nil { failure = ConformanceFailure(check: check.rawValue, "close() threw \(error)") }
        }
        if let failure { throw failure }
    }

    /// Runs one check on `backend`, which must be empty. Does not close it.
    public static func run(_ check: Check, on backend: any PhysicalBackend) async throws {
        do {
            switch check {
            case .getMissing: try await checkGetMissing(backend)
            case .binaryRoundTrip: try await checkBinaryRoundTrip(backend)
            case .overwrite: try await checkOverwrite(backend)
            case .delete: try await checkDelete(backend)
            case .listImmediateChildren: try await checkListImmediateChildren(backend)
            case .listNestedPrefixes: try await checkListNestedPrefixes(backend)
            case .listAfterDelete: try await checkListAfterDelete(backend)
            case .specialCharacterKeys: try await checkSpecialCharacterKeys(backend)
            case .transactionAtomicity: try await checkTransaction(backend)
            case .concurrentWrites: try await checkConcurrentWrites(backend)
            }
        } catch var failure as ConformanceFailure {
            failure.check = check.rawValue
            throw failure
        } catch {
            throw ConformanceFailure(check: check.rawValue, "backend threw unexpectedly: \(error)")
        }
    }

    // MARK: - Checks

    /// `get` of a key never written is `nil`; `list` of an empty backend is empty.
    public static func checkGetMissing(_ backend: any PhysicalBackend) async throws {
        for key in ["missing", "a/b/c", "folder/", "x"] {
            if let value = try await backend.get(key) {
                throw ConformanceFailure("get(\(quoted(key))) on an empty backend returned \(value.count) bytes, expected nil")
            }
        }
        try await expectList(backend, "", [])
        try await expectList(backend, "nope/", [])
        try await backend.put("present", Data("x".utf8))
        if try await backend.get("presen") != nil { throw ConformanceFailure("get(\"presen\") matched key \"present\" by prefix") }
        if try await backend.get("present/") != nil { throw ConformanceFailure("get(\"present/\") returned a value") }
        if try await backend.get("PRESENT") != nil { throw ConformanceFailure("get is case-insensitive: get(\"PRESENT\") returned a value") }
    }

    /// Values are opaque bytes: every byte value, empty, and 1 MiB survive a round trip unchanged.
    public static func checkBinaryRoundTrip(_ backend: any PhysicalBackend) async throws {
        let allBytes = Data((0...255).map { UInt8($0) })
        try await backend.put("bin/all-bytes", allBytes)
        try await expectValue(backend, "bin/all-bytes", allBytes)

        let reversed = Data(allBytes.reversed())
        try await backend.put("bin/reversed", reversed)
        try await expectValue(backend, "bin/reversed", reversed)

        let zeros = Data(repeating: 0, count: 1024)
        try await backend.put("bin/zeros", zeros)
        try await expectValue(backend, "bin/zeros", zeros)

        try await backend.put("bin/empty", Data())
        guard let empty = try await backend.get("bin/empty") else {
            throw ConformanceFailure("get of a key stored with an empty value returned nil, expected empty Data")
        }
        if !empty.isEmpty { throw ConformanceFailure("empty value came back as \(empty.count) bytes") }

        let big = pseudoRandomData(count: 1 << 20, seed: 0xC0FFEE)
        try await backend.put("bin/one-mebibyte", big)
        try await expectValue(backend, "bin/one-mebibyte", big)

        // Data slices with a non-zero startIndex must be stored by content.
        let slice = allBytes[100..<200]
        try await backend.put("bin/slice", slice)
        try await expectValue(backend, "bin/slice", Data(slice))

        // Text-looking bytes that are not valid UTF-8 must not be mangled.
        let invalidUTF8 = Data([0x61, 0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x00, 0x62])
        try await backend.put("bin/invalid-utf8", invalidUTF8)
        try await expectValue(backend, "bin/invalid-utf8", invalidUTF8)

        try await expectList(
            backend, "bin/",
            ["all-bytes", "empty", "invalid-utf8", "one-mebibyte", "reversed", "slice", "zeros"]
        )
    }

    /// A second `put` replaces the value, including with a shorter or empty one.
    public static func checkOverwrite(_ backend: any PhysicalBackend) async throws {
        try await backend.put("k", Data("first".utf8))
        try await backend.put("k", Data("second value".utf8))
        try await expectValue(backend, "k", Data("second value".utf8))
        try await backend.put("k", Data("3".utf8))
        try await expectValue(backend, "k", Data("3".utf8))
        try await backend.put("k", Data())
        try await expectValue(backend, "k", Data())
        try await backend.put("k", pseudoRandomData(count: 70_000, seed: 7))
        try await backend.put("k", Data("last".utf8))
        try await expectValue(backend, "k", Data("last".utf8))
        try await expectList(backend, "", ["k"])
    }

    /// `delete` removes exactly one key; deleting a missing key succeeds.
    public static func checkDelete(_ backend: any PhysicalBackend) async throws {
        for key in ["a", "ab", "a/b", "a/b/c", "b"] {
            try await backend.put(key, Data(key.utf8))
        }
        try await backend.delete("a")
        try await expectValue(backend, "a", nil)
        for key in ["ab", "a/b", "a/b/c", "b"] {
            try await expectValue(backend, key, Data(key.utf8))
        }
        do {
            try await backend.delete("a")
            try await backend.delete("never-existed")
            try await backend.delete("a/")
            try await backend.delete("deep/missing/key")
        } catch {
            throw ConformanceFailure("delete of a missing key threw \(error)")
        }
        try await backend.delete("a/b")
        try await expectValue(backend, "a/b", nil)
        try await expectValue(backend, "a/b/c", Data("a/b/c".utf8))
        try await expectList(backend, "", ["a/", "ab", "b"])
        try await backend.put("a", Data("again".utf8))
        try await expectValue(backend, "a", Data("again".utf8))
    }

    /// `list` returns immediate children, folders with a trailing `/`, sorted, without duplicates.
    public static func checkListImmediateChildren(_ backend: any PhysicalBackend) async throws {
        let keys = [
            "zeta", "foo", "foo/bar", "foo/baz/qux", "foo/baz/quux", "foo-bar", "foo0",
            "alpha/1", "alpha/2", "alpha/3/x", "beta/deep/deeper/deepest", "Capital",
        ]
        for key in keys { try await backend.put(key, Data(key.utf8)) }
        try await expectList(backend, "", ["Capital", "alpha/", "beta/", "foo", "foo-bar", "foo/", "foo0", "zeta"])
        // A prefix that does not end in "/" lists the remainders after it, Vault style.
        try await expectList(backend, "foo", ["-bar", "/", "0"])
        try await expectList(backend, "f", ["oo", "oo-bar", "oo/", "oo0"])
        try await expectList(backend, "missing/", [])
        try await expectList(backend, "zeta/", [])

        // Many files in one folder plus many descendants in subfolders: one entry per child.
        for i in 0..<40 {
            try await backend.put("many/sub\(i % 4)/leaf\(i)", Data([UInt8(i)]))
            try await backend.put("many/file\(String(format: "%02d", i))", Data([UInt8(i)]))
        }
        var expected = (0..<4).map { "sub\($0)/" }
        expected += (0..<40).map { "file" + String(format: "%02d", $0) }
        try await expectList(backend, "many/", expected.sorted())
    }

    /// `list` of nested prefixes returns the right level only.
    public static func checkListNestedPrefixes(_ backend: any PhysicalBackend) async throws {
        let keys = [
            "sys/token/id/h1", "sys/token/id/h2", "sys/token/accessor/a1", "sys/token/parent/p1/c1",
            "sys/expire/id/auth/token/create/l1", "sys/expire/id/auth/token/create/l2",
            "sys/expire/id/secret/creds/l3", "sys/policy/default", "sys/policy/root", "core/keyring",
        ]
        for key in keys { try await backend.put(key, Data(key.utf8)) }
        try await expectList(backend, "", ["core/", "sys/"])
        try await expectList(backend, "sys/", ["expire/", "policy/", "token/"])
        try await expectList(backend, "sys/token/", ["accessor/", "id/", "parent/"])
        try await expectList(backend, "sys/token/id/", ["h1", "h2"])
        try await expectList(backend, "sys/token/parent/", ["p1/"])
        try await expectList(backend, "sys/token/parent/p1/", ["c1"])
        try await expectList(backend, "sys/expire/id/", ["auth/", "secret/"])
        try await expectList(backend, "sys/expire/id/auth/token/create/", ["l1", "l2"])
        try await expectList(backend, "sys/policy/", ["default", "root"])
        try await expectList(backend, "sys/policy/root/", [])
        try await expectList(backend, "core/keyring/", [])
    }

    /// A folder disappears from `list` once its last descendant is deleted.
    public static func checkListAfterDelete(_ backend: any PhysicalBackend) async throws {
        try await backend.put("d/x/y", Data("1".utf8))
        try await backend.put("d/z", Data("2".utf8))
        try await backend.put("e", Data("3".utf8))
        try await expectList(backend, "", ["d/", "e"])
        try await expectList(backend, "d/", ["x/", "z"])
        try await backend.delete("d/x/y")
        try await expectList(backend, "d/", ["z"])
        try await backend.delete("d/z")
        try await expectList(backend, "d/", [])
        try await expectList(backend, "", ["e"])
        try await backend.delete("e")
        try await expectList(backend, "", [])
    }

    /// Keys with unicode, SQL `LIKE` metacharacters (`%`, `_`, `\`), glob characters, quotes and spaces
    /// are stored, read and listed literally.
    public static func checkSpecialCharacterKeys(_ backend: any PhysicalBackend) async throws {
        let keys = [
            "100%", "100%/x", "100x", "1000",
            "a_b", "a_b/c", "axb", "axb/c", "a%b", "ab", "a%%", "a\\b", "a\\%", "a[b]", "a*b", "a?b",
            "quote'key", "double\"quote", "semi;colon", "sp ace/k", "tab\tkey",
            "ünïcödé/ключ", "ünïcödé/值", "emoji/🔐🗝️", "日本/語", "z\u{10FFFF}", "z\u{10FFFF}x", "z\u{10FFFF}/y",
        ]
        for (i, key) in keys.enumerated() {
            try await backend.put(key, Data("v\(i)".utf8))
        }
        for (i, key) in keys.enumerated() {
            try await expectValue(backend, key, Data("v\(i)".utf8))
        }
        try await expectList(backend, "100%", ["/"])
        try await expectList(backend, "100%/", ["x"])
        try await expectList(backend, "a_", ["b", "b/"])
        try await expectList(backend, "a_b/", ["c"])
        try await expectList(backend, "a%", ["%", "b"])
        try await expectList(backend, "a\\", ["%", "b"])
        try await expectList(backend, "a[", ["b]"])
        try await expectList(backend, "a*", ["b"])
        try await expectList(backend, "ünïcödé/", ["ключ", "值"])
        try await expectList(backend, "emoji/", ["🔐🗝️"])
        try await expectList(backend, "日本/", ["語"])
        try await expectList(backend, "z", ["\u{10FFFF}", "\u{10FFFF}/", "\u{10FFFF}x"])
        try await expectList(backend, "z\u{10FFFF}", ["/", "x"])
        try await expectList(backend, "%", [])
        try await expectList(backend, "_", [])
        try await expectList(
            backend, "",
            immediateChildren(of: "", in: keys)
        )
        // Deleting a metacharacter key removes only that key.
        try await backend.delete("a_b")
        try await expectValue(backend, "a_b", nil)
        try await expectValue(backend, "axb", Data("v\(keys.firstIndex(of: "axb")!)".utf8))
        try await backend.delete("100%")
        try await expectValue(backend, "100x", Data("v\(keys.firstIndex(of: "100x")!)".utf8))
        try await expectValue(backend, "1000", Data("v\(keys.firstIndex(of: "1000")!)".utf8))
    }

    /// A transaction mixing puts and deletes is applied fully and in order.
    public static func checkTransaction(_ backend: any PhysicalBackend) async throws {
        try await backend.put("t/keep", Data("old".utf8))
        try await backend.put("t/del", Data("doomed".utf8))
        try await backend.put("t/untouched", Data("same".utf8))
        try await backend.transaction([
            .put("t/a", Data("A".utf8)),
            .put("t/nested/b", Data("B".utf8)),
            .delete("t/del"),
            .put("t/keep", Data("new".utf8)),
            .put("t/put-then-delete", Data("x".utf8)),
            .delete("t/put-then-delete"),
            .delete("t/delete-then-put"),
            .put("t/delete-then-put", Data("present".utf8)),
            .put("t/twice", Data("1".utf8)),
            .put("t/twice", Data("2".utf8)),
            .delete("t/never-existed"),
            .put("t/empty", Data()),
        ])
        try await expectValue(backend, "t/a", Data("A".utf8))
        try await expectValue(backend, "t/nested/b", Data("B".utf8))
        try await expectValue(backend, "t/del", nil)
        try await expectValue(backend, "t/keep", Data("new".utf8))
        try await expectValue(backend, "t/put-then-delete", nil)
        try await expectValue(backend, "t/delete-then-put", Data("present".utf8))
        try await expectValue(backend, "t/twice", Data("2".utf8))
        try await expectValue(backend, "t/never-existed", nil)
        try await expectValue(backend, "t/empty", Data())
        try await expectValue(backend, "t/untouched", Data("same".utf8))
        try await expectList(backend, "t/", ["a", "delete-then-put", "empty", "keep", "nested/", "twice", "untouched"])

        // An empty transaction is a no-op.
        try await backend.transaction([])
        try await expectList(backend, "t/", ["a", "delete-then-put", "empty", "keep", "nested/", "twice", "untouched"])

        // A large transaction.
        let ops: [StorageOperation] = (0..<500).map { .put("big/\(String(format: "%03d", $0))", Data(String($0).utf8)) }
        try await backend.transaction(ops + [.delete("t/a")])
        let listed = try await backend.list(prefix: "big/")
        if listed.count != 500 { throw ConformanceFailure("500-put transaction: list(\"big/\") has \(listed.count) entries") }
        try await expectValue(backend, "big/499", Data("499".utf8))
        try await expectValue(backend, "t/a", nil)
    }

    /// 64 tasks writing concurrently (puts, deletes and transactions): every acknowledged write is readable.
    public static func checkConcurrentWrites(_ backend: any PhysicalBackend) async throws {
        let taskCount = 64
        for i in 0..<taskCount { try await backend.put("conc/gone\(i)", Data("g".utf8)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<taskCount {
                group.addTask {
                    let value = Data("value-\(i)".utf8) + pseudoRandomData(count: 100 + i, seed: UInt64(i))
                    try await backend.put("conc/k\(i)", value)
                    // Acknowledged means visible to this task's very next read.
                    guard try await backend.get("conc/k\(i)") == value else {
                        throw ConformanceFailure("task \(i): acknowledged put of conc/k\(i) was not visible to the next get")
                    }
                    try await backend.delete("conc/gone\(i)")
                    try await backend.transaction([
                        .put("conc/tx\(i)/a", Data("a\(i)".utf8)),
                        .put("conc/tx\(i)/b", Data("b\(i)".utf8)),
                    ])
                    _ = try await backend.list(prefix: "conc/")
                }
            }
            try await group.waitForAll()
        }
        for i in 0..<taskCount {
            let expected = Data("value-\(i)".utf8) + pseudoRandomData(count: 100 + i, seed: UInt64(i))
            try await expectValue(backend, "conc/k\(i)", expected)
            try await expectValue(backend, "conc/gone\(i)", nil)
            try await expectValue(backend, "conc/tx\(i)/a", Data("a\(i)".utf8))
            try await expectValue(backend, "conc/tx\(i)/b", Data("b\(i)".utf8))
        }
        let expected = ((0..<taskCount).map { "k\($0)" } + (0..<taskCount).map { "tx\($0)/" }).sorted()
        try await expectList(backend, "conc/", expected)
    }

    // MARK: - Helpers

    /// Deterministic bytes (xorshift64*), so a mismatch is reproducible.
    public static func pseudoRandomData(count: Int, seed: UInt64) -> Data {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            bytes[i] = UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 56)
        }
        return Data(bytes)
    }

    static func expectValue(_ backend: any PhysicalBackend, _ key: String, _ expected: Data?) async throws {
        let actual = try await backend.get(key)
        guard actual != expected else { return }
        throw ConformanceFailure("get(\(quoted(key))) returned \(describe(actual)), expected \(describe(expected))")
    }

    static func expectList(_ backend: any PhysicalBackend, _ prefix: String, _ expected: [String]) async throws {
        let actual = try await backend.list(prefix: prefix)
        if actual != expected {
            throw ConformanceFailure(
                "list(prefix: \(quoted(prefix))) returned \(actual.map(quoted)), expected \(expected.map(quoted))"
            )
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : $0.escaped(asASCII: true) }.joined() + "\""
    }

    static func describe(_ data: Data?) -> String {
        guard let data else { return "nil" }
        if data.count <= 32 { return "\(data.count) bytes [\(data.map { String(format: "%02x", $0) }.joined())]" }
        return "\(data.count) bytes [\(data.prefix(16).map { String(format: "%02x", $0) }.joined())…]"
    }
}
