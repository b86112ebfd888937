extension String {
    /// The path's segments, split on the `/` byte. `split(separator: "/")` compares Characters, and a combining mark
    /// after a slash (`a/\u{301}b`) makes one Character of the two, so that split would see one segment where storage,
    /// OpenBao and every byte-wise check see two. Routing, policy matching and canonical-path checks use this one.
    public func pathSegments(omittingEmpty: Bool = false) -> [Substring] {
        utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: omittingEmpty).map { Substring($0) }
    }
}
