import ArgumentParser
import CofferClient
import CofferCore
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

/// `coffer audit list`
struct AuditListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists enabled audit devices")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let body = try await client.withClient { client in
            try await api("Error listing audits") { try await client.request(method: "GET", path: "sys/audit").body }
        }
        let data = body?["data"] ?? .object([])
        guard output.isTable else {
            Console.out(data.serialized())
            return
        }
        guard case .object(let devices) = data, !devices.isEmpty else {
            Console.out("No audit devices are enabled.")
            return
        }
        var rows: [[String]] = []
        for m in devices.sorted(by: { $0.key < $1.key }) {
            let type = m.value["type"]?.stringValue ?? ""
            let description = m.value["description"]?.stringValue ?? ""
            rows.append([m.key, type, description])
        }
        Console.out(Table.render(rows, headers: ["Path", "Type", "Description"]))
    }
}

/// `coffer audit verify FILE`: checks an audit file's hash chain and names the first line that does not verify.
///
/// The device's chain key comes from the server (`-device`, read from `sys/audit-chain/<path>` with a sudo token)
/// or is given by an operator who exported it (`-key`).
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verifies the hash chain of an audit log file",
        discussion: "Exit code 0 when every line verifies, 2 naming the first line that does not.")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("device"), help: "The audit device's path; its chain key is read from the server with the token.")
    var device: String?
    @Option(name: .customLong("key"), help: "The device's chain key (base64), as sys/audit-chain returns it, instead of asking the server.")
    var key: String?
    @Option(name: .customLong("prefix"), help: "The device's prefix option, if it has one.")
    var prefix: String?

    @Argument(help: "The audit log file.")
    var file: String

    func run() async throws {
        var keyText = key
        var linePrefix = prefix ?? ""
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure.usage("Cannot read \(file)") }
        let lines = Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if keyText == nil {
            // The device path: given, or named by the file's first checkpoint.
            var path = device
            // Without -prefix, whatever comes before the first `{` of the first line is taken as the prefix.
            if path == nil, let first = lines.first, let brace = first.firstIndex(of: UInt8(ascii: "{")),
                let (entry, _, _) = AuditChain.split(line: Array(first[brace...])), let v = try? JSONValue.parse(entry)
            {
                path = v["device"]?.stringValue
            }
            guard let path else { throw CLIFailure.usage("Name the device with -device, or give its chain key with -key") }
            let mount = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let body = try await client.withClient { client in
                try await api("Error reading the chain key of audit device \(mount)/") { try await client.read("sys/audit-chain/\(mount)") }
            }
            keyText = body?["data"]?["chain_key"]?.stringValue
            if prefix == nil { linePrefix = body?["data"]?["prefix"]?.stringValue ?? "" }
        }
        guard let k = keyText.flatMap({ Data(base64Encoded: $0) }), k.count == 32 else {
            throw CLIFailure.usage("The chain key must be 32 bytes in base64")
        }
        do {
            let summary = try AuditChain.verify(lines: lines, key: SymmetricKey(data: k), prefix: linePrefix)
            Console.out(
                "Success! \(file): \(summary.lines) lines verify (sequence \(summary.firstSeq) to \(summary.lastSeq), \(summary.checkpoints) checkpoint(s)).")
        } catch {
            throw CLIFailure.server("\(file): \(error.description)")
        }
    }

    static func strip(_ line: [UInt8], _ prefix: String) -> [UInt8] {
        guard !prefix.isEmpty, line.starts(with: Array(prefix.utf8)) else { return line }
        return Array(line.dropFirst(prefix.utf8.count))
    }
}
