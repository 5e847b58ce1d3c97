import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PagodaEngine

/// An OpenAI-compatible server's address and key, and the requests the chat makes of it.
/// Every failure becomes a `RemoteError` whose message names the server and the problem.
struct RemoteServer: Sendable {
    /// The server's root (`http://host:port`), without `/v1`.
    let root: String
    /// Where the OpenAI API is (`root` + `/v1`).
    let api: String
    let apiKey: String?
    let client: HTTPClient

    /// Bodies of probes and errors are read up to this size; a larger one is refused.
    static let maxProbeBytes = 16 << 20

    /// The client every request goes through, for the life of the process. Its connect
    /// timeout bounds how long a server that refuses or does not answer holds a turn (the
    /// client keeps retrying a refused connection until then).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                   configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(3))))

    /// `url` as the user gave it: `http://host:8080`, `http://host:8080/v1`, with or without
    /// a final slash. Throws for anything that is not an http(s) URL with a host.
    init(url: String, apiKey: String?, client: HTTPClient = RemoteServer.client) throws {
        var text = url.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty else {
            throw RemoteError("--remote wants an http:// or https:// URL with a host, such as http://127.0.0.1:8080/v1, not '\(UntrustedText.escaped(url))'")
        }
        if text.hasSuffix("/v1") { text.removeLast(3) }
        root = text
        api = text + "/v1"
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.client = client
    }

    /// `host:port` as shown to the user.
    var address: String { root.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "") }

    func request(_ url: String, method: HTTPMethod = .GET, json: Data? = nil) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: url)
        r.method = method
        if let apiKey { r.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let json {
            r.headers.add(name: "Content-Type", value: "application/json")
            r.body = .bytes(ByteBuffer(bytes: json))
        }
        return r
    }

    /// A GET's status and body (read whole, up to `maxProbeBytes`), within `timeout`.
    func get(_ path: String, from base: String? = nil, timeout: TimeAmount = .seconds(5)) async throws -> (status: Int, body: Data) {
        let url = (base ?? root) + path
        do {
            let response = try await client.execute(request(url), timeout: timeout)
            let body = try await response.body.collect(upTo: Self.maxProbeBytes)
            return (Int(response.status.code), Data(buffer: body))
        } catch let error as RemoteError {
            throw error
        } catch {
            throw RemoteError.unreachable(url, error)
        }
    }
}

/// A problem talking to the server, in one line for the conversation.
struct RemoteError: Error, CustomStringConvertible, Equatable {
    let description: String
    init(_ description: String) { self.description = description }

    /// The request did not get an answer: refused, timed out, a name that does not resolve.
    static func unreachable(_ url: String, _ error: any Error) -> RemoteError {
        RemoteError("cannot reach \(UntrustedText.escaped(url)): \(reason(error))")
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "the connection timed out"
            case .deadlineExceeded, .readTimeout: return "no answer in time"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .cancelled: return "cancelled"
            default: break
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused (is the server running?)" }
        if text.contains("NXDOMAIN") || text.contains("lookup") || text.contains("resolve") { return "the host name does not resolve" }
        return UntrustedText.escaped(text)
    }

    /// A non-200 answer: the server's own message (OpenAI's `error.message`, Ollama's
    /// `error` string) with what the status means for the user.
    static func status(_ status: Int, body: Data, model: String?) -> RemoteError {
        let message = serverMessage(body).map { UntrustedText.escaped($0, limit: 300) }
        let said = message.map { ": \($0)" } ?? ""
        switch status {
        case 401, 403:
            return RemoteError("the server refused the request (\(status))\(said); give its key with --api-key")
        case 404:
            let what = model.map { "model '\(UntrustedText.escaped($0))' not found" } ?? "not found"
            return RemoteError("\(what) (404)\(said)")
        case 413:
            return RemoteError("the conversation is too large for the server (413)\(said)")
        default:
            return RemoteError("the server answered \(status)\(said)")
        }
    }

    /// The message in an error body, whatever shape the server uses.
    static func serverMessage(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
        if let error = object["error"] as? String { return error }
        if let message = object["message"] as? String { return message }
        if let detail = object["detail"] as? String { return detail }
        return nil
    }
}
