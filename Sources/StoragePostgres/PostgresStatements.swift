import CofferSDK

/// The SQL text of ``PostgresBackend``, built once from the validated table names. Every value is a bound parameter;
/// the only text spliced in is the two quoted table names.
struct PostgresStatements: Sendable {
    /// The quoted key/value table (`"name"` or `"schema"."name"`) and its unquoted form for messages.
    let table: String
    let tableName: String
    let haTable: String
    let haTableName: String
    /// The change feed of an HA cluster: `<table>_changes`, and its index.
    let changesTable: String
    let changesTableName: String
    let changesIndex: String

    /// `changeFeed`: an HA cluster's (the feed table's name is then checked too).
    init(table: String, haTable: String, changeFeed: Bool = true) throws(PhysicalError) {
        self.table = try Self.quote(table)
        self.tableName = table
        self.haTable = try Self.quote(haTable)
        self.haTableName = haTable
        changesTableName = table + "_changes"
        if let quoted = try? Self.quote(changesTableName),
            let index = try? Self.quote(String(changesTableName.split(separator: ".").last ?? "") + "_xid")
        {
            changesTable = quoted
            changesIndex = index
        } else if changeFeed {
            throw PhysicalError("postgresql: table name \"\(table)\" is too long for its change feed table \"\(changesTableName)\" (at most 63 bytes)")
        } else {
            changesTable = ""
            changesIndex = ""
        }
    }

