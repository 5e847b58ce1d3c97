import Hummingbird

/// Refuses a request without `Authorization: Bearer <key>` (401), `/health` excepted. The
/// key is compared in time independent of where it differs.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        let given = request.headers[.authorization].flatMap { value -> String? in
            let prefix = "Bearer "
            return value.hasPrefix(prefix) ? String(value.dropFirst(prefix.count)) : nil
        }
        guard let given, Self.same(given, key) else { throw APIError.badKey }
        return try await next(request, context)
    }

    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
