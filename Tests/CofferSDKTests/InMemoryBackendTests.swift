import CofferSDK
import CofferTesting
import Foundation
import Testing

@Suite("InMemoryPhysicalBackend conformance")
struct InMemoryBackendTests {
    @Test("passes every conformance check", arguments: PhysicalBackendConformance.Check.allCases)
    func conformance(_ check: PhysicalBackendConformance.Check) async throws {
        try await PhysicalBackendConformance.run(check) { InMemoryPhysicalBackend() }
    }

    @Test("run(_:) runs the whole suite")
    func wholeSuite() async throws {
        try await PhysicalBackendConformance.run { InMemoryPhysicalBackend() }
    }

    @Test("the suite catches a misbehaving backend")
    func suiteCatchesBrokenBackend() async throws {
        // A backend whose list returns every descendant (not just immediate children) must fail.
        let failure = await #expect(throws: ConformanceFailure.self) {
            try await PhysicalBackendConformance.run(.listNestedPrefixes) { RecursiveListBackend() }
        }
        #expect(failure?.check == "listNestedPrefixes")
        #expect(failure?.description.contains("list(prefix:") == true)

        // A backend that drops empty values must fail the binary round trip.
        await #expect(throws: ConformanceFailure.self) {
            try await PhysicalBackendConformance.run(.binaryRoundTrip) { DropsEmptyValuesBackend() }
        }
    }
}

/// Broken on purpose: lists every key below the prefix.
private struct RecursiveListBackend: PhysicalBackend {
    let inner = InMemoryPhysicalBackend()
    func get(_ key: String) async throws -> Data? { try await inner.get(key) }
    func put(_ key: String, _ value: Data) async throws { try await inner.put(key, value) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [String] {
        inner.allKeys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
    func transaction(_ operations: [StorageOperation]) async throws { try await inner.transaction(operations) }
    func close() async throws {}
}

/// Broken on purpose: an empty value reads back as missing.
private struct DropsEmptyValuesBackend: PhysicalBackend {
    let inner = InMemoryPhysicalBackend()
    func get(_ key: String) async throws -> Data? {
        guard let value = try await inner.get(key), !value.isEmpty else { return nil }
        return value
    }
    func put(_ key: String, _ value: Data) async throws { try await inner.put(key, value) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [String] { try await inner.list(prefix: prefix) }
    func transaction(_ operations: [StorageOperation]) async throws { try await inner.transaction(operations) }
    func close() async throws {}
}
