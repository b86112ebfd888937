import CofferPostgres
import CofferSDK
import Logging
import PostgresNIO
import Synchronization

/// Up to `limit` PostgreSQL connections, opened when needed (each attempt retried `connectRetries` times with
/// backoff), handed to one operation at a time and reused; a connection found closed is dropped and replaced.
///
/// ``withConnection(_:_:)`` runs one operation and decides, when it fails, whether running it again on another
/// connection is safe: a read always is; a write only when it never reached the server.
final class PostgresConnectionPool: Sendable {
    /// Whether an operation may be run again after its connection was lost.
    enum Retry: Sendable {
        /// Reads: run again on a new connection.
        case always
        /// Writes: run again only if the statement was never sent; once sent, its outcome is unknown.
        case ifNotSent
    }

    private enum Grant {
        case connection(PostgresConnection)
        case openSlot
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        /// Idle, leased and being opened.
        var open = 0
        var waiters: [Waiter] = []
        var nextID = 0
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []

        /// A waiter to hand a freed slot or connection to.
        mutating func popWaiter() -> Waiter? { waiters.isEmpty ? nil : waiters.removeFirst() }

        mutating func takeCloseWaitersIfDone() -> [CheckedContinuation<Void, Never>] {
            guard closed, open == 0 else { return [] }
            defer { closeWaiters = [] }
            return closeWaiters
        }
    }

    private let configuration: PostgresConnection.Configuration
    private let limit: Int
    private let connectRetries: Int
    /// `host:port` for messages.
    let target: String
    private let logger: Logger
    private let state = Mutex(State())

    /// How many times an operation is run again after losing its connection.
    static let maxLostConnectionRetries = 3

    init(configuration: PostgresConnection.Configuration, target: String, limit: Int, connectRetries: Int, logger: Logger) {
        self.configuration = configuration
        self.target = target
        self.limit = max(1, limit)
        self.connectRetries = max(0, connectRetries)
        self.logger = logger
    }

    /// Runs `body` on a pooled connection. A failure that lost the connection is retried as `retry` allows (on a new
    /// connection) or becomes a ``PhysicalError`` saying so; any other failure is a ``PhysicalError`` with the
    /// server's message.
    /// With `refusalsApart`, a statement the server refused on a healthy connection throws ``StatementRefused``
    /// instead (group commit then sends the writes of the group one by one).
    func withConnection<T: Sendable>(
        _ retry: Retry, refusalsApart: Bool = false, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var lost = 0
        while true {
            let connection = try await lease()
            do {
                let result = try await body(connection)
                release(connection, reusable: true)
                return result
            } catch let error as PhysicalError {
                release(connection, reusable: !connection.isClosed)
                throw error
            } catch {
                let connectionLost = connection.isClosed || Self.isConnectionFailure(error)
                release(connection, reusable: !connectionLost)
                guard connectionLost else {
                    let text = "postgresql: \(PostgresErrorText.queryFailure(error))"
                    if refusalsApart { throw StatementRefused(text) }
                    throw PhysicalError(text)
                }
                let safe = retry == .always || Self.wasNotSent(error)
                if safe, lost < Self.maxLostConnectionRetries {
                    lost += 1
                    logger.debug("postgresql: connection lost, retrying on a new one", metadata: ["coffer.attempt": "\(lost)"])
                    continue
                }
                if retry == .ifNotSent, !safe {
                    throw PhysicalError(
                        "postgresql: the connection to \(target) was lost during a write, which may or may not have been applied: "
                            + PostgresErrorText.queryFailure(error))
                }
                throw PhysicalError("postgresql: the connection to \(target) was lost: \(PostgresErrorText.queryFailure(error))")
            }
        }
    }

