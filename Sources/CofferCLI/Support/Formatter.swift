import CofferClient

/// Renders API responses as `bao` does for `-format=table`, `-format=json` and `-format=yaml`.
struct Formatter {
    var format: String

    var isTable: Bool { format == "table" }

    /// `true` for `-format=yaml` (or `yml`).
    var isYAML: Bool { format == "yaml" || format == "yml" }

    /// Prints a value in the structured format (JSON or YAML); the YAML is the JSON's value as `bao` converts it.
    func emit(_ value: JSON) {
        Console.out(isYAML ? YAML.render(value) : value.serialized())
    }

    // MARK: Secrets

    /// Prints a whole response ("secret"): a Key/Value table, or the JSON envelope in the Go client's field order.
    func outputSecret(_ secret: JSON) {
        if isTable {
            printWarnings(secret)
            let rows = Self.secretRows(secret)
            guard !rows.isEmpty else { return }
            Console.out(Table.render(rows, headers: ["Key", "Value"]))
        } else {
            emit(Self.normalizeSecret(secret))
        }
    }

    /// Prints a wrapped response (one with `wrap_info`) as a whole secret, as `bao` does whatever the command.
    ///
    /// - Returns: `true` when `secret` was a wrapped response and has been printed.
    func outputIfWrapped(_ secret: JSON?) -> Bool {
        guard let secret, let wrap = secret["wrap_info"], !wrap.isNull else { return false }
        outputSecret(secret)
        return true
    }

    /// Prints a map (or any value): a Key/Value table of a map, or its JSON.
    func outputData(_ data: JSON) {
        if isTable {
            if let members = data.members {
                let rows = members.sorted { $0.key < $1.key }.map { [$0.key, GoFormat.value($0.value)] }
                Console.out(Table.render(rows, headers: ["Key", "Value"]))
            } else {
                Console.out(GoFormat.value(data))
            }
        } else {
            emit(data.sortedKeys())
        }
    }

    /// Prints the keys of a list response.
    func outputList(_ keys: [String]) {
        if isTable {
            Console.out(Table.render(keys.map { [$0] }, headers: ["Keys"]))
        } else {
            emit(JSON.array(keys.map { .string($0) }))
        }
    }

    /// Prints the warnings of a response to stderr.
    func printWarnings(_ secret: JSON) {
        guard let warnings = secret["warnings"]?.arrayValue, !warnings.isEmpty else { return }
        var text = "WARNING! The following warnings were returned from Coffer:\n"
        for warning in warnings {
            text += "\n  * \(warning.stringValue ?? GoFormat.value(warning))"
        }
        Console.error(text + "\n")
    }

    /// Prints one field, raw in table mode (no newline unless stdout is a terminal), else as JSON (likewise) or YAML
    /// (a whole line).
    ///
    /// - Returns: the exit code (1 when the field is absent).
    func printField(_ value: JSON?, field: String, container: String = "secret") -> Int32 {
        guard let value, !value.isNull else {
            Console.error("Field \"\(field)\" not present in \(container)")
            return 1
        }
        if isYAML {
            Console.out(YAML.render(value))
            return 0
        }
        // Like bao, no trailing newline unless stdout is a terminal, in either format.
        Console.raw(isTable ? GoFormat.value(value) : value.sortedKeys().serialized())
        if Console.stdoutIsTerminal { Console.raw("\n") }
        return 0
    }

    /// The value `-field` selects from a response, as the Go CLI's `RawField` picks it.
    static func rawField(_ secret: JSON, _ field: String) -> JSON? {
        let auth = secret["auth"].flatMap { $0.isNull ? nil : $0 }
        var value: JSON?
        switch field {
        case "refresh_interval", "lease_duration": value = secret["lease_duration"] ?? .int(0)
        case "lease_id": value = secret["lease_id"] ?? ""
        case "lease_renewable": value = secret["renewable"] ?? false
        case "token": value = auth?["client_token"]
        case "token_accessor": value = auth?["accessor"]
        case "token_duration": value = auth?["lease_duration"]
        case "token_renewable": value = auth?["renewable"]
        case "token_policies": value = auth?["token_policies"]
        case "identity_policies": value = auth?["identity_policies"]
        case "policies": value = auth?["policies"]
        default: break
        }
        if let wrap = secret["wrap_info"], !wrap.isNull {
            switch field {
            case "wrapping_token": value = wrap["token"]
            case "wrapping_accessor": value = wrap["accessor"]
            case "wrapping_token_ttl": value = wrap["ttl"]
            case "wrapping_token_creation_time": value = wrap["creation_time"]
            case "wrapping_token_creation_path": value = wrap["creation_path"]
            case "wrapped_accessor": value = wrap["wrapped_accessor"]
            default: break
            }
        }
        if let value, !value.isNull { return value }
        return secret["data"]?[field]
    }

