import CofferAuditChain
import CofferSDK
import Crypto
import Foundation
import Logging
import Synchronization
import Testing

@testable import CofferCore

/// A sink that keeps its lines in memory, or fails every write.
final class MemorySink: AuditSink {
    let lines = Mutex<[[UInt8]]>([])
    let failing = Atomic<Bool>(false)
    let blocking: Bool
    /// When set, a write waits until the test signals it, so "still writing" does not depend on timing.
    let gate: DispatchSemaphore?

    init(failing: Bool = false, blocking: Bool = false, gated: Bool = false) {
        self.failing.store(failing, ordering: .relaxed)
        self.blocking = blocking
        self.gate = gated ? DispatchSemaphore(value: 0) : nil
    }

    var mayBlock: Bool { blocking }
    func write(_ line: [UInt8]) throws {
        gate?.wait()
        if failing.load(ordering: .relaxed) { throw AuditSinkError("write failed") }
        lines.withLock { $0.append(line) }
    }
    func reopen() throws {}
    func close() {}
    func lastLine() -> [UInt8]? { lines.withLock { $0.last.map { Array($0.dropLast()) } } }
    var all: [[UInt8]] { lines.withLock { $0.map { Array($0.dropLast()) } } }
    func json(_ i: Int) throws -> JSONValue { try JSONValue.parse(AuditChain.split(line: all[i])!.entry) }
}

@Suite struct AuditTests {
    static func device(_ sink: MemorySink, options: [String: String] = [:], path: String = "mem/") -> AuditDevice {
        let entry = AuditTableEntry(
            path: path, type: "file", description: "", options: options, local: false, salt: Array(repeating: 7, count: 32),
            chainKey: Array(repeating: 9, count: 32))
        return AuditDevice(entry: entry, sink: sink, resume: nil)
    }

    static func record(_ kind: AuditRecord.Kind = .request, data: [String: JSONValue] = ["password": "hunter2", "n": 5]) -> AuditRecord {
        var token = TokenEntry(
            idHash: "h", accessor: "acc-123", parentHash: nil, policies: ["default", "dev"], meta: nil, displayName: "token", numUses: 0,
            creationTime: Date(timeIntervalSince1970: 1_700_000_000), creationTTL: 3600, explicitMaxTTL: 0, period: 0, renewable: true,
            path: "auth/token/create", expireTime: nil, role: "")
        token.type = "service"
        let req = CoreRequest(id: "req-1", operation: .update, path: "secret/data/app", data: data, token: "s.tokenvalue", remoteAddress: "10.0.0.1")
        return AuditRecord(
            kind: kind, time: Date(timeIntervalSince1970: 1_700_000_100), request: req, operation: .update, token: token,
            mount: ("secret/", "kv", "kv_1234"), response: kind == .response ? CoreResponse(data: ["echo": "hunter2"]) : nil)
    }

