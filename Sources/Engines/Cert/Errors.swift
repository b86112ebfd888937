import CofferSDK

/// Error texts of the cert method, as OpenBao 2.7 words them.
enum CertErrors {
    /// A login over plain HTTP (400).
    static let tlsRequired = LogicalError.invalidRequest("tls connection required")
    /// A login whose client presented no certificate (400).
    static let noClientCertificate = LogicalError.invalidRequest("no client certificate found")
    /// No trusted certificate (or none of the named role) anchors the client's chain (400).
    static let invalidCertificate = LogicalError.invalidRequest("invalid certificate or no client certificate supplied")
    /// A chain was found, but no role it leads to accepts the certificate (400).
    static let noMatchingChain = LogicalError.invalidRequest("no chain matching all constraints could be found for this login certificate")
    /// A login refusal with the errors met while matching (OCSP), in go-multierror's text.
    static func withVerificationErrors(_ refusal: LogicalError, _ errors: [String]) -> LogicalError {
        let text =
            errors.count == 1
            ? LogicalError.multiErrorText(errors[0])
            : "\(errors.count) errors occurred:\n" + errors.map { "\t* \($0)\n" }.joined() + "\n"
        return .invalidRequest(refusal.description + "; additionally got errors during verification: " + text)
    }
    static let failedToParseCertificate = LogicalError.invalidRequest("failed to parse certificate")
    static let nonCAWithoutClientAuth = LogicalError.invalidRequest(
        "nonCA certificates should have TLS client authentication set as an extended key usage")
    static let missingCRL = LogicalError.invalidRequest("one of 'crl' or 'url' must be provided")
    /// Coffer fetches no CRL from a distribution point (OpenBao does, and refreshes it).
    static let crlURLUnsupported = LogicalError.invalidRequest(
        "fetching a CRL from a distribution point URL is not supported; send the CRL itself in 'crl'")
    static func noSuchCRL(_ name: String) -> LogicalError { .invalidRequest("no such CRL \(name)") }
    static let invalidCacheSize = LogicalError.invalidRequest("invalid cache size, must be >= 2 and <= 100000")
    /// Go's `x509.Verify` on a client certificate outside its validity (a 500 in OpenBao, whose login returns the
    /// error itself).
    static func verifyFailed(_ reason: String) -> LogicalError {
        .goError(.internal, "failed to verify client's certificate: \(reason)")
    }
    /// Renewal with a certificate of another identity than the login's.
    static let identityChanged = LogicalError.goError(
        .internal, "client identity during renewal not matching client identity used during login")
    /// Renewal refused because the role's policies differ from the token's.
    static let policiesChanged = LogicalError.goError(.internal, "policies have changed, not renewing")
}