    // MARK: Secret layout

    /// The members of the Go client's `api.Secret`.
    static let secretFields: Set<String> = [
        "request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "auth", "wrap_info", "mount_type",
    ]

    /// A response body as the Go client parses it: a body that sets none of a secret's fields (`sys/leader`, say, which
    /// answers without the envelope) becomes the data of an otherwise empty secret, as `bao read` shows it.
    static func secret(fromBody body: JSON) -> JSON {
        guard let members = body.members else { return body }
        let setsAField = members.contains { member in
            guard secretFields.contains(member.key) else { return false }
            switch member.value {
            case .null: return false
            case .string(let s): return !s.isEmpty
            case .bool(let b): return b
            case .number(let n): return Double(n) != 0
            case .array, .object: return true
            }
        }
        return setsAField ? body : .object(["data": body])
    }

    /// Key/Value rows of a response as `bao`'s table formatter lists them.
    static func secretRows(_ secret: JSON) -> [[String]] {
        var rows: [[String]] = []
        let leaseDuration = secret["lease_duration"]?.intValue ?? 0
        if leaseDuration > 0 {
            if let leaseID = secret["lease_id"]?.stringValue, !leaseID.isEmpty {
                rows.append(["lease_id", leaseID])
                rows.append(["lease_duration", Duration.human(seconds: leaseDuration)])
                rows.append(["lease_renewable", GoFormat.value(secret["renewable"] ?? false)])
            } else {
                rows.append(["refresh_interval", Duration.human(seconds: leaseDuration)])
            }
        }
        if let auth = secret["auth"], !auth.isNull {
            rows.append(["token", auth["client_token"]?.stringValue ?? ""])
            rows.append(["token_accessor", auth["accessor"]?.stringValue ?? ""])
            let duration = auth["lease_duration"]?.intValue ?? 0
            rows.append(["token_duration", duration == 0 ? "∞" : Duration.human(seconds: duration)])
            rows.append(["token_renewable", GoFormat.value(auth["renewable"] ?? false)])
            rows.append(["token_policies", GoFormat.quotedList(auth["token_policies"])])
            rows.append(["identity_policies", GoFormat.quotedList(auth["identity_policies"])])
            rows.append(["policies", GoFormat.quotedList(auth["policies"])])
            for member in (auth["metadata"]?.members ?? []).sorted(by: { $0.key < $1.key }) {
                rows.append(["token_meta_\(member.key)", GoFormat.value(member.value)])
            }
        }
        if let wrap = secret["wrap_info"], !wrap.isNull {
            rows.append(["wrapping_token:", wrap["token"]?.stringValue ?? ""])
            rows.append(["wrapping_accessor:", wrap["accessor"]?.stringValue ?? ""])
            rows.append(["wrapping_token_ttl:", Duration.human(seconds: wrap["ttl"]?.intValue ?? 0)])
            rows.append(["wrapping_token_creation_time:", GoFormat.time(wrap["creation_time"]?.stringValue ?? "")])
            rows.append(["wrapping_token_creation_path:", GoFormat.value(wrap["creation_path"] ?? "")])
            if let accessor = wrap["wrapped_accessor"]?.stringValue, !accessor.isEmpty {
                rows.append(["wrapped_accessor:", accessor])
            }
        }
        if let data = secret["data"]?.members {
            for member in data.sorted(by: { $0.key < $1.key }) {
                let value = Duration.looksLikeDuration(member.key) ? Duration.humanValue(member.value) : GoFormat.value(member.value)
                rows.append([member.key, value])
            }
        }
        return rows
    }

