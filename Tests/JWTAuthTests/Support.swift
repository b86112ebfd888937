import CofferSDK
import Foundation
import JWTKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fixed RSA test key (generated for these tests only).
let testRSAPrivateKeyPEM = """
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCqeTJR0G4EBDpe
q1gSSfQwYLYS9B7qtWWBrtzrOTlBI3ZJd+iyUXjVqIyVjXynXDbf7BLaoDZd3QPE
/cGsWHYDwxeYtvxWIVwSK9ixhpGgzkN/hd3eOCw9AaADkP2xvHTtyuWnwErvPCyF
4CrCeHS+xsKbC7g3zRnHrQTGjPOnhDvW2apWjESwEAzGdCjO6Kdg0SGFqyg04mDb
aFTUG4LFnTMNP1irBs2THCjDZZsuYy+euCYbfLx9I13gdBLpQr0fCzoQ5fAs+tlr
Svsm4AXC+e3JE2EjSZiMLQFOMVYpcMRGwwiKqd56/w8GOwTCvh5bcDWbIrT401dd
Ir+OLF8HAgMBAAECggEABZvn6vHiXMwi0NtEZ5L6r4jPFNU8Gy7iwHSXcj83bLbq
Um/ZPodtuWH1VjUJ5UZ5y75XFHhxsX7vJnvO895pQPsZ+1Kx/3Io4bQtn2cKbZxm
c3tdGc2xWZnZwPmepKAgch6F6zy+z8ZOv2I+e0LpXHQ/vPLoGctBeOTEI8r0Irkq
Wk4XS/QJnmf9Kh5mcWSHmbcCrcpDddiF9BYbt5pGxT9V0mRKuHrgsKC3ylUFY3hx
Fm3amJnO1fi2ZyPubxqyre61O+trbN9zKbZuTV1/L9EIe8jeSzrv0m8o07emq6vd
VOIhuTzVUg7NBP1pOoH0RbBf/bKwjepl9kMML5NzgQKBgQDWnyYQONjixMiN5kvO
K+D2RHqOZe2LVBlmd6SaD77NgCr/LXt6nywY+hZvUKfcaRLu2J68mWUEmbjBFh68
UfvJOMy3qlhHPJepvWwwG+vzBlDDTEv/LN21AZRoN3+Z6QAixKhSHGHWClhA5VP+
1RQwwnaTZxkcW9BgsgufP7/WwQKBgQDLVxHz3PVm7ogC9WuuR6iO7gtCawQaUAcX
rkYbhMS94CpURwm9lWtdjjXBokqKb54lcagcU2NAZyuRNny5hSMLuhLrWpBtvfxe
1NGxTgO34QCqpcZOC6UbDu57ES0ofHLi364NIbhQwORVI1gtUEJFpqt5g2FhI4bq
Zr77ll8vxwKBgAlqQ+Y0SDdygIXRE4RA4oaLLIEwsYIKN28KUps7k5g6RiiZmzAe
6XVTC0bo1+RQa7c0o4oMhKT2BWfbC5AhXJVQO5LXEzZUzyZwG93ka65mmYZnw3G3
SyaUoikMPjnHQe1EiUnI2vXj0ElQhiXIvTECZudCf5SB5ptHVEExL75BAoGAFq1u
PiE9aS5fEt1mFfi97rrTnKOswHZ+ZAC2pukGvBpc/isyBee9IqDyk9bSs1/BZnGn
iwktv4gCDt7hyBr2Dp/A7miaRPL0S2s2u6x0s7QvS9jTJe8cicj/hdAjlilS8sR5
d9Nz5+WrUWdwtRUHXxc4doPVf2zj5g5xbEOX+A8CgYAT+MgJbGWYmCouIZVesIVy
LTbCRhBAGDYz6emZMusVwjnAdSfv6Oycv3sZMbksVYrruuLy/6BNpVEADCA9l9Vb
UxflT/PYmg6oPnB9/yGXiX75DcMKjS9laGPoX655st6sSd+13hGzjCpWb8BLb+xe
wZprRbXygHcWYuGfUzZsDw==
-----END PRIVATE KEY-----
"""

/// Storage for one mount, in memory.
actor MemoryStorage: LogicalStorage {
    var items: [String: Data] = [:]
    func get(_ key: String) async throws -> Data? { items[key] }
    func put(_ key: String, _ value: Data) async throws { items[key] = value }
    func delete(_ key: String) async throws { items.removeValue(forKey: key) }
    func list(prefix: String) async throws -> [String] {
        var out: Set<String> = []
        for k in items.keys where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            if let slash = rest.firstIndex(of: "/") { out.insert(String(rest[...slash])) } else { out.insert(String(rest)) }
        }
        return out.sorted()
    }
    func transaction(_ operations: [StorageOperation]) async throws {
        for op in operations {
            switch op {
            case .put(let k, let v): items[k] = v
            case .delete(let k): items.removeValue(forKey: k)
            }
        }
    }
}

/// Arbitrary claims for signing test tokens.
struct TestClaims: JWTPayload {
    var values: [String: JSONValue]
    init(_ values: [String: JSONValue]) { self.values = values }
    init(from decoder: any Decoder) throws { values = try [String: JSONValue](from: decoder) }
    func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// A tiny HTTP/1.1 server on 127.0.0.1 that serves canned responses by path, one connection at a time.
final class TestHTTPServer: @unchecked Sendable {
    private let lock = NSLock()
    private var routes: [String: (Int, String)] = [:]
    private var hits: [String: Int] = [:]
    private var fd: Int32 = -1
    private(set) var port: UInt16 = 0
    private var thread: Thread?
    private var stopped = false

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        let t = Thread { [self] in self.serve() }
        thread = t
        t.start()
    }

    func set(_ path: String, status: Int = 200, body: String) {
        lock.lock()
        routes[path] = (status, body)
        lock.unlock()
    }

    func hitCount(_ path: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return hits[path] ?? 0
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                lock.lock()
                let s = stopped
                lock.unlock()
                if s { return }
                continue
            }
            handle(c)
            close(c)
        }
    }

    private func handle(_ c: Int32) {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(c, &buf, buf.count)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
            if let text = String(bytes: data, encoding: .utf8), let headerEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headerEnd.lowerBound].lowercased()
                var length = 0
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                if text.utf8.count - text.distance(from: text.startIndex, to: headerEnd.upperBound) >= length { break }
            }
        }
        let text = String(decoding: data, as: UTF8.self)
        let firstLine = text.split(separator: "\r\n").first ?? ""
        let parts = firstLine.split(separator: " ")
        var path = parts.count > 1 ? String(parts[1]) : "/"
        if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
        lock.lock()
        let route = routes[path]
        hits[path, default: 0] += 1
        lock.unlock()
        let (status, body) = route ?? (404, "not found")
        let bytes = Array(body.utf8)
        let header =
            "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Not Found")\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let out = Array(header.utf8) + bytes
        var off = 0
        while off < out.count {
            let n = out[off...].withUnsafeBufferPointer { write(c, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            off += n
        }
    }
}
