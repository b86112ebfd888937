import ArgumentParser
import CofferAuditChain
import CofferClient
import CofferSDK
import Crypto
import Foundation

/// `coffer audit ...`: manage audit devices and check audit files.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Interact with audit devices",
        subcommands: [AuditEnableCommand.self, AuditDisableCommand.self, AuditListCommand.self, AuditVerifyCommand.self]
    )
}

/// `coffer audit enable [-path=P] [-description=D] [-local] TYPE [K=V...]`
struct AuditEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enables an audit device")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("path"), help: "Place where the audit device will be accessible (defaults to the type).")
    var path: String?
    @Option(name: .customLong("description"), help: "Human-friendly description of the device.")
    var description: String = ""
    @Flag(name: .customLong("local"), help: "Mark the device as local-only.")
    var local = false

    @Argument(help: "The device type: file, socket or syslog.")
    var type: String
    @Argument(help: "Options as key=value.")
    var options: [String] = []

    func run() async throws {
        var opts: [JSON.Member] = []
        for o in options {
            guard let eq = o.firstIndex(of: "=") else { throw CLIFailure.usage("Invalid option \"\(o)\": expected key=value") }
            opts.append(JSON.Member(String(o[..<eq]), .string(String(o[o.index(after: eq)...]))))
        }
        let mount = (path ?? type).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let members: [JSON.Member] = [
            .init("type", .string(type)), .init("description", .string(description)), .init("local", .bool(local)),
            .init("options", .object(opts)),
        ]
        let body = JSON.object(members)
        try await client.withClient { client in
            _ = try await api("Error enabling audit device") { try await client.write("sys/audit/\(mount)", data: body) }
        }
        Console.out("Success! Enabled the \(type) audit device at: \(mount)/")
    }
}

/// `coffer audit disable PATH`
struct AuditDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disables an audit device")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The path of the audit device.")
    var path: String

    func run() async throws {
        let mount = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        try await client.withClient { client in
            _ = try await api("Error disabling audit device") { try await client.delete("sys/audit/\(mount)") }
        }
        Console.out("Success! Disabled audit device (if it was enabled) at: \(mount)/")
    }
}

/// `coffer audit list [-detailed]`
struct AuditListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists enabled audit devices")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .customLong("detailed"), help: "Print detailed information such as options and replication status.")
    var detailed = false

    func run() async throws {
        let body = try await client.withClient { client in
            try await api("Error listing audits") { try await client.request(method: "GET", path: "sys/audit").body }
        }
        let data = body?["data"] ?? .object([])
        guard output.isTable else {
            // bao's `api.Audit` fields, in its order.
            let devices = (data.members ?? []).sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { member -> JSON.Member in
                var device = JSON.object([])
                device["type"] = member.value["type"] ?? ""
                device["description"] = member.value["description"] ?? ""
                device["options"] = member.value["options"].map { $0.isNull ? $0 : $0.sortedKeys() } ?? .null
                device["local"] = member.value["local"] ?? false
                device["path"] = member.value["path"] ?? .string(member.key)
                return JSON.Member(member.key, device)
            }
            output.formatter.emit(JSON.object(devices))
            return
        }
        guard case .object(let devices) = data, !devices.isEmpty else {
            // As bao: the message, and exit code 2.
            Console.out("No audit devices are enabled.")
            throw ExitCode(2)
        }
        var rows: [[String]] = []
        for m in devices.sorted(by: { $0.key < $1.key }) {
            let type = m.value["type"]?.stringValue ?? ""
            let description = m.value["description"]?.stringValue ?? ""
            guard detailed else {
                rows.append([m.key, type, description])
                continue
            }
            let replication = (m.value["local"]?.boolValue ?? false) ? "local" : "replicated"
            // bao lists the options in Go's map order, which varies from run to run; these are sorted by key.
            let options = (m.value["options"]?.members ?? []).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value.stringValue ?? GoFormat.value($0.value))" }
            rows.append([m.key, type, description, replication, options.joined(separator: " ")])
        }
        let headers = detailed ? ["Path", "Type", "Description", "Replication", "Options"] : ["Path", "Type", "Description"]
        Console.out(Table.render(rows, headers: headers))
    }
}