    /// The response in the Go client's `api.Secret` field order, with map keys sorted as Go writes them.
    static func normalizeSecret(_ secret: JSON) -> JSON {
        var result = JSON.object([])
        result["request_id"] = secret["request_id"] ?? ""
        result["lease_id"] = secret["lease_id"] ?? ""
        result["lease_duration"] = secret["lease_duration"] ?? .int(0)
        result["renewable"] = secret["renewable"] ?? false
        result["data"] = secret["data"].map { $0.isObject ? $0.sortedKeys() : $0 } ?? .null
        result["warnings"] = secret["warnings"].map { ($0.arrayValue?.isEmpty ?? true) ? .null : $0 } ?? .null
        if let wrap = secret["wrap_info"], !wrap.isNull {
            var out = JSON.object([])
            out["token"] = wrap["token"] ?? ""
            out["accessor"] = wrap["accessor"] ?? ""
            out["ttl"] = wrap["ttl"] ?? .int(0)
            out["creation_time"] = wrap["creation_time"] ?? "0001-01-01T00:00:00Z"
            out["creation_path"] = wrap["creation_path"] ?? ""
            out["wrapped_accessor"] = wrap["wrapped_accessor"] ?? ""
            result["wrap_info"] = out
        }
        if let auth = secret["auth"], !auth.isNull {
            var out = JSON.object([])
            out["client_token"] = auth["client_token"] ?? ""
            out["accessor"] = auth["accessor"] ?? ""
            out["policies"] = auth["policies"] ?? .null
            out["token_policies"] = auth["token_policies"] ?? .null
            out["identity_policies"] = auth["identity_policies"] ?? .null
            out["metadata"] = auth["metadata"].map { $0.sortedKeys() } ?? .null
            out["orphan"] = auth["orphan"] ?? false
            out["entity_id"] = auth["entity_id"] ?? ""
            out["lease_duration"] = auth["lease_duration"] ?? .int(0)
            out["renewable"] = auth["renewable"] ?? false
            out["mfa_requirement"] = auth["mfa_requirement"] ?? .null
            result["auth"] = out
        }
        return result
    }

    // MARK: KV helpers

    /// `bao`'s section header: the title padded with `=` to the width of a Key/Value table of `data`.
    static func header(_ title: String, forMap data: JSON?) -> String {
        let maxKey = (data?.members ?? []).map { $0.key.count }.max() ?? 0
        return padEqualSigns(title, width: maxKey + 4 + 5)
    }

    /// Pads a title with `=` on both sides to about `width` characters.
    static func padEqualSigns(_ title: String, width: Int) -> String {
        var signs = width - (title.count + 2)
        if signs <= 0 { signs = 4 }
        if signs % 2 != 0 { signs += 1 }
        let side = String(repeating: "=", count: signs / 2)
        return "\(side) \(title) \(side)"
    }

    /// Prints the path section that opens `kv` output.
    static func outputPath(_ path: String, title: String) {
        Console.out(padEqualSigns(title, width: path.count))
        Console.out(path)
        Console.out("")
    }
}

/// Formats values as Go's `fmt` `%v` does for decoded JSON.
enum GoFormat {
    static func value(_ value: JSON?) -> String {
        guard let value else { return "<nil>" }
        switch value {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .number(let literal): return literal
        case .string(let s): return s
        case .array(let values): return "[" + values.map { Self.value($0) }.joined(separator: " ") + "]"
        case .object(let members):
            let items = members.sorted { $0.key < $1.key }.map { "\($0.key):\(Self.value($0.value))" }
            return "map[" + items.joined(separator: " ") + "]"
        }
    }