    /// A failure of the connection (or the server session) rather than of the statement.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError else { return false }
        guard e.code == .server else { return true }
        let state = e.serverInfo?[.sqlState] ?? ""
        let severity = e.serverInfo?[.severity] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("57P") || severity == "FATAL" || severity == "PANIC"
    }

    /// postgres-nio fails a statement with `clientClosedConnection` only when the connection was already closing
    /// when the statement was queued (after the server's FATAL error, or our own close): it was never sent.
    static func wasNotSent(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .clientClosedConnection
    }

    // MARK: Leasing

    private func lease() async throws -> PostgresConnection {
        while true {
            let id = state.withLock { s in
                s.nextID += 1
                return s.nextID
            }
            let grant: Grant = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                    let immediate = state.withLock { s -> Result<Grant, any Error>? in
                        if s.closed { return .failure(PhysicalError("postgresql: the backend is closed")) }
                        while let connection = s.idle.popLast() {
                            if !connection.isClosed { return .success(.connection(connection)) }
                            s.open -= 1
                        }
                        if s.open < limit {
                            s.open += 1
                            return .success(.openSlot)
                        }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        s.waiters.append(Waiter(id: id, continuation: continuation))
                        return nil
                    }
                    if let immediate { continuation.resume(with: immediate) }
                }
            } onCancel: {
                let waiter = state.withLock { s -> Waiter? in
                    guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: i)
                }
                waiter?.continuation.resume(throwing: CancellationError())
            }
            switch grant {
            case .connection(let connection):
                if connection.isClosed {
                    release(connection, reusable: false)
                    continue
                }
                return connection
            case .openSlot:
                do {
                    return try await connect(id: id)
                } catch {
                    slotFreed()
                    throw error
                }
            }
        }
    }

    private func release(_ connection: PostgresConnection, reusable: Bool) {
        enum Action {
            case none
            case hand(CheckedContinuation<Grant, any Error>, Grant)
        }
        var toClose: PostgresConnection?
        let (action, closeWaiters) = state.withLock { s -> (Action, [CheckedContinuation<Void, Never>]) in
            if reusable, !s.closed, !connection.isClosed {
                if let waiter = s.popWaiter() { return (.hand(waiter.continuation, .connection(connection)), []) }
                s.idle.append(connection)
                return (.none, [])
            }
            toClose = connection
            s.open -= 1
            if !s.closed, let waiter = s.popWaiter() {
                s.open += 1
                return (.hand(waiter.continuation, .openSlot), [])
            }
            return (.none, s.takeCloseWaitersIfDone())
        }
        if case .hand(let continuation, let grant) = action { continuation.resume(returning: grant) }
        if let toClose, !toClose.isClosed {
            // The connection must outlive its close: postgres-nio asserts that a connection is closed when it goes.
            toClose.close().whenComplete { _ in withExtendedLifetime(toClose) {} }
        }
        for waiter in closeWaiters { waiter.resume() }
    }

    /// A connection that was to be opened was not: its slot goes to a waiter (who tries in turn) or is freed.
    private func slotFreed() {
        let (waiter, closeWaiters) = state.withLock { s -> (Waiter?, [CheckedContinuation<Void, Never>]) in
            if !s.closed, let waiter = s.popWaiter() { return (waiter, []) }
            s.open -= 1
            return (nil, s.takeCloseWaitersIfDone())
        }
        waiter?.continuation.resume(returning: .openSlot)
        for waiter in closeWaiters { waiter.resume() }
    }

    private func connect(id: Int) async throws -> PostgresConnection {
        var attempt = 0
        while true {
            do {
                return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            } catch {
                let text = PostgresErrorText.connectFailure(error)
                guard attempt < connectRetries, Self.isRetryableConnectFailure(error) else {
                    throw PhysicalError("postgresql: failed to connect to \(target): \(text)")
                }
                attempt += 1
                logger.warning("postgresql: connection attempt failed, retrying", metadata: ["coffer.attempt": "\(attempt)", "coffer.error": "\(text)"])
                try await Task.sleep(for: Self.backoff(attempt: attempt))
            }
        }
    }

    /// 100 ms, 200 ms, 400 ms … up to 5 s.
    static func backoff(attempt: Int) -> Duration {
        .milliseconds(min(5_000, 100 << min(attempt - 1, 6)))
    }

    /// Not worth retrying: the server refused the login or the database, or TLS failed.
    static func isRetryableConnectFailure(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError else { return true }
        switch e.code {
        case .server:
            let state = e.serverInfo?[.sqlState] ?? ""
            return !(state.hasPrefix("28") || state.hasPrefix("3D"))
        case .sslUnsupported, .failedToAddSSLHandler, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return false
        default:
            return !PostgresErrorText.connectFailure(error).hasPrefix("tls error")
        }
    }

    // MARK: Closing

    /// Fails waiting operations, closes the idle connections, and waits until the leased ones come back (then
    /// closed). Later operations fail.
    func close() async {
        let (idle, waiters) = state.withLock { s -> ([PostgresConnection], [Waiter]) in
            s.closed = true
            defer {
                s.idle = []
                s.waiters = []
            }
            s.open -= s.idle.count
            return (s.idle, s.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: PhysicalError("postgresql: the backend is closed")) }
        for connection in idle where !connection.isClosed { try? await connection.close() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.open == 0 { return true }
                s.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// The server refused a statement on a healthy connection: the statement's transaction was rolled back, nothing of it
/// applied. Thrown only to the backend's group commit, which tells it apart; everyone else gets a ``PhysicalError``.
struct StatementRefused: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