    @Test func linesHashEveryStringAndVerify() throws {
        let sink = MemorySink()
        let d = Self.device(sink)
        try d.checkpoint(reason: "start", now: Date())
        try d.record(Self.record())
        try d.record(Self.record(.response))
        let req = try sink.json(1)
        let salt = SymmetricKey(data: Array(repeating: UInt8(7), count: 32))
        let want = "hmac-sha256:" + hexEncoded(HMAC<SHA256>.authenticationCode(for: Data("hunter2".utf8), using: salt))
        #expect(req["request"]?["data"]?["password"]?.stringValue == want)
        #expect(req["request"]?["data"]?["n"] == .int(5), "numbers are not hashed")
        #expect(req["request"]?["client_token"]?.stringValue == d.hash("s.tokenvalue"))
        #expect(req["auth"]?["accessor"]?.stringValue == d.hash("acc-123"))
        #expect(req["auth"]?["policies"] == ["default", "dev"])
        #expect(req["request"]?["mount_type"]?.stringValue == "kv")
        #expect(try sink.json(2)["response"]?["data"]?["echo"]?.stringValue == want)
        for l in sink.all { #expect(!String(decoding: l, as: UTF8.self).contains("hunter2")) }
        let summary = try AuditChain.verify(lines: sink.all, key: SymmetricKey(data: Array(repeating: UInt8(9), count: 32)))
        #expect(summary.lines == 3 && summary.firstSeq == 1 && summary.lastSeq == 3 && summary.checkpoints == 1)
    }

    @Test func optionsLogRawHMACAccessorAndNonHMACKeys() throws {
        let raw = MemorySink()
        try Self.device(raw, options: ["log_raw": "true"]).record(Self.record())
        #expect(try raw.json(0)["request"]?["data"]?["password"]?.stringValue == "hunter2")

        let noAccessor = MemorySink()
        try Self.device(noAccessor, options: ["hmac_accessor": "false"]).record(Self.record())
        #expect(try noAccessor.json(0)["auth"]?["accessor"]?.stringValue == "acc-123")
        #expect(try noAccessor.json(0)["request"]?["client_token"]?.stringValue?.hasPrefix("hmac-sha256:") == true)

        let keys = MemorySink()
        var r = Self.record(data: ["password": "hunter2", "options": ["cas": "1"]])
        r.nonHMACRequestKeys = ["options"]
        try Self.device(keys).record(r)
        #expect(try keys.json(0)["request"]?["data"]?["options"] == ["cas": "1"])
        #expect(try keys.json(0)["request"]?["data"]?["password"]?.stringValue?.hasPrefix("hmac-sha256:") == true)

        let prefixed = MemorySink()
        let pd = Self.device(prefixed, options: ["prefix": "AUDIT "])
        try pd.checkpoint(reason: "start", now: Date())
        try pd.record(Self.record())
        #expect(prefixed.all.allSatisfy { $0.starts(with: Array("AUDIT ".utf8)) })
        #expect(throws: AuditChain.Failure.self) { try AuditChain.verify(lines: prefixed.all, key: SymmetricKey(data: Array(repeating: UInt8(9), count: 32))) }
        #expect(try AuditChain.verify(lines: prefixed.all, key: SymmetricKey(data: Array(repeating: UInt8(9), count: 32)), prefix: "AUDIT ").lines == 2)
    }

    @Test func chainNamesTheFirstBadLine() throws {
        let sink = MemorySink()
        let d = Self.device(sink)
        try d.checkpoint(reason: "start", now: Date())
        for _ in 0..<6 { try d.record(Self.record()) }
        let key = SymmetricKey(data: Array(repeating: UInt8(9), count: 32))
        let good = sink.all
        #expect(try AuditChain.verify(lines: good, key: key).lines == 7)

        func failure(_ lines: [[UInt8]], key k: SymmetricKey = key) -> AuditChain.Failure? {
            do {
                _ = try AuditChain.verify(lines: lines, key: k)
                return nil
            } catch { return error }
        }
        var deleted = good
        deleted.remove(at: 3)
        #expect(failure(deleted)?.line == 4)
        #expect(failure(deleted)?.reason.contains("missing") == true)

        var swapped = good
        swapped.swapAt(2, 3)
        #expect(failure(swapped)?.line == 3)

        var edited = good
        var text = String(decoding: edited[5], as: UTF8.self)
        text = text.replacingOccurrences(of: "\"operation\":\"update\"", with: "\"operation\":\"delete\"")
        edited[5] = Array(text.utf8)
        #expect(failure(edited)?.line == 6)
        #expect(failure(edited)?.reason.contains("HMAC") == true)

        #expect(failure(Array(good.dropFirst()))?.line == 1, "a file must start at a checkpoint")
        #expect(failure(good, key: SymmetricKey(data: Array(repeating: UInt8(1), count: 32)))?.line == 1, "another key fails at once")
        #expect(failure(good + [good[6]])?.line == 8, "a repeated line is out of sequence")
    }

    @Test func reorderTruncationAndTheDevicesReference() throws {
        let sink = MemorySink()
        let d = Self.device(sink)
        try d.checkpoint(reason: "start", now: Date())
        for _ in 0..<8 { try d.record(Self.record()) }
        let key = SymmetricKey(data: Array(repeating: UInt8(9), count: 32))
        let good = sink.all  // sequences 1...9 on lines 1...9
        func failure(_ lines: [[UInt8]], reference: AuditChain.Reference? = nil) -> AuditChain.Failure? {
            do {
                _ = try AuditChain.verify(lines: lines, key: key, reference: reference)
                return nil
            } catch { return error }
        }

        // Two swapped lines are a reorder naming both lines, not "1 line(s) missing"; their content is intact.
        var swapped = good
        swapped.swapAt(3, 4)
        let s = try #require(failure(swapped))
        #expect(s.kind == .reordered && s.line == 4)
        #expect(s.reason.contains("line 4 and line 5 are swapped"), "\(s)")
        #expect(s.reason.contains("only their order was changed"), "\(s)")
        #expect(!s.reason.contains("missing"))

        // Non-adjacent swap, and a line moved further down.
        var far = good
        far.swapAt(2, 6)
        let f = try #require(failure(far))
        #expect(f.kind == .reordered && f.reason.contains("line 3 and line 7 are swapped"), "\(f)")
        var moved = good
        let line = moved.remove(at: 2)
        moved.insert(line, at: 6)
        let m = try #require(failure(moved))
        #expect(m.kind == .reordered && m.line == 3 && m.reason.contains("sequence 3, due here, is at line 7"), "\(m)")

        // A swapped pair where one line was also edited is still a reorder, but not called intact.
        var swappedEdited = swapped
        swappedEdited[3] = Array(String(decoding: swappedEdited[3], as: UTF8.self).replacingOccurrences(of: "\"update\"", with: "\"delete\"").utf8)
        let se = try #require(failure(swappedEdited))
        #expect(se.kind == .reordered && !se.reason.contains("only their order"), "\(se)")

        // A deleted line is still reported as missing.
        var deleted = good
        deleted.remove(at: 5)
        #expect(failure(deleted)?.kind == .missing)

        // Cut off at the end: invisible without the device's reference, reported with it.
        let cut = Array(good.prefix(6))
        #expect(failure(cut) == nil)
        let state = d.chainState
        #expect(state.seq == 9)
        let t = try #require(failure(cut, reference: .init(seq: state.seq, hmac: state.previous)))
        #expect(t.kind == .truncated && t.line == 6, "\(t)")
        #expect(t.reason.contains("up to sequence 9") && t.reason.contains("3 line(s) missing at the end"), "\(t)")
        // The whole file reaches the reference; a file with more lines than the reference (written since) too.
        #expect(failure(good, reference: .init(seq: 9, hmac: state.previous)) == nil)
        #expect(failure(good, reference: .init(seq: 7, hmac: nil)) == nil)
        // The line at the reference's number must be the device's own.
        let other = try #require(failure(good, reference: .init(seq: 9, hmac: Array(repeating: 1, count: 32))))
        #expect(other.kind == .diverged && other.line == 9)

        // Several files in order verify as one chain; messages can name files.
        func namedFailure(_ lines: [[UInt8]]) -> AuditChain.Failure? {
            do {
                _ = try AuditChain.verify(lines: lines, key: key, name: { "a.log:\($0)" })
                return nil
            } catch { return error }
        }
        let named = try #require(namedFailure(swapped))
        #expect(named.description.hasPrefix("a.log:4: lines out of order: a.log:4 and a.log:5 are swapped"), "\(named)")
    }

    @Test func aResumedChainContinuesAcrossACheckpoint() throws {
        let first = MemorySink()
        let d1 = Self.device(first)
        try d1.checkpoint(reason: "start", now: Date())
        try d1.record(Self.record())
        let state = d1.chainState
        // A new file (after rotation) continues from the old chain's state and verifies from its own first line.
        let second = MemorySink()
        let d2 = AuditDevice(entry: d1.entry, sink: second, resume: state)
        try d2.checkpoint(reason: "reopen", now: Date())
        try d2.record(Self.record())
        let key = SymmetricKey(data: Array(repeating: UInt8(9), count: 32))
        let s = try AuditChain.verify(lines: second.all, key: key)
        #expect(s.firstSeq == 3 && s.lastSeq == 4)
        #expect(try AuditChain.verify(lines: first.all + second.all, key: key).lines == 4)
    }

    // MARK: Several writers of one file

    static let chainKey = SymmetricKey(data: Array(repeating: UInt8(9), count: 32))

    /// A `file` device writing to `path` through its own sink, as another process (another node of a cluster) would:
    /// the same table row (so the same chain key), its own open file and its own chain state.
    static func fileDevice(_ path: String, options: [String: String] = [:]) throws -> AuditDevice {
        var opts = options
        opts["file_path"] = path
        let entry = AuditTableEntry(
            path: "shared/", type: "file", description: "", options: opts, local: false, salt: Array(repeating: 7, count: 32),
            chainKey: Array(repeating: 9, count: 32))
        return AuditDevice(entry: entry, sink: try FileAuditSink(path: path, mode: nil), resume: nil)
    }

    /// A path in a new temporary directory, and a function that removes the directory.
    static func temporaryAuditPath() throws -> (path: String, remove: () -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir.appendingPathComponent("audit.log").path, { try? FileManager.default.removeItem(at: dir) })
    }

