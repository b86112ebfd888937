import CofferSDK
import Foundation

/// A byte trie answering "longest stored prefix of this path" in one walk.
struct PrefixTrie: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int] = [:]
        var value: Int?
    }

    private var nodes: [Node] = [Node()]

    mutating func insert(_ key: String, value: Int) {
        var node = 0
        for byte in key.utf8 {
            if let next = nodes[node].children[byte] {
                node = next
            } else {
                nodes.append(Node())
                nodes[node].children[byte] = nodes.count - 1
                node = nodes.count - 1
            }
        }
        nodes[node].value = value
    }

    func longestPrefix(of path: String) -> Int? {
        var node = 0
        var best = nodes[0].value
        for byte in path.utf8 {
            guard let next = nodes[node].children[byte] else { break }
            node = next
            if let v = nodes[node].value { best = v }
        }
        return best
    }
}
