import CofferSDK
import HTTPTypes
import Hummingbird

/// Sends a request that a standby received to the active node of its cluster and hands back the answer.
public protocol RequestForwarder: Sendable {
    /// `remoteAddress` is the client's address as this node saw it; the active node records it as the request's.
    func forward(_ request: Request, remoteAddress: String?) async throws -> Response
}

extension CofferResponder {
    /// The header a standby sets on a forwarded request: the client's address. Read only on the cluster listener,
    /// whose peers proved with the cluster certificate that they are nodes of this cluster.
    public static let forwardedForHeader = HTTPField.Name("X-Coffer-Forwarded-For")!

    /// The method a `LIST` request carries inside the server (the listener renames it before HTTP parsing); a
    /// forwarder sends it on as `LIST`.
    public static let listMethodInside = HTTPFramingScanner.substituteMethod

    /// What a standby answers when it cannot reach an active node (none elected yet, or it just failed).
    static let noActiveNode = LogicalError(.status(503), "local node not active but active cluster node not found")
}
