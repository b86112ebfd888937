import CofferSDK
import PostgresNIO

extension PostgresBackend {
    public func acquireLock(identity: String, value: String, ttl: Duration) async throws -> HALock? {
        let rows = try await haQuery(statements.acquireLock, identity, value, Self.microseconds(ttl))
        guard let term = try rows.first?.decode(Int64.self) else { return nil }
        return HALock(identity: identity, value: value, term: term)
    }

    public func renewLock(_ lock: HALock, ttl: Duration) async throws -> Bool {
        let rows = try await haQuery(statements.renewLock, lock.identity, lock.term, Self.microseconds(ttl))
        return !rows.isEmpty
    }

    public func releaseLock(_ lock: HALock) async throws {
        _ = try await haQuery(statements.releaseLock, lock.identity, lock.term)
    }

    public func lockHolder() async throws -> HALockHolder? {
        let rows = try await haQuery(statements.lockHolder)
        guard let row = rows.first else { return nil }
        let (identity, value, term, valid) = try row.decode((String, String, Int64, Bool).self)
        return HALockHolder(identity: identity, value: value, term: term, valid: valid)
    }

    public func changeFeedPosition() async throws -> ChangeFeedPosition {
        let rows = try await haQuery(statements.feedPosition)
        guard let text = try rows.first?.decode(String.self), let v = UInt64(text) else {
            throw PhysicalError("postgresql: no transaction horizon")
        }
        return ChangeFeedPosition(v)
    }

    /// More changed keys than this since the last read, and the reader drops everything instead.
    static let changesLimit = 10_000

    public func changes(since position: ChangeFeedPosition) async throws -> ChangeFeedBatch {
        let rows = try await haQuery(statements.changes(limit: Self.changesLimit + 1), String(position.value))
        var next: UInt64? = nil
        var keys: [String] = []
        for row in rows {
            let (horizon, key) = try row.decode((String, String?).self)
            next = next ?? UInt64(horizon)
            if let key { keys.append(key) }
        }
        guard let next else { throw PhysicalError("postgresql: no transaction horizon") }
        // The horizon never goes back; keep the reader's when the server's reads lower (it cannot, but a reader must
        // never move backwards).
        return ChangeFeedBatch(
            keys: keys, next: ChangeFeedPosition(max(next, position.value)), complete: keys.count <= Self.changesLimit)
    }

    public func pruneChanges(olderThan age: Duration) async throws {
        _ = try await haQuery(statements.pruneChanges, Self.microseconds(age))
    }

    /// Runs one HA statement (each is idempotent for its caller, so it runs again after a lost connection).
    private func haQuery(_ sql: String, _ values: any PostgresDynamicTypeEncodable...) async throws -> [PostgresRow] {
        guard configuration.haEnabled else { throw PhysicalError("postgresql: HA is not enabled (ha_enabled)") }
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        let logger = self.logger
        return try await pool.withConnection(.always) { conn in
            try await conn.query(query, logger: logger).collect()
        }
    }

    static func microseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
