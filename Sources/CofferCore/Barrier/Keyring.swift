import CofferSDK
import Crypto
import Foundation

/// One encryption key of the barrier with the term that names it in every ciphertext.
public struct KeyTerm: Sendable {
    public var term: UInt32
    public var key: SymmetricKey
    public var installTime: Date
}

/// The keyring: every term ever installed (old terms still decrypt), the active term, and the root key that
/// encrypts the keyring itself.
public struct Keyring: Sendable {
    public var rootKey: SymmetricKey
    public var terms: [UInt32: KeyTerm]
    public var activeTerm: UInt32

    public var active: KeyTerm {
        // The active term is always present by construction.
        terms[activeTerm] ?? KeyTerm(term: 0, key: SymmetricKey(size: .bits256), installTime: Date())
    }

    static func fresh(rootKey: SymmetricKey, now: Date) -> Keyring {
        Keyring(rootKey: rootKey, terms: [1: KeyTerm(term: 1, key: SymmetricKey(size: .bits256), installTime: now)], activeTerm: 1)
    }

    func rotated(now: Date) -> Keyring {
        var copy = self
        let next = (terms.keys.max() ?? 0) + 1
        copy.terms[next] = KeyTerm(term: next, key: SymmetricKey(size: .bits256), installTime: now)
        copy.activeTerm = next
        return copy
    }

    func serialized() -> Data {
        var keys: [JSONValue] = []
        for t in terms.values.sorted(by: { $0.term < $1.term }) {
            keys.append([
                "term": .int(Int64(t.term)),
                "key": .string(t.key.withUnsafeBytes { Data($0).base64EncodedString() }),
                "install_time": .string(formatVaultTime(t.installTime)),
            ])
        }
        let v: JSONValue = [
            "active_term": .int(Int64(activeTerm)),
            "root_key": .string(rootKey.withUnsafeBytes { Data($0).base64EncodedString() }),
            "keys": .array(keys),
        ]
        return v.serializedData()
    }

    static func deserialize(_ data: Data) throws -> Keyring {
        let v = try JSONValue.parse(data)
        guard let active = v["active_term"]?.intValue, let rk = v["root_key"]?.stringValue, let rkData = Data(base64Encoded: rk),
            let keys = v["keys"]?.arrayValue
        else { throw BarrierError.corrupt("keyring is malformed") }
        var terms: [UInt32: KeyTerm] = [:]
        for k in keys {
            guard let term = k["term"]?.intValue, let kb = k["key"]?.stringValue, let kd = Data(base64Encoded: kb) else {
                throw BarrierError.corrupt("keyring entry is malformed")
            }
            let install = k["install_time"]?.stringValue.flatMap(parseVaultTime) ?? Date(timeIntervalSince1970: 0)
            terms[UInt32(term)] = KeyTerm(term: UInt32(term), key: SymmetricKey(data: kd), installTime: install)
        }
        guard terms[UInt32(active)] != nil else { throw BarrierError.corrupt("keyring has no active term") }
        return Keyring(rootKey: SymmetricKey(data: rkData), terms: terms, activeTerm: UInt32(active))
    }
}
