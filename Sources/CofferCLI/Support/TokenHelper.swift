import Foundation

/// Stores the login token in `~/.vault-token`, like the default `bao`/`vault` token helper.
enum TokenHelper {
    static var path: String { (Environment.home as NSString).appendingPathComponent(".vault-token") }

    /// The stored token, if any.
    static func read() -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Stores `token` with mode 0600.
    static func store(_ token: String) throws {
        let url = URL(fileURLWithPath: path)
        try Data(token.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
