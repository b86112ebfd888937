/// Compares two byte arrays in time independent of where they differ (tokens, MACs, secret IDs): the one copy every
/// module uses.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in a.indices { diff |= a[i] ^ b[i] }
    return diff == 0
}
