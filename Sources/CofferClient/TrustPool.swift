import Foundation
import SwiftASN1
import X509

/// The certificates of `VAULT_CACERT` or `VAULT_CAPATH`, loaded as Go's `rootcerts` package loads them (the file wins
/// over the directory; unreadable or non-certificate files in the directory are skipped).
enum TrustPool {
    /// - Returns: `nil` when neither is set (the system roots apply).
    /// - Throws: ``ClientSetupError`` with Go's text (`Error loading CA File: open /x: no such file or directory`).
    static func load(caCertFile: String?, caPath: String?) throws -> [Certificate]? {
        if let file = caCertFile, !file.isEmpty {
            let text: String
            do {
                text = try readText(file)
            } catch let error as ClientSetupError {
                throw ClientSetupError("Error loading CA File: \(error.message)")
            }
            let certificates = parseCertificates(text)
            if certificates.isEmpty { throw ClientSetupError("Error loading CA File: Couldn't parse PEM in: \(file)") }
            return certificates
        }
        if let directory = caPath, !directory.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
                throw ClientSetupError("lstat \(directory): no such file or directory")
            }
            guard isDirectory.boolValue else { return parseCertificates((try? readText(directory)) ?? "") }
            var certificates: [Certificate] = []
            let enumerator = FileManager.default.enumerator(atPath: directory)
            var names: [String] = []
            while let name = enumerator?.nextObject() as? String { names.append(name) }
            for name in names.sorted() {
                let path = (directory as NSString).appendingPathComponent(name)
                var childIsDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &childIsDirectory), !childIsDirectory.boolValue else {
                    continue
                }
                guard let text = try? readText(path) else {
                    throw ClientSetupError("Error loading file from CAPath: open \(path): permission denied")
                }
                certificates += parseCertificates(text)
            }
            return certificates
        }
        return nil
    }

    /// Every `CERTIFICATE` block that parses, as Go's `CertPool.AppendCertsFromPEM` takes them.
    static func parseCertificates(_ text: String) -> [Certificate] {
        var certificates: [Certificate] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let endMarker = rest.range(of: "-----END ", range: begin.upperBound..<rest.endIndex),
                let close = rest.range(of: "-----", range: endMarker.upperBound..<rest.endIndex)
            else { break }
            let block = String(rest[begin.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
            guard let document = try? PEMDocument(pemString: block), document.discriminator == "CERTIFICATE",
                let certificate = try? Certificate(derEncoded: document.derBytes)
            else { continue }
            certificates.append(certificate)
        }
        return certificates
    }

    /// Reads a file, failing with Go's `os.ReadFile` texts.
    private static func readText(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ClientSetupError("open \(path): no such file or directory")
        }
        if isDirectory.boolValue { throw ClientSetupError("read \(path): is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientSetupError("open \(path): permission denied")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The client could not be set up from its configuration (a CA file that is missing or holds no certificate).
///
/// `message` is Go's text; the CLI prefixes it as `bao` does (`failed to setup TLS config: `).
public struct ClientSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
