import WeightIO

/// An error as the OpenAI API reports it: an HTTP status and the body
/// `{"error": {"message", "type", "param", "code"}}`.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    public var message: String
    /// The error's class (`invalid_request_error`, `authentication_error`, …).
    public var type: String
    /// The request field at fault, as a path (`messages[1].content[0].image_url.url`), if any.
    public var param: String?
    /// A machine-readable code (`unsupported_parameter`, `invalid_type`, …), if any.
    public var code: String?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// 400: the request is malformed or asks for what the server cannot do.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 401: no or a wrong API key.
    public static func unauthorized(_ message: String = "missing or incorrect API key (send Authorization: Bearer KEY)") -> APIError {
        APIError(status: 401, message: message, type: "authentication_error", code: "invalid_api_key")
    }

    /// 404: an unknown route or model.
    public static func notFound(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 404, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 413: the body is larger than the server accepts.
    public static func tooLarge(limit: Int) -> APIError {
        APIError(status: 413, message: "the request body exceeds the limit of \(limit) bytes", type: "invalid_request_error",
                 code: "request_too_large")
    }

    /// 429: the queue is full.
    public static func rateLimited(_ message: String = "the server's queue is full; retry later") -> APIError {
        APIError(status: 429, message: message, type: "rate_limit_error", code: "rate_limit_exceeded")
    }

    /// 500: the server failed.
    public static func serverError(_ message: String) -> APIError {
        APIError(status: 500, message: message, type: "server_error")
    }

    /// 503: the server is not ready (model loading) or is shutting down.
    public static func unavailable(_ message: String) -> APIError {
        APIError(status: 503, message: message, type: "server_error", code: "service_unavailable")
    }

    /// The body object.
    public var json: JSON {
        .object(["error": .object(["message": .string(message), "type": .string(type),
                                   "param": param.map(JSON.string) ?? .null, "code": code.map(JSON.string) ?? .null])])
    }

    /// The body as JSON text.
    public var body: String { json.serialized() }

    public var description: String { "\(status) \(type)\(param.map { " (\($0))" } ?? ""): \(message)" }
}
