import HTTPTypes

/// An error in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the
/// status it is sent with. Bad input is always a 4xx; a 500 means a fault of the server.
struct APIError: Error, Equatable {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?

    static func invalid(_ message: String, param: String?) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: nil)
    }

    static func contextTooLong(_ message: String, param: String?) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: "context_length_exceeded")
    }

    static let badKey = APIError(status: .unauthorized, message: "Incorrect API key provided: give it as 'Authorization: Bearer KEY'",
                                 type: "invalid_request_error", param: nil, code: "invalid_api_key")

    static func unknownModel(_ name: String, served: String) -> APIError {
        APIError(status: .notFound, message: "The model '\(name)' does not exist: this server serves '\(served)'",
                 type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body is larger than \(limit) bytes",
                 type: "invalid_request_error", param: nil, code: "request_too_large")
    }

    static func busy(waiting: Int) -> APIError {
        APIError(status: .serviceUnavailable, message: "The server is full (\(waiting) requests already wait); try again shortly",
                 type: "server_error", param: nil, code: "server_busy")
    }

    static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, message: "No such endpoint: \(path)", type: "invalid_request_error", param: nil, code: "not_found")
    }

    /// What the engine said when it could not run the request (a prompt longer than the
    /// context or the pool): the client's to fix, so a 400.
    static func engine(_ message: String) -> APIError {
        let tooLong = message.contains("context") || message.contains("KV cache is full")
        return APIError(status: .badRequest, message: message, type: "invalid_request_error", param: "messages",
                        code: tooLong ? "context_length_exceeded" : nil)
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encode(param, forKey: .param)  // null, as OpenAI sends it
                try c.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        var error: Detail
    }

    var body: Body { Body(error: .init(message: message, type: type, param: param, code: code)) }
}