    /// An RFC 3339 timestamp as Go's `time.Time.String()` prints it: `2024-05-01 10:00:00.123 +0000 UTC`.
    static func time(_ text: String) -> String {
        guard text.count >= 20, let t = text.firstIndex(of: "T") else { return text }
        let date = text[..<t]
        var rest = text[text.index(after: t)...]
        var zone = "+0000 UTC"
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            rest = rest.dropLast()
        } else if rest.count > 6, let sign = rest.dropFirst(rest.count - 6).first, sign == "+" || sign == "-" {
            let offset = String(rest.suffix(6).filter { $0 != ":" })
            zone = offset == "+0000" || offset == "-0000" ? "+0000 UTC" : "\(offset) \(offset)"
            rest = rest.dropLast(6)
        } else {
            return text
        }
        var clock = String(rest)
        if clock.contains(".") {
            while clock.hasSuffix("0") { clock.removeLast() }
            if clock.hasSuffix(".") { clock.removeLast() }
        }
        return "\(date) \(clock) \(zone)"
    }

    /// `%q` of a string list: `["a" "b"]`, `[]` when empty or absent.
    static func quotedList(_ value: JSON?) -> String {
        let items = value?.arrayValue ?? []
        return "[" + items.map { quote($0.stringValue ?? Self.value($0)) }.joined(separator: " ") + "]"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

/// Durations rendered as Go's `time.Duration` strings with trailing zero units dropped (`1h`, `1h30m`, `59m58s`).
enum Duration {
    static func human(seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        let negative = seconds < 0
        let total = abs(seconds)
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let secs = total % 60
        var text: String
        if hours > 0 {
            text = "\(hours)h\(minutes)m\(secs)s"
        } else if minutes > 0 {
            text = "\(minutes)m\(secs)s"
        } else {
            text = "\(secs)s"
        }
        if text.hasSuffix("m0s") { text.removeLast(2) }
        if text.hasSuffix("h0m") { text.removeLast(2) }
        return negative ? "-" + text : text
    }

    /// Go's `time.Duration.String()` for whole seconds: `1h0m0s`, `5m0s`, `30s`, `0s`.
    static func goString(seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        let total = abs(seconds)
        var text = ""
        if total >= 3600 { text += "\(total / 3600)h" }
        if total >= 60 { text += "\((total % 3600) / 60)m" }
        text += "\(total % 60)s"
        return seconds < 0 ? "-" + text : text
    }

    /// A duration field: numbers (or numeric strings) become durations; anything else prints as is.
    static func humanValue(_ value: JSON) -> String {
        switch value {
        case .number(let literal):
            if let seconds = Int(literal) { return human(seconds: seconds) }
        case .string(let s):
            if let seconds = Int(s) { return human(seconds: seconds) }
        default: break
        }
        return GoFormat.value(value)
    }

    static func looksLikeDuration(_ key: String) -> Bool {
        key == "period" || key.hasSuffix("_period") || key == "ttl" || key.hasSuffix("_ttl") || key == "duration"
            || key.hasSuffix("_duration") || key == "lease_max" || key == "ttl_max"
    }

    /// Parses a duration as `bao` reads `VAULT_CLIENT_TIMEOUT` (`parseutil.ParseDurationSecond`): a whole number of
    /// seconds, or a Go duration with an optional sign (`1m30s`, `500ms`, `-5s`, `1.5h`, `2d`). Returns seconds.
    static func parseDurationSeconds(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace()
        if let seconds = Int(trimmed) { return Double(seconds) }
        var rest = Substring(trimmed)
        var sign = 1.0
        if rest.first == "-" || rest.first == "+" {
            if rest.first == "-" { sign = -1 }
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return sign * total
    }

    /// Parses `30m`, `1h30m`, `90s` or a bare number of seconds.
    static func parseSeconds(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        if let seconds = Int(trimmed) { return seconds }
        var total = 0.0
        var number = ""
        var chars = Array(trimmed)
        guard !chars.isEmpty else { return nil }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isNumber || c == "." {
                number.append(c)
                i += 1
                continue
            }
            var unit = String(c)
            if c == "m", i + 1 < chars.count, chars[i + 1] == "s" {
                unit = "ms"
                i += 1
            }
            guard let value = Double(number) else { return nil }
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            case "d": total += value * 86400
            default: return nil
            }
            number = ""
            i += 1
        }
        chars = []
        guard number.isEmpty else { return nil }
        return Int(total)
    }
}

/// Column layout like the `columnize` package `bao` uses: cells trimmed, empty cells shown as `n/a`, columns joined by
/// four spaces, the last column not padded.
enum Table {
    static func render(_ rows: [[String]], headers: [String]? = nil) -> String {
        var all: [[String]] = []
        if let headers {
            all.append(headers)
            all.append(headers.map { String(repeating: "-", count: $0.count) })
        }
        all += rows.map { row in row.map { cell in
            let trimmed = cell.trimmingWhitespace()
            return trimmed.isEmpty ? "n/a" : trimmed
        } }
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return all.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[i] - cell.count) + "    "
                }
            }
            return line
        }.joined(separator: "\n")
    }
}

extension String {
    /// The string without leading and trailing whitespace and newlines.
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
