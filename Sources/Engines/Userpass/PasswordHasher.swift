import CofferSDK
import Crypto
import Dispatch
import Foundation
import HummingbirdBcrypt

/// Password rules and bcrypt hashing.
///
/// Rules (NIST SP 800-63B, memorized secrets): at least ``minimumLength`` characters (Unicode code points, after
/// NFKC normalization); no maximum beyond the request size limit; every printable character, space and Unicode
/// allowed; no composition rules. Passwords are never logged or echoed.
///
/// Hashing (``Scheme/prehashed``, every password set through Coffer):
/// 1. the password is normalized to NFKC, so the same text typed on different systems matches;
/// 2. bcrypt only reads the first 72 bytes of its input (and stops at a NUL byte), so a normalized password longer
///    than 72 UTF-8 bytes (or containing NUL) is first reduced to `base64(HMAC-SHA256(key: "coffer-userpass-prehash-v1",
///    password))` (44 ASCII characters) — every byte of a long password stays significant;
/// 3. bcrypt at cost ``cost`` (`$2b$`).
///
/// Hashes imported through `password_hash` (``Scheme/bcrypt``) are checked as OpenBao checks them: plain bcrypt of
/// the password as given (`$2a$`, `$2b$` and `$2y$` accepted).
///
/// bcrypt is CPU-bound (~50-100 ms at cost 10), so it runs on a Dispatch queue, off Swift's cooperative pool.
enum PasswordHasher {
    enum Scheme: String, Sendable {
        case prehashed = "coffer-bcrypt-v1"
        case bcrypt
    }

    static let minimumLength = 8
    static let cost: UInt8 = 10
    static let prehashKey = SymmetricKey(data: Data("coffer-userpass-prehash-v1".utf8))

    /// Refuses a new password that breaks the rules.
    static func validateNew(_ password: String) throws {
        if password.precomposedStringWithCompatibilityMapping.unicodeScalars.count < minimumLength {
            throw UserpassErrors.passwordTooShort
        }
    }

    /// The bcrypt input for a password under the ``Scheme/prehashed`` scheme.
    static func bcryptInput(_ password: String) -> String {
        let normalized = password.precomposedStringWithCompatibilityMapping
        let bytes = Data(normalized.utf8)
        if bytes.count <= 72 && !bytes.contains(0) { return normalized }
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: prehashKey)
        return Data(mac).base64EncodedString()
    }

    static func hash(_ password: String) async -> String {
        let input = bcryptInput(password)
        return await offload { Bcrypt.hash(input, cost: cost) }
    }

    static func verify(_ password: String, hash: String, scheme: Scheme) async -> Bool {
        let input: String
        var hash = hash
        switch scheme {
        case .prehashed: input = bcryptInput(password)
        case .bcrypt:
            input = password
            // Same algorithm; `$2b$` also caps the key at 72 bytes as Go's bcrypt does (the C `$2a$` code wraps).
            if hash.hasPrefix("$2a$") || hash.hasPrefix("$2y$") { hash = "$2b$" + hash.dropFirst(4) }
        }
        let h = hash
        checked?(h)
        return await offload { Bcrypt.verify(input, hash: h) }
    }

    /// Told the hash each bcrypt check runs against, in the task that asked (tests check that an unknown user costs
    /// the same bcrypt work as a wrong password without timing it on a busy machine).
    @TaskLocal static var checked: (@Sendable (String) -> Void)?

    /// Checked against for unknown users so a failed login costs the same whether or not the user exists.
    static let dummyHash: String = {
        let filler = (0..<32).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        return Bcrypt.hash(filler, cost: cost)
    }()

    static func verifyDummy(_ password: String) async {
        let input = bcryptInput(password)
        checked?(dummyHash)
        _ = await offload { Bcrypt.verify(input, hash: dummyHash) }
    }

    /// Whether `text` is a bcrypt hash this server can check (`$2a$`/`$2b$`/`$2y$`, cost 4...31, 53 characters of
    /// salt and hash in bcrypt's base64 alphabet).
    static func isValidBcryptHash(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"), b[3] == UInt8(ascii: "$"),
            b[6] == UInt8(ascii: "$"), [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2])
        else { return false }
        guard b[4...5].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let cost = Int(String(decoding: b[4...5], as: UTF8.self)),
            (4...31).contains(cost)
        else { return false }
        return b[7...].allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x2F
        }
    }

    static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
