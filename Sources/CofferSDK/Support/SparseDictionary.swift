extension Dictionary {
    /// A dictionary keeps its storage when entries are removed: after 20k tokens are created and revoked, the
    /// token cache still holds room for 20k entries. This gives the storage back once fewer than an eighth of
    /// the slots are used (and more than `floor` exist), at a cost proportional to what remains.
    public mutating func releaseCapacityIfSparse(floor: Int = 1024) {
        guard capacity > floor, count < capacity / 8 else { return }
        var smaller = Dictionary(minimumCapacity: Swift.max(count * 2, 16))
        for (k, v) in self { smaller[k] = v }
        self = smaller
    }
}
