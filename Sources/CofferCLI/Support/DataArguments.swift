import CofferClient
import Foundation

/// Parses `k=v` arguments into a request body, as `bao write` / `bao kv put` do.
///
/// - `k=v` sets a string value; repeating a key makes a list.
/// - `k=@file` reads the value from a file; `k=-` reads it from stdin.
/// - a lone `-` reads a whole JSON object from stdin; `@file.json` reads a JSON object from a file.
enum DataArguments {
    static func parse(_ arguments: [String]) throws -> JSON {
        var result = JSON.object([])
        var stdinUsed = false
        func readStdin() throws -> String {
            if stdinUsed { throw CLIFailure.usage("Failed to parse K=V data: stdin can only be read once") }
            stdinUsed = true
            return Console.readStdin()
        }
        for argument in arguments {
            if argument == "-" {
                let text = try readStdin()
                try merge(json: text, into: &result, source: "stdin")
                continue
            }
            if argument.hasPrefix("@") {
                let text = try readFile(String(argument.dropFirst()))
                try merge(json: text, into: &result, source: argument)
                continue
            }
            guard let equals = argument.firstIndex(of: "=") else {
                throw CLIFailure.usage("Failed to parse K=V data: invalid key/value pair \"\(argument)\": format must be key=value")
            }
            let key = String(argument[..<equals])
            var value = String(argument[argument.index(after: equals)...])
            if value == "-" {
                value = try readStdin()
            } else if value.hasPrefix("@") {
                value = try readFile(String(value.dropFirst()))
            }
            if let existing = result[key] {
                if case .array(var values) = existing {
                    values.append(.string(value))
                    result[key] = .array(values)
                } else {
                    result[key] = .array([existing, .string(value)])
                }
            } else {
                result[key] = .string(value)
            }
        }
        return result
    }

    static func readFile(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw CLIFailure.usage("Failed to parse K=V data: error reading file \(path): no such file or unreadable")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func merge(json text: String, into result: inout JSON, source: String) throws {
        let parsed: JSON
        do {
            parsed = try JSON.parse(text)
        } catch {
            throw CLIFailure.usage("Failed to parse K=V data: error parsing JSON from \(source): \(error)")
        }
        guard let members = parsed.members else {
            throw CLIFailure.usage("Failed to parse K=V data: JSON from \(source) is not an object")
        }
        for member in members { result[member.key] = member.value }
    }
}
