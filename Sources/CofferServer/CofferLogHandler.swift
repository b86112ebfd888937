import CofferSDK
import Foundation
import Logging

/// Server log lines on standard error, in Vault's two styles: `standard` (`2026-01-02T03:04:05.678Z [INFO]  message:
/// key=value`) or `json` (one object per line with `@timestamp`, `@level`, `@message`, `@module` and the metadata).
///
/// Callers never put secrets in messages or metadata; the e2e log test checks that none reaches the output.
struct CofferLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, json: Bool) {
        self.label = label
        self.json = json
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let lock = NSLock()

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        var line = ""
        if json {
            var obj: [String: String] = ["@timestamp": time, "@level": Self.levelName(event.level), "@message": "\(event.message)", "@module": label]
            for (k, v) in all { obj[k.hasPrefix("coffer.") ? String(k.dropFirst(7)) : k] = "\(v)" }
            line = "{"
            var first = true
            for k in obj.keys.sorted() {
                if !first { line += "," }
                first = false
                line += Self.quote(k) + ":" + Self.quote(obj[k]!)
            }
            line += "}\n"
        } else {
            let level = "[" + Self.levelName(event.level).uppercased() + "]"
            line = time + " " + level.padding(toLength: 8, withPad: " ", startingAt: 0) + label + ": \(event.message)"
            for k in all.keys.sorted() {
                let name = k.hasPrefix("coffer.") ? String(k.dropFirst(7)) : k
                line += " \(name)=\(all[k]!)"
            }
            line += "\n"
        }
        Self.lock.lock()
        FileHandle.standardError.write(Data(line.utf8))
        Self.lock.unlock()
    }

    static func levelName(_ l: Logger.Level) -> String {
        switch l {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error, .critical: return "error"
        }
    }

    static func timestamp() -> String {
        formatVaultTime(Date(), milliseconds: true)
    }

    static func quote(_ s: String) -> String {
        var out = ""
        JSONValue.writeStringPublic(s, to: &out)
        return out
    }
}
