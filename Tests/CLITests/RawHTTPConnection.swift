import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One loopback TCP connection speaking HTTP/1.1 by hand, for what URLSession hides: several
/// requests sent before any answer is read, a streamed answer read piece by piece, and a client
/// that goes away mid-stream.
final class RawHTTPConnection {
    private let fd: Int32
    /// Bytes received so far.
    private(set) var received: [UInt8] = []
    /// `received` as text.
    var text: String { String(decoding: received, as: UTF8.self) }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int, timeoutSeconds: Int = 60) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends a POST of `body` to `path`.
    func post(_ path: String, body: String) throws {
        let bytes = Array(body.utf8)
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let message = Array(head.utf8) + bytes
        var sent = 0
        while sent < message.count {
            let n = message[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
    }

    /// Reads what has arrived into `received`; false once the server closed the connection.
    private func readMore() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw Failure(description: "recv: errno \(errno) after \(received.count) bytes") }
        received += buffer[0..<n]
        return n > 0
    }

    /// Reads until `received` holds `marker` (or the server closes the connection); returns whether it does.
    @discardableResult
    func read(until marker: String) throws -> Bool {
        while !text.contains(marker) {
            guard try readMore() else { return false }
        }
        return true
    }

    /// Reads a whole response with a `Content-Length`: its status, headers (lowercased names) and body.
    func response() throws -> (status: Int, headers: [String: String], body: String) {
        try read(until: "\r\n\r\n")
        let end = Array("\r\n\r\n".utf8)
        let headEnd = (0...(received.count - end.count)).first { Array(received[$0..<($0 + end.count)]) == end }! + end.count
        let head = String(decoding: received[..<headEnd], as: UTF8.self)
        var headers: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "") ?? 0
        while received.count - headEnd < length, try readMore() {}
        let code = head.hasPrefix("HTTP/1.1 ") ? Int(head.dropFirst(9).prefix(3)) ?? 0 : 0
        return (code, headers, String(decoding: received[headEnd...], as: UTF8.self))
    }
}
