import CofferSDK
import Foundation
import HTTPTypes
import Hummingbird

/// Sends a request that a standby received to the active node of its cluster and hands back the answer.
public protocol RequestForwarder: Sendable {
    /// `remoteAddress` is the client's address as this node saw it, `tls` its TLS connection (nil over plain HTTP);
    /// the active node records them as the request's.
    func forward(_ request: Request, remoteAddress: String?, tls: TLSConnectionState?) async throws -> Response
}

extension CofferResponder {
    /// The header a standby sets on a forwarded request: the client's address. Read only on the cluster listener,
    /// whose peers proved with the cluster certificate that they are nodes of this cluster.
    public static let forwardedForHeader = HTTPField.Name("X-Coffer-Forwarded-For")!

    /// The header a standby sets on a request it forwards when the client connected over TLS: the certificates the
    /// client presented (DER, its own first), each in base64, separated by commas; empty when it presented none.
    /// Absent when the client used plain HTTP. Read only on the cluster listener, like ``forwardedForHeader``.
    public static let forwardedClientCertificatesHeader = HTTPField.Name("X-Coffer-Forwarded-Client-Cert")!

    /// The value of ``forwardedClientCertificatesHeader`` for a client's connection; nil for plain HTTP.
    public static func forwardedClientCertificatesValue(_ tls: TLSConnectionState?) -> String? {
        tls.map { $0.peerCertificates.map { Data($0).base64EncodedString() }.joined(separator: ",") }
    }

    /// The client's connection from a forwarded request's ``forwardedClientCertificatesHeader``; a certificate that is
    /// not base64 is dropped.
    static func forwardedTLS(_ value: String?) -> TLSConnectionState? {
        guard let value else { return nil }
        let certificates = value.split(separator: ",").compactMap { Data(base64Encoded: String($0.trimmingCharacters(in: .whitespaces))) }
        return TLSConnectionState(peerCertificates: certificates.map { [UInt8]($0) })
    }

    /// The method a `LIST` request carries inside the server (the listener renames it before HTTP parsing); a
    /// forwarder sends it on as `LIST`.
    public static let listMethodInside = HTTPFramingScanner.substituteMethod

    /// What a standby answers when it cannot reach an active node (none elected yet, or it just failed).
    static let noActiveNode = LogicalError(.status(503), "local node not active but active cluster node not found")
}