    static func fileLines(_ path: String) throws -> [[UInt8]] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path))).split(separator: UInt8(ascii: "\n")).map(Array.init)
    }

    /// Two writers of one file, each with its own chain state, interleave their lines: each line continues from the
    /// line the other wrote last, so the file verifies as one chain. (Before, each continued its own chain: the second
    /// writer's first checkpoint repeated sequence 1 and the file no longer verified.)
    @Test func twoWritersOfOneFileKeepOneChain() throws {
        let (path, remove) = try Self.temporaryAuditPath()
        defer { remove() }
        let a = try Self.fileDevice(path)
        let b = try Self.fileDevice(path)
        try a.checkpoint(reason: "start", now: Date())
        try b.checkpoint(reason: "open", now: Date())
        try a.record(Self.record())
        try b.record(Self.record())
        try b.record(Self.record(.response))
        try a.record(Self.record(.response))
        try a.reopen(now: Date())  // a checkpoint, after its sink opened the file anew
        try b.record(Self.record())
        try a.record(Self.record())
        try b.checkpoint(reason: "test", now: Date())
        try a.record(Self.record())

        let lines = try Self.fileLines(path)
        #expect(lines.count == 11)
        let summary = try AuditChain.verify(lines: lines, key: Self.chainKey, reference: .init(seq: a.chainState.seq, hmac: a.chainState.previous))
        #expect(summary.lines == 11 && summary.firstSeq == 1 && summary.lastSeq == 11 && summary.checkpoints == 4)
        // Each device's state is the chain's at its own last line: the last writer's is the file's end.
        #expect(a.chainState.seq == 11 && a.chainState.previous == summary.lastHMAC)
        #expect(b.chainState.seq == 10)
        // The second writer's first checkpoint names the first writer's line as its previous one.
        let second = try JSONValue.parse(try #require(AuditChain.split(line: lines[1])).entry)
        #expect(second["previous_hmac"]?.stringValue == hexEncoded(try #require(AuditChain.split(line: lines[0])).mac))
    }

    @Test func twoWritersOfOneFileWithAPrefix() throws {
        let (path, remove) = try Self.temporaryAuditPath()
        defer { remove() }
        let a = try Self.fileDevice(path, options: ["prefix": "AUDIT "])
        let b = try Self.fileDevice(path, options: ["prefix": "AUDIT "])
        try a.checkpoint(reason: "start", now: Date())
        try b.checkpoint(reason: "open", now: Date())
        for i in 0..<6 { try (i % 3 == 0 ? a : b).record(Self.record()) }
        try a.checkpoint(reason: "test", now: Date())
        try b.record(Self.record(.response))

        let lines = try Self.fileLines(path)
        #expect(lines.count == 10)
        #expect(lines.allSatisfy { $0.starts(with: Array("AUDIT ".utf8)) })
        let summary = try AuditChain.verify(lines: lines, key: Self.chainKey, prefix: "AUDIT ")
        #expect(summary.lines == 10 && summary.lastSeq == 10 && summary.checkpoints == 3)
        #expect(b.chainState.seq == 10)
    }

    /// The sink reads the file's last line only when the file grew since its own last line (another writer), never on
    /// the single-writer path.
    @Test func fileSinkHandsOverTheLastLineOnlyWhenAnotherWriterAppended() throws {
        let (path, remove) = try Self.temporaryAuditPath()
        defer { remove() }
        let a = try FileAuditSink(path: path, mode: nil)
        let b = try FileAuditSink(path: path, mode: nil)
        var seen: [[UInt8]?] = []
        func append(_ sink: FileAuditSink, _ text: String) throws {
            try sink.appendChained { last in
                seen.append(last)
                return Array((text + "\n").utf8)
            }
        }
        try append(a, "a1")  // an empty file: nothing to continue from
        try append(a, "a2")  // the file ends where a's last line did: not read
        try append(b, "b1")  // b's first line since it opened: the file's last line
        try append(b, "b2")
        try append(a, "a3")  // b appended since a's last line
        #expect(seen == [nil, nil, Array("a2".utf8), nil, Array("b2".utf8)])
        #expect(try Self.fileLines(path) == ["a1", "a2", "b1", "b2", "a3"].map { Array($0.utf8) })

        // Something that appends without the lock is seen too, and so is a reopened file (its end is not known).
        let other = try #require(FileHandle(forWritingAtPath: path))
        try other.seekToEnd()
        try other.write(contentsOf: Data("x1\n".utf8))
        try other.close()
        try append(a, "a4")
        try a.reopen()
        try append(a, "a5")
        #expect(seen.suffix(2) == [Array("x1".utf8), Array("a4".utf8)])
    }

    /// A device disabled while a response is due writes that line by opening the file once: it too continues from
    /// the line another writer wrote last.
    @Test func aRetiredFileDeviceContinuesTheSharedChain() throws {
        let (path, remove) = try Self.temporaryAuditPath()
        defer { remove() }
        let a = try Self.fileDevice(path)
        let b = try Self.fileDevice(path)
        try a.checkpoint(reason: "start", now: Date())
        try a.record(Self.record())
        a.sink.close()
        try b.checkpoint(reason: "open", now: Date())
        try a.record(Self.record(.response))
        try b.record(Self.record())
        let summary = try AuditChain.verify(lines: try Self.fileLines(path), key: Self.chainKey)
        #expect(summary.lines == 5 && summary.lastSeq == 5)
        #expect(a.chainState.seq == 4 && b.chainState.seq == 5)
    }

    /// A last line that is not a chained line (something else wrote to the file) leaves the device's state as it was.
    @Test func aForeignLastLineKeepsTheDevicesOwnChain() throws {
        let (path, remove) = try Self.temporaryAuditPath()
        defer { remove() }
        let a = try Self.fileDevice(path)
        try a.checkpoint(reason: "start", now: Date())
        let other = try #require(FileHandle(forWritingAtPath: path))
        try other.seekToEnd()
        try other.write(contentsOf: Data("not an audit line\n".utf8))
        try other.close()
        try a.record(Self.record())
        #expect(a.chainState.seq == 2)
        var lines = try Self.fileLines(path)
        #expect(lines.count == 3)
        lines.remove(at: 1)
        #expect(try AuditChain.verify(lines: lines, key: Self.chainKey).lastSeq == 2)
    }

    /// Two devices on one file, written from two threads at once (500 records each, and checkpoints): one chain.
    @Test func twoWritersOfOneFileConcurrently() throws {
        let (path, remove) = try Self.temporaryAuditPath()
        defer { remove() }
        let devices = [try Self.fileDevice(path), try Self.fileDevice(path)]
        for d in devices { try d.checkpoint(reason: "start", now: Date()) }
        let failures = Atomic<Int>(0)
        let record = Self.record()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            for n in 1...500 {
                do {
                    try devices[i].record(record)
                    if n % 100 == 0 { try devices[i].checkpoint(reason: "test", now: Date()) }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let lines = try Self.fileLines(path)
        let summary = try AuditChain.verify(lines: lines, key: Self.chainKey)
        #expect(summary.lines == 1012 && summary.firstSeq == 1 && summary.lastSeq == 1012 && summary.checkpoints == 12)
        #expect(max(devices[0].chainState.seq, devices[1].chainState.seq) == 1012)
    }

    @Test func brokerNeedsOneDeviceToRecord() async throws {
        let broker = AuditBroker()
        let good = MemorySink(blocking: true)
        let bad = MemorySink(failing: true, blocking: true)
        let failures = Atomic<Int>(0)
        broker.setOnFailure { _, _ in failures.add(1, ordering: .relaxed) }
        let devices = [Self.device(bad, path: "bad/"), Self.device(good, path: "good/")]
        broker.set(devices)
        #expect(await broker.log(Self.record(), to: devices))
        good.failing.store(true, ordering: .relaxed)
        #expect(!(await broker.log(Self.record(), to: devices)))
        #expect(await broker.log(Self.record(), to: []), "no device enabled: nothing to record")
        #expect(failures.load(ordering: .relaxed) == 3)
    }

    @Test func aSlowDeviceDoesNotHoldUpARequestAnotherRecorded() async throws {
        let broker = AuditBroker()
        let slow = MemorySink(blocking: true, gated: true)
        let fast = MemorySink(blocking: true)
        let devices = [Self.device(slow, path: "slow/"), Self.device(fast, path: "fast/")]
        // The slow device's write cannot finish until the gate opens below, so the broker must answer on the fast one.
        // A broker that waited for every device would hang here; the fallback opens the gate so the test fails instead.
        let fallback = DispatchWorkItem { slow.gate?.signal() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: fallback)
        defer { fallback.cancel() }
        #expect(await broker.log(Self.record(), to: devices))
        #expect(fast.all.count == 1)
        #expect(slow.all.isEmpty)
        // The slow device still gets its line once its write can go on.
        slow.gate?.signal()
        for _ in 0..<300 where slow.all.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        #expect(slow.all.count == 1)
    }

    @Test func coreRefusesARequestNoDeviceCanRecord() async throws {
        let (core, root) = try await CoreTests.unsealedCore()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-audit-\(UUID().uuidString)")
        let file = dir.appendingPathComponent("audit.log")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await core.handle(
            CoreRequest(id: "1", operation: .update, path: "sys/audit/f", data: ["type": "file", "options": ["file_path": .string(file.path)]], token: root))
        let policy: [String: JSONValue] = ["policy": "path \"a/*\" { capabilities = [\"read\"] }"]
        _ = try await core.handle(CoreRequest(id: "2", operation: .update, path: "sys/policies/acl/one", data: policy, token: root))
        // The file becomes a directory and the device is reopened: nothing can be recorded.
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
        #expect(core.reopenAuditDevices()["f/"] != nil)
        await #expect(throws: LogicalError.self) {
            _ = try await core.handle(CoreRequest(id: "3", operation: .update, path: "sys/policies/acl/two", data: policy, token: root))
        }
        try FileManager.default.removeItem(at: file)
        // The refused write never happened.
        await #expect(throws: LogicalError.self) {
            _ = try await core.handle(CoreRequest(id: "4", operation: .read, path: "sys/policies/acl/two", token: root))
        }
        let one = try await core.handle(CoreRequest(id: "5", operation: .read, path: "sys/policies/acl/one", token: root))
        #expect(one.data?["name"]?.stringValue == "one")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("sys/policies/acl/two"), "the device recovered and recorded the read")
    }

    @Test func prometheusSampleParsing() {
        let (name, labels, value) = CofferMetrics.parseSample(#"coffer_requests_total{mount_type="kv",operation="read",code="2xx"} 12"#)!
        #expect(name == "coffer_requests_total" && value == 12)
        #expect(labels == ["mount_type": "kv", "operation": "read", "code": "2xx"])
        let (n2, l2, v2) = CofferMetrics.parseSample("coffer_core_unsealed 1.0")!
        #expect(n2 == "coffer_core_unsealed" && l2.isEmpty && v2 == 1)
    }
}
