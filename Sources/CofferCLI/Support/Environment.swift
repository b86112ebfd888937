#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Environment lookups with the `COFFER_*` → `VAULT_*` → `BAO_*` fallback order.
enum Environment {
    static func get(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// The first non-empty value of `COFFER_<suffix>`, `VAULT_<suffix>`, `BAO_<suffix>`, and the variable it came from.
    static func lookup(_ suffix: String) -> (name: String, value: String)? {
        for prefix in ["COFFER_", "VAULT_", "BAO_"] {
            if let value = get(prefix + suffix), !value.isEmpty { return (prefix + suffix, value) }
        }
        return nil
    }

    /// Parses a boolean environment value like Go's `strconv.ParseBool`.
    static func bool(_ suffix: String) -> Bool {
        guard let value = lookup(suffix)?.value.lowercased() else { return false }
        return ["1", "t", "true", "yes", "y"].contains(value)
    }

    /// The user's home directory.
    static var home: String {
        if let home = get("HOME"), !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }
}
