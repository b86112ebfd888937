import ArgumentParser
import CofferHCL
import CofferSDK
import Foundation

/// `coffer policy fmt FILE`: rewrites a policy file in canonical HCL layout.
///
/// The file is parsed with ``HCL/parseWithSourceMap(_:)`` and printed back in source order: labelled blocks
/// (`path "secret/*" { ... }`) separated by blank lines, two-space indentation, `=` aligned within runs of one-line
/// attributes, and lists on one line (`["read", "list"]`). Comment lines directly above a top-level block are kept;
/// comments inside blocks are not.
struct PolicyFmtCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fmt", abstract: "Formats a policy on disk")

    @Argument(help: "The policy file to format in place.")
    var file: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIFailure.usage("Error opening policy file: open \(file): no such file or directory")
        }
        let text = String(decoding: data, as: UTF8.self)
        let parsed: (value: JSONValue, sourceMap: HCLSourceMap)
        do {
            parsed = try HCL.parseWithSourceMap(text)
        } catch {
            throw CLIFailure.server("Error parsing policy: \(error)")
        }
        let formatted = PolicyFormatter(sourceMap: parsed.sourceMap, sourceLines: text.components(separatedBy: "\n"))
            .format(parsed.value)
        do {
            try Data(formatted.utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw CLIFailure.server("Error writing formatted policy: \(error)")
        }
        Console.out("Success! Formatted policy: \(file)")
    }
}

/// Prints a parsed HCL document back as HCL.
struct PolicyFormatter {
    var sourceMap: HCLSourceMap
    var sourceLines: [String] = []

    /// The comment lines directly above source line `line` (1-based), in order.
    private func leadingComments(line: Int?) -> String {
        guard let line, line >= 2, line - 1 <= sourceLines.count else { return "" }
        var collected: [String] = []
        var index = line - 2
        while index >= 0 {
            let text = sourceLines[index].trimmingWhitespace()
            guard text.hasPrefix("#") || text.hasPrefix("//") else { break }
            collected.insert(text, at: 0)
            index -= 1
        }
        return collected.isEmpty ? "" : collected.joined(separator: "\n") + "\n"
    }

    func format(_ document: JSONValue) -> String {
        var chunks: [String] = []
        var attributes: [(String, String)] = []
        func flushAttributes() {
            if !attributes.isEmpty {
                chunks.append(alignedAttributes(attributes, indent: ""))
                attributes = []
            }
        }
        for key in orderedKeys(document.objectValue ?? [:], keyPath: []) {
            guard let value = document[key] else { continue }
            if let labelled = value.objectValue, labelled.values.allSatisfy(isBlockBody) {
                flushAttributes()
                for label in orderedKeys(labelled, keyPath: [key]) {
                    guard let body = labelled[label] else { continue }
                    let bodies = body.arrayValue ?? [body]
                    for item in bodies {
                        let comments = leadingComments(line: sourceMap.line(of: [key, label]))
                        chunks.append(comments + block(header: "\(key) \(quote(label))", body: item, keyPath: [key, label], indent: ""))
                    }
                }
            } else if value.arrayValue?.allSatisfy(isBlockBody) == true, !(value.arrayValue?.isEmpty ?? true) {
                flushAttributes()
                for item in value.arrayValue ?? [] {
                    chunks.append(block(header: key, body: item, keyPath: [key], indent: ""))
                }
            } else {
                attributes.append((key, inline(value, indent: "", keyPath: [key])))
            }
        }
        flushAttributes()
        return chunks.joined(separator: "\n\n") + "\n"
    }

    private func isBlockBody(_ value: JSONValue) -> Bool {
        if value.objectValue != nil { return true }
        if let items = value.arrayValue, !items.isEmpty { return items.allSatisfy { $0.objectValue != nil } }
        return false
    }

    private func block(header: String, body: JSONValue, keyPath: [String], indent: String) -> String {
        let inner = indent + "  "
        var lines = ["\(indent)\(header) {"]
        var run: [(String, String)] = []
        var previousWasMultiline = false
        for key in orderedKeys(body.objectValue ?? [:], keyPath: keyPath) {
            guard let value = body[key] else { continue }
            let rendered = inline(value, indent: inner, keyPath: keyPath + [key])
            if rendered.contains("\n") {
                if !run.isEmpty {
                    lines.append(alignedAttributes(run, indent: inner))
                    run = []
                }
                if lines.count > 1 { lines.append("") }
                lines.append("\(inner)\(key) = \(rendered)")
                previousWasMultiline = true
            } else {
                if previousWasMultiline {
                    lines.append("")
                    previousWasMultiline = false
                }
                run.append((key, rendered))
            }
        }
        if !run.isEmpty { lines.append(alignedAttributes(run, indent: inner)) }
        lines.append("\(indent)}")
        return lines.joined(separator: "\n")
    }

    private func alignedAttributes(_ attributes: [(String, String)], indent: String) -> String {
        let width = attributes.map { $0.0.count }.max() ?? 0
        return attributes.map { key, value in
            "\(indent)\(key)\(String(repeating: " ", count: width - key.count)) = \(value)"
        }.joined(separator: "\n")
    }

    private func inline(_ value: JSONValue, indent: String, keyPath: [String] = []) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return quote(s)
        case .array(let items):
            if items.contains(where: { $0.objectValue != nil }) {
                let inner = indent + "  "
                let rendered = items.map { inner + inline($0, indent: inner) }
                return "[\n" + rendered.joined(separator: ",\n") + ",\n\(indent)]"
            }
            return "[" + items.map { inline($0, indent: indent) }.joined(separator: ", ") + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            let inner = indent + "  "
            let pairs = orderedKeys(members, keyPath: keyPath).map {
                (quote($0), inline(members[$0] ?? .null, indent: inner, keyPath: keyPath + [$0]))
            }
            return "{\n" + alignedAttributes(pairs, indent: inner) + "\n\(indent)}"
        }
    }

    private func orderedKeys(_ object: [String: JSONValue], keyPath: [String]) -> [String] {
        object.keys.sorted { a, b in
            let la = sourceMap.line(of: keyPath + [a]) ?? Int.max
            let lb = sourceMap.line(of: keyPath + [b]) ?? Int.max
            return la != lb ? la < lb : a < b
        }
    }

    private func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}