    /// `name` or `schema.name`, each part an identifier of letters, digits and underscores (not starting with a digit,
    /// at most 63 bytes), quoted.
    static func quote(_ name: String) throws(PhysicalError) -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { throw invalidName(name) }
        var quoted: [String] = []
        for part in parts {
            guard let first = part.unicodeScalars.first, part.utf8.count <= 63,
                first == "_" || (first.isASCII && first.properties.isAlphabetic),
                part.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) })
            else { throw invalidName(name) }
            quoted.append("\"\(part)\"")
        }
        return quoted.joined(separator: ".")
    }

    static func invalidName(_ name: String) -> PhysicalError {
        PhysicalError("postgresql: invalid table name \"\(name)\": use letters, digits and underscores (optionally schema.table)")
    }

    // MARK: Schema

    var createTable: String { #"CREATE TABLE IF NOT EXISTS \#(table) (key TEXT COLLATE "C" PRIMARY KEY, value BYTEA NOT NULL)"# }

    var createHATable: String {
        """
        CREATE TABLE IF NOT EXISTS \(haTable) (ha_key TEXT PRIMARY KEY, ha_identity TEXT NOT NULL, ha_value TEXT NOT NULL, \
        valid_until TIMESTAMPTZ NOT NULL, term BIGINT NOT NULL)
        """
    }

    /// One row per key a write committed under the HA lock changed, tagged with its transaction's id: standbys read
    /// the keys committed since the last transaction horizon they saw.
    var createChangesTable: String {
        """
        CREATE TABLE IF NOT EXISTS \(changesTable) (xid xid8 NOT NULL DEFAULT pg_current_xact_id(), key TEXT COLLATE "C" NOT NULL, \
        at TIMESTAMPTZ NOT NULL DEFAULT now())
        """
    }

    var createChangesIndex: String { "CREATE INDEX IF NOT EXISTS \(changesIndex) ON \(changesTable) (xid)" }

    // MARK: Change feed

    /// The horizon below which every transaction has ended (committed or not).
    var feedPosition: String { "SELECT pg_snapshot_xmin(pg_current_snapshot())::text" }

    /// `$1` the horizon last seen (text): the current horizon and the keys changed by transactions at or above it,
    /// at most `limit` of them (one row with a NULL key when none), from one snapshot: a transaction below the new
    /// horizon has ended, so its rows are in this answer or were in an earlier one.
    func changes(limit: Int) -> String {
        """
        SELECT pg_snapshot_xmin(pg_current_snapshot())::text, k.key FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (SELECT DISTINCT c.key FROM \(changesTable) c WHERE c.xid >= $1::text::xid8 LIMIT \(limit)) AS k ON true
        """
    }

    /// `$1` age in microseconds.
    var pruneChanges: String { "DELETE FROM \(changesTable) WHERE at < now() - $1::bigint * interval '1 microsecond'" }

    // MARK: Reads

    /// `$1` key.
    var get: String { "SELECT value FROM \(table) WHERE key = $1" }

    /// The keys that name the immediate children of `$1` (the prefix), one per child, in one round trip: a recursive
    /// walk of the key index from `$1` up to `$2` (the prefix's successor) that, after each key inside a child folder,
    /// jumps past that folder's whole subtree (`folder/` → `folder0`, the next string in byte order).
    func list(bounded: Bool) -> String {
        let upper = bounded ? " AND t.key < $2" : ""
        let rest = "substr(w.k, char_length($1) + 1)"
        return """
            WITH RECURSIVE walk(k) AS (
              SELECT (SELECT t.key FROM \(table) t WHERE t.key >= $1\(upper) ORDER BY t.key LIMIT 1)
              UNION ALL
              SELECT (SELECT t.key FROM \(table) t
                      WHERE t.key > w.k\(upper)
                        AND t.key >= (CASE WHEN strpos(\(rest), '/') > 0
                                          THEN left(w.k, char_length($1) + strpos(\(rest), '/') - 1) || '0'
                                          ELSE w.k END) COLLATE "C"
                      ORDER BY t.key LIMIT 1)
              FROM walk w WHERE w.k IS NOT NULL
            )
            SELECT k FROM walk WHERE k IS NOT NULL
            """
    }

    // MARK: Writes

    /// The fence check of a write under a held lock, as the CTE `f` (one row while the lock has identity `$i` and term
    /// `$t`). `FOR SHARE` holds the row until the write commits, so a takeover (an UPDATE of that row) waits for it.
    func fence(identity: Int, term: Int) -> String {
        "f AS MATERIALIZED (SELECT 1 FROM \(haTable) WHERE ha_key = 'core' AND ha_identity = $\(identity) AND term = $\(term) FOR SHARE)"
    }

    private var upsertTail: String { "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value" }

    /// `$1` key, `$2` value; fenced: `$3` identity, `$4` term, one row: 1 when the fence held (and the write was
    /// applied), 0 when it did not.
    func put(fenced: Bool) -> String {
        guard fenced else { return "INSERT INTO \(table) (key, value) VALUES ($1, $2) \(upsertTail)" }
        return """
            WITH \(fence(identity: 3, term: 4)),
            w AS (INSERT INTO \(table) (key, value) SELECT $1::text, $2::bytea FROM f WHERE true \(upsertTail)),
            c AS (INSERT INTO \(changesTable) (key) SELECT $1::text FROM f)
            SELECT count(*) FROM f
            """
    }

    /// `$1` key; fenced as ``put(fenced:)`` with `$2` identity, `$3` term.
    func delete(fenced: Bool) -> String {
        guard fenced else { return "DELETE FROM \(table) WHERE key = $1" }
        return """
            WITH \(fence(identity: 2, term: 3)),
            w AS (DELETE FROM \(table) WHERE key = $1 AND EXISTS (SELECT 1 FROM f)),
            c AS (INSERT INTO \(changesTable) (key) SELECT $1::text FROM f)
            SELECT count(*) FROM f
            """
    }

    /// A transaction as one statement (atomic on its own): `$1` the keys to delete, `$2`/`$3` the keys and values to
    /// upsert (disjoint from `$1`, no key twice); fenced as ``put(fenced:)`` with `$4` identity, `$5` term.
    func batch(fenced: Bool) -> String {
        let guardClause = fenced ? " AND EXISTS (SELECT 1 FROM f)" : ""
        let deletes = "d AS (DELETE FROM \(table) WHERE key = ANY($1::text[])\(guardClause))"
        let upserts = """
            INSERT INTO \(table) (key, value) SELECT x.k, x.v FROM unnest($2::text[], $3::bytea[]) AS x(k, v) \
            WHERE true\(guardClause) \(upsertTail)
            """
        guard fenced else { return "WITH \(deletes) \(upserts)" }
        let changes = """
            c AS (INSERT INTO \(changesTable) (key) SELECT x.k FROM (SELECT unnest($1::text[]) UNION ALL SELECT unnest($2::text[])) AS x(k) \
            WHERE EXISTS (SELECT 1 FROM f))
            """
        return "WITH \(fence(identity: 4, term: 5)), \(deletes), w AS (\(upserts)), \(changes) SELECT count(*) FROM f"
    }

    // MARK: HA

    /// `$1` identity, `$2` value, `$3` ttl in microseconds; returns the term when this identity holds the lock now.
    var acquireLock: String {
        """
        INSERT INTO \(haTable) AS t (ha_key, ha_identity, ha_value, valid_until, term)
        VALUES ('core', $1, $2, now() + $3::bigint * interval '1 microsecond', 1)
        ON CONFLICT (ha_key) DO UPDATE SET
          ha_identity = EXCLUDED.ha_identity, ha_value = EXCLUDED.ha_value, valid_until = EXCLUDED.valid_until,
          term = CASE WHEN t.ha_identity = EXCLUDED.ha_identity AND t.valid_until >= now() THEN t.term ELSE t.term + 1 END
        WHERE t.valid_until < now() OR t.ha_identity = EXCLUDED.ha_identity
        RETURNING term
        """
    }

    /// `$1` identity, `$2` term, `$3` ttl in microseconds; one row when renewed. A released lock (valid until
    /// `-infinity`) is not renewed; one whose lease lapsed but that nobody took (same term) is.
    var renewLock: String {
        """
        UPDATE \(haTable) SET valid_until = now() + $3::bigint * interval '1 microsecond'
        WHERE ha_key = 'core' AND ha_identity = $1 AND term = $2 AND valid_until > '-infinity'
        RETURNING term
        """
    }

    /// `$1` identity, `$2` term: the lease ends at once (the term stays, so the next holder's is higher).
    var releaseLock: String {
        "UPDATE \(haTable) SET valid_until = '-infinity' WHERE ha_key = 'core' AND ha_identity = $1 AND term = $2"
    }

    var lockHolder: String { "SELECT ha_identity, ha_value, term, valid_until > now() FROM \(haTable) WHERE ha_key = 'core'" }
}
