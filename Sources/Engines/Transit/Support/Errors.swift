import CofferSDK

/// Error texts of the transit engine, as OpenBao words them.
enum TransitErrors {
    /// A Go error of a handler (500): the core wraps it in go-multierror's text.
    static func multi(_ message: String) -> LogicalError { .goError(.internal, message) }
    static let missingContext =
        "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"
    static let tooOld = "ciphertext or signature version is disallowed by policy (too old)"
    static let keyNotFound = "encryption key not found"
}

/// An error of one operation, kept as text so batches can report it per item; `isInternal` selects a 500.
struct ItemError: Error {
    var message: String
    var isInternal = false
    init(_ message: String, internal isInternal: Bool = false) {
        self.message = message
        self.isInternal = isInternal
    }
    var logical: LogicalError { isInternal ? TransitErrors.multi(message) : .invalidRequest(message) }

    /// Runs `body`: an ItemError it throws passes through, any other error becomes an internal one, `doing` and the
    /// error's text (`error signing: …`).
    static func wrapping<T>(_ doing: String, _ body: () throws -> T) throws(ItemError) -> T {
        do {
            return try body()
        } catch let e as ItemError {
            throw e
        } catch {
            throw ItemError("\(doing): \(error)", internal: true)
        }
    }
}

func decodeBase64Field(_ text: String, prefix: String = "", isInternal: Bool = false) throws(ItemError) -> [UInt8] {
    do throws(GoBase64.DecodeError) {
        return try GoBase64.decode(text)
    } catch {
        throw ItemError(prefix + error.description, internal: isInternal)
    }
}
