import Serving

/// Paths under Tests/Fixtures and request-body helpers.
enum ServingFixtures {
    static let fixtures: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Fixtures"
    }()

    /// The parse error of `body`, or nil if it parses.
    static func error(_ body: String) -> APIError? {
        do { _ = try ChatCompletionRequest(body: Array(body.utf8)); return nil } catch { return error }
    }

    /// A request whose one user message says hi, with `extra` top-level members (`"n": 2`).
    static func body(_ extra: String = "") -> String {
        #"{"messages": [{"role": "user", "content": "hi"}]"# + (extra.isEmpty ? "" : ", " + extra) + "}"
    }
}