/// `coffer audit verify [-device=P | -key=K [-last-seq=N [-last-hmac=H]]] FILE...`: checks audit files' hash chain and
/// names the first line that does not verify.
///
/// The device's chain key comes from the server (read from `sys/audit-chain/<path>` with a sudo token, along with the
/// device's current sequence number and HMAC) or is given by an operator who exported it (`-key`). With the device's
/// current sequence number (from the server, or `-last-seq`), a file that ends before it is reported as cut off; without
/// it, lines cut off at the end cannot be detected from the file alone, and the command says so. Several files (a
/// rotated file and its successor) given in order verify as one chain.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verifies the hash chain of an audit log file",
        discussion: """
            Exit code 0 when every line verifies, 2 naming the first line that does not: a deleted line (sequence numbers \
            missing), lines out of order (naming them), a repeated or edited line, or a file cut off before the device's \
            current sequence number.
            """)

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("device"), help: "The audit device's path; its chain key and current sequence number are read from the server with the token.")
    var device: String?
    @Option(name: .customLong("key"), help: "The device's chain key (base64), as sys/audit-chain returns it, instead of asking the server.")
    var key: String?
    @Option(name: .customLong("last-seq"), help: "With -key: the device's current sequence number (seq of sys/audit-chain), to detect lines cut off at the end.")
    var lastSeq: UInt64?
    @Option(name: .customLong("last-hmac"), help: "With -last-seq: the device's current HMAC (hmac of sys/audit-chain), checked against the line of that number.")
    var lastHMAC: String?
    @Option(name: .customLong("prefix"), help: "The device's prefix option, if it has one.")
    var prefix: String?

    @Argument(help: "The audit log file(s); a rotated file and its successor, in order, verify as one chain.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw CLIFailure.usage("Name the audit log file to verify") }
        if key == nil, lastSeq != nil || lastHMAC != nil {
            throw CLIFailure.usage("-last-seq and -last-hmac go with -key; with a token the device's current sequence number is read from the server")
        }
        if lastHMAC != nil, lastSeq == nil { throw CLIFailure.usage("-last-hmac needs -last-seq") }
    }

    func run() async throws {
        var keyText = key
        var linePrefix = prefix ?? ""
        var reference: AuditChain.Reference?
        if let lastSeq {
            var hmac: [UInt8]?
            if let lastHMAC {
                guard let bytes = AuditChain.unhex(lastHMAC), bytes.count == 32 else { throw CLIFailure.usage("-last-hmac must be 64 hex digits") }
                hmac = bytes
            }
            reference = AuditChain.Reference(seq: lastSeq, hmac: hmac)
        }
        if keyText == nil {
            // The device path: given, or named by the first file's first checkpoint.
            var path = device
            if path == nil, let first = try Self.readLines(files[0]).first, let brace = first.firstIndex(of: UInt8(ascii: "{")),
                let (entry, _, _) = AuditChain.split(line: Array(first[brace...])), let v = try? JSONValue.parse(entry)
            {
                path = v["device"]?.stringValue
            }
            guard let path else { throw CLIFailure.usage("Name the device with -device, or give its chain key with -key") }
            let mount = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            // Ask the server before reading the files, so the device's current sequence number is one they must reach.
            let body = try await client.withClient { client in
                try await api("Error reading the chain key of audit device \(mount)/") { try await client.read("sys/audit-chain/\(mount)") }
            }
            let data = body?["data"]
            keyText = data?["chain_key"]?.stringValue
            if prefix == nil { linePrefix = data?["prefix"]?.stringValue ?? "" }
            if let seq = data?["seq"]?.intValue, seq > 0 {
                reference = AuditChain.Reference(seq: UInt64(seq), hmac: data?["hmac"]?.stringValue.flatMap(AuditChain.unhex))
            }
        }
        guard let k = keyText.flatMap({ Data(base64Encoded: $0) }), k.count == 32 else {
            throw CLIFailure.usage("The chain key must be 32 bytes in base64")
        }
        // All files' lines as one sequence, remembering where each file starts for the messages.
        var lines: [[UInt8]] = []
        var starts: [(file: String, offset: Int)] = []
        for file in files {
            var fileLines = try Self.readLines(file)
            // A file ends with a newline: no empty last line.
            if fileLines.last?.isEmpty == true { fileLines.removeLast() }
            starts.append((file, lines.count))
            lines += fileLines
        }
        let single = files.count == 1
        let fileStarts = starts
        let name: (Int) -> String = { n in
            guard !single, let start = fileStarts.last(where: { $0.offset < n }) else { return "line \(n)" }
            return "\(start.file) line \(n - start.offset)"
        }
        let label = files.joined(separator: ", ")
        let summary: AuditChain.Summary
        do {
            summary = try AuditChain.verify(lines: lines, key: SymmetricKey(data: k), prefix: linePrefix, reference: reference, name: name)
        } catch {
            var message = single ? "\(label): \(error.description)" : error.description
            if error.kind == .truncated {
                message += "\nIf the device has rotated to a new file since, verify the files together, oldest first: coffer audit verify OLD NEW"
            }
            throw CLIFailure.server(message)
        }
        Console.out(
            "Success! \(label): \(summary.lines) lines verify (sequence \(summary.firstSeq) to \(summary.lastSeq), \(summary.checkpoints) checkpoint(s)).")
        if let reference, reference.seq >= summary.firstSeq {
            Console.out("The device's current sequence number \(reference.seq) is in the file: no lines are missing at the end.")
        } else {
            let why = reference.map { "the reference sequence number \($0.seq) comes before the file's first line, so " } ?? ""
            Console.error(
                "Warning: \(why)truncation at the end cannot be detected from the file alone: lines cut off after sequence "
                    + "\(summary.lastSeq) would go unnoticed. Verify with a token (the device's current sequence number is read from "
                    + "sys/audit-chain), or give -last-seq (and -last-hmac) with -key.")
        }
    }

    /// The file's lines, split at newlines (the last one empty when the file ends with a newline).
    static func readLines(_ file: String) throws -> [[UInt8]] {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure.usage("Cannot read \(file)") }
        return Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    }
}
