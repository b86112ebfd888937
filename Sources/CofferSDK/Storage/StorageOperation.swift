import Foundation

/// One write in a ``LogicalStorage/transaction(_:)`` or ``PhysicalBackend/transaction(_:)``.
public enum StorageOperation: Sendable, Hashable {
    case put(String, Data)
    case delete(String)

    public var key: String {
        switch self {
        case .put(let k, _), .delete(let k): return k
        }
    }
}
