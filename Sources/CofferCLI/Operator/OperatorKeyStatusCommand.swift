import ArgumentParser
import CofferClient
import Foundation

/// `coffer operator key-status`: prints the barrier encryption key's term and install time.
struct OperatorKeyStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key-status", abstract: "Provides information about the active encryption key")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let status = try await client.withClient { client in
            try await api("Error reading key status") { try await Self.fetch(client) }
        }
        Self.print(status, formatter: output.formatter)
    }

    /// Reads `sys/key-status`, taking the fields from `data` when the server nests them there.
    static func fetch(_ client: VaultClient) async throws -> JSON {
        let body = try await client.request(method: "GET", path: "sys/key-status").body ?? .object([])
        if let data = body["data"], data.isObject { return data }
        return body
    }

    static func print(_ status: JSON, formatter: Formatter) {
        if formatter.isTable {
            var rows: [[String]] = [
                ["Key Term", GoFormat.value(status["term"] ?? .int(0))],
                ["Install Time", rfc822(status["install_time"]?.stringValue ?? "")],
            ]
            if let encryptions = status["encryptions"], !encryptions.isNull {
                rows.append(["Encryption Count", GoFormat.value(encryptions)])
            }
            Console.out(Table.render(rows))
        } else {
            var out = JSON.object([])
            out["term"] = status["term"] ?? .int(0)
            out["install_time"] = status["install_time"] ?? ""
            if let encryptions = status["encryptions"] { out["encryptions"] = encryptions }
            formatter.emit(out)
        }
    }

    /// Formats an RFC 3339 time as Go's `time.RFC822` (`02 Jan 06 15:04 UTC`).
    static func rfc822(_ text: String) -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var date = parser.date(from: text)
        if date == nil {
            parser.formatOptions = [.withInternetDateTime]
            date = parser.date(from: text)
        }
        if date == nil, let dot = text.firstIndex(of: ".") {
            // More than millisecond precision: drop the fraction.
            let zone = text[dot...].drop(while: { $0 == "." || $0.isNumber })
            date = parser.date(from: String(text[..<dot]) + zone)
        }
        guard let date else { return text }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yy HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
