extension String {
    /// The path's segments, split on the `/` byte. `split(separator: "/")` compares Characters, and a combining mark
    /// after a slash (`a/\u{301}b`) makes one Character of the two, so that split would see one segment where storage,
    /// OpenBao and every byte-wise check see two. Routing, policy matching and canonical-path checks use this one.
    public func pathSegments(omittingEmpty: Bool = false) -> [Substring] {
        self[...].pathSegments(omittingEmpty: omittingEmpty)
    }
}

extension Substring {
    /// The segments of this part of a path, split on the `/` byte (see `String.pathSegments`).
    public func pathSegments(omittingEmpty: Bool = false) -> [Substring] {
        // A loop over the bytes: `utf8.split` and a Substring made from each UTF-8 slice cost twice as much, and
        // every routed request splits its path.
        var out: [Substring] = []
        let bytes = utf8
        var start = bytes.startIndex
        var i = start
        while i != bytes.endIndex {
            if bytes[i] == UInt8(ascii: "/") {
                if !omittingEmpty || start != i { out.append(self[start..<i]) }
                bytes.formIndex(after: &i)
                start = i
            } else {
                bytes.formIndex(after: &i)
            }
        }
        if !omittingEmpty || start != bytes.endIndex { out.append(self[start..<bytes.endIndex]) }
        return out
    }
}
