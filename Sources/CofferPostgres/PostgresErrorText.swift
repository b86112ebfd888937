import NIOSSL
import PostgresNIO

/// Texts for postgres-nio errors that are safe to show: pgx's wording, the server's message and SQLSTATE, never the
/// query text (which may hold passwords) nor the connection password.
public enum PostgresErrorText {
    /// The tail pgx would give for a failed connection (`dial error: …`, `tls error: …`, `failed SASL auth: …`).
    public static func connectFailure(_ error: any Error) -> String {
        if error is CancellationError { return "failed to receive message: timeout" }
        guard let e = error as? PSQLError else { return "dial error: \(error)" }
        switch e.code {
        case .server:
            let text = server(e)
            return e.serverInfo?[.sqlState] == "28P01" ? "failed SASL auth: \(text)" : "server error: \(text)"
        case .sslUnsupported: return "tls error: server refused TLS connection"
        case .failedToAddSSLHandler: return "tls error: \(e.underlying.map { "\($0)" } ?? "failed to start TLS")"
        case .connectionError:
            if let u = e.underlying {
                if u is NIOSSLError || String(describing: type(of: u)).contains("SSL") { return "tls error: \(u)" }
                return "dial error: \(u)"
            }
            return "dial error"
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return "failed SASL auth: \(e.code)"
        case .serverClosedConnection, .uncleanShutdown:
            return "failed to receive message: unexpected EOF"
        default:
            return "\(e.code)"
        }
    }

    /// `SEVERITY: message (SQLSTATE xxxxx)`, as pgx prints a server error.
    public static func server(_ e: PSQLError) -> String {
        let severity = e.serverInfo?[.severity] ?? "ERROR"
        let message = e.serverInfo?[.message] ?? "unknown error"
        let state = e.serverInfo?[.sqlState] ?? ""
        return "\(severity): \(message) (SQLSTATE \(state))"
    }

    /// A failed statement: the server's error, or what happened to the connection.
    public static func queryFailure(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if e.code == .server { return server(e) }
            return connectFailure(e)
        }
        return "\(error)"
    }
}
