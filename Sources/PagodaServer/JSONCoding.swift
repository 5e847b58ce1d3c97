import Foundation
import Hummingbird

/// OpenAI's wire format: snake_case keys both ways.
enum WireJSON {
    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func encode(_ value: some Encodable) -> Data {
        // Encoding these plain structs cannot fail.
        (try? encoder().encode(value)) ?? Data("{}".utf8)
    }

    /// A JSON response with `status`.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: encode(value))))
    }

    /// Decodes a request body, with a message naming the field that is wrong.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try decoder().decode(T.self, from: data)
        } catch let error as APIError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw APIError.invalid("'\(path(context.codingPath + [key]))' is required", param: path(context.codingPath + [key]))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw APIError.invalid("'\(path(context.codingPath))' has the wrong type: \(context.debugDescription)", param: path(context.codingPath))
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw APIError.invalid("the body is not valid JSON\(context.codingPath.isEmpty ? "" : " at '\(path(context.codingPath))'")"
                                   + (underlying.map { ": \($0)" } ?? ""), param: nil)
        } catch {
            throw APIError.invalid("the body could not be read: \(error)", param: nil)
        }
    }

    /// `messages[0].content`, in the request's own snake_case.
    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + snakeCase(key.stringValue) }
        }
        return out
    }

    private static func snakeCase(_ s: String) -> String {
        var out = ""
        for c in s {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}

extension APIError: HTTPResponseError {
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var r = WireJSON.response(body, status: status)
        if status == .serviceUnavailable { r.headers[.retryAfter] = "1" }
        if status == .unauthorized { r.headers[.wwwAuthenticate] = "Bearer" }
        return r
    }
}
