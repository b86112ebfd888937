import CofferSDK
import Foundation
import VaporCSQLite

/// The writer's own SQLite connection, driven through SQLite's C API (the copy sqlite-nio builds) rather than
/// through `SQLiteConnection.query`.
///
/// sqlite-nio runs each statement as a job on its thread pool and hands the result back through an event loop
/// and a task continuation: three thread wake-ups per statement, nine per group commit (BEGIN, the writes,
/// COMMIT). Here a whole group commit is one job on the writer thread, with its statements prepared once and
/// reused, and the waiters are resumed straight from that thread.
///
/// Not thread safe: every call must come from the one writer thread (or before it starts, or after it stopped).
final class SQLiteWriteConnection: @unchecked Sendable {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private let path: String

    /// SQLite copies bound text and blobs (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

    init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close_v2(handle)
            throw PhysicalError("sqlite: cannot open \(path): \(message)")
        }
        db = handle
    }

    deinit { close() }

    /// Finalizes the statements and closes the connection (the last connection to close checkpoints the WAL).
    func close() {
        for (_, statement) in statements { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        if let db { sqlite_nio_sqlite3_close_v2(db) }
        db = nil
    }

    /// Runs SQL without results (pragmas, DDL).
    func execute(_ sql: String) throws {
        guard let db else { throw PhysicalError("sqlite backend \(path) is closed") }
        try check(sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil), sql)
    }

    /// The first column of the first row of `sql`, as text (for `PRAGMA journal_mode = WAL`).
    func scalarText(_ sql: String) throws -> String? {
        let statement = try prepared(sql)
        defer { sqlite_nio_sqlite3_reset(statement) }
        let rc = sqlite_nio_sqlite3_step(statement)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { try check(rc, sql); return nil }
        return sqlite_nio_sqlite3_column_text(statement, 0).map { String(cString: $0) }
    }

    /// Applies `operations` in order in one `BEGIN IMMEDIATE … COMMIT`, or rolls back and throws.
    func apply(_ operations: [StorageOperation]) throws {
        if operations.isEmpty { return }
        do {
            try step(prepared("BEGIN IMMEDIATE"))
        } catch {
            // Self-heal if an earlier failure left a transaction open, then try once more.
            try? step(prepared("ROLLBACK"))
            try step(prepared("BEGIN IMMEDIATE"))
        }
        do {
            let upsert = try prepared(
                "INSERT INTO entries (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            let delete = try prepared("DELETE FROM entries WHERE key = ?1")
            for operation in operations {
                switch operation {
                case .put(let key, let value):
                    try bind(key, to: upsert)
                    let rc = value.withUnsafeBytes { raw -> Int32 in
                        // An empty value is an empty blob, never NULL (the column is NOT NULL).
                        guard let base = raw.baseAddress, raw.count > 0 else { return sqlite_nio_sqlite3_bind_zeroblob(upsert, 2, 0) }
                        return sqlite_nio_sqlite3_bind_blob(upsert, 2, base, Int32(raw.count), Self.transient)
                    }
                    try check(rc, "bind")
                    try step(upsert)
                case .delete(let key):
                    try bind(key, to: delete)
                    try step(delete)
                }
            }
            try step(prepared("COMMIT"))
        } catch {
            // Some errors already rolled the transaction back; then this fails harmlessly.
            try? step(prepared("ROLLBACK"))
            throw error
        }
    }

    private func bind(_ key: String, to statement: OpaquePointer) throws {
        var key = key
        let rc = key.withUTF8 { utf8 -> Int32 in
            guard !utf8.isEmpty else { return sqlite_nio_sqlite3_bind_text(statement, 1, "", 0, Self.transient) }
            return utf8.withMemoryRebound(to: CChar.self) { chars in
                sqlite_nio_sqlite3_bind_text(statement, 1, chars.baseAddress, Int32(chars.count), Self.transient)
            }
        }
        try check(rc, "bind")
    }

    /// Runs a statement that returns no rows, then resets it for reuse.
    private func step(_ statement: OpaquePointer) throws {
        let rc = sqlite_nio_sqlite3_step(statement)
        let failure = rc == SQLITE_DONE || rc == SQLITE_ROW ? nil : message(rc)
        sqlite_nio_sqlite3_reset(statement)
        sqlite_nio_sqlite3_clear_bindings(statement)
        if let failure { throw PhysicalError("sqlite: \(failure)") }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard let db else { throw PhysicalError("sqlite backend \(path) is closed") }
        var statement: OpaquePointer?
        try check(sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &statement, nil), sql)
        guard let statement else { throw PhysicalError("sqlite: empty statement") }
        statements[sql] = statement
        return statement
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc == SQLITE_OK else { throw PhysicalError("sqlite: \(message(rc))") }
    }

    private func message(_ rc: Int32) -> String {
        if let db, let m = sqlite_nio_sqlite3_errmsg(db) { return String(cString: m) }
        return String(cString: sqlite_nio_sqlite3_errstr(rc))
    }
}
