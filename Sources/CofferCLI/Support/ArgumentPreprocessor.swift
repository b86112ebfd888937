/// Rewrites `bao`-style single-dash long flags into the double-dash form ArgumentParser expects.
///
/// `-format=json` becomes `--format=json`, `-key-shares 1` becomes `--key-shares 1`. Boolean flags given a value, as Go's
/// `flag` package allows (`-renewable=false`, `-orphan=true`), become `--name`, `--no-name` or are dropped. Single-letter
/// flags (`-h`, `-f`), a lone `-` (stdin) and everything after `--` are left alone.
enum ArgumentPreprocessor {
    /// Boolean flags whose default is `false`: `=false` drops the flag.
    static let boolFlags: Set<String> = [
        "tls-skip-verify", "orphan", "no-default-policy", "accessor", "self", "reset", "status", "detailed", "local",
        "seal-wrap", "force-no-cache", "external-entropy-access", "no-store", "no-print", "force",
        "dev", "migrate", "non-interactive", "recovery-key", "dev-no-store-token", "dev-tls", "allow-non-vault",
        "token-only", "prefix", "sync",
    ]
    /// Boolean flags whose default is `true`, declared with a `--no-` inversion: `=false` becomes `--no-name`.
    static let invertibleFlags: Set<String> = ["renewable", "cas-required"]

    static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var passthrough = false
        for argument in arguments {
            if passthrough || argument == "--" {
                passthrough = true
                result.append(argument)
                continue
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                result.append(argument)
                continue
            }
            var body = argument.hasPrefix("--") ? String(argument.dropFirst(2)) : String(argument.dropFirst())
            // Leave single-letter short flags (-h, -f) and things that are not flags (negative numbers) alone.
            guard let first = body.first, first.isLetter else {
                result.append(argument)
                continue
            }
            let name: String
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = body
            }
            if name.count == 1, !argument.hasPrefix("--") {
                result.append(argument)
                continue
            }
            if let value, boolFlags.contains(name) || invertibleFlags.contains(name) {
                switch value.lowercased() {
                case "true", "t", "1":
                    result.append("--\(name)")
                    continue
                case "false", "f", "0":
                    if invertibleFlags.contains(name) { result.append("--no-\(name)") }
                    continue
                default:
                    break
                }
            }
            body = value.map { "\(name)=\($0)" } ?? name
            result.append("--" + body)
        }
        return result
    }
}
