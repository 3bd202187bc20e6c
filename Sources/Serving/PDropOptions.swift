import PyramidDrop

/// The `pdrop` extension object of a request: the token policy for this request, spelled as the
/// command line's `--policy` and its settings. Anything not given falls back to the server's
/// defaults.
public struct PDropOptions: Sendable, Equatable {
    /// `--policy` (`pdrop`, `visionzip:64+pdrop`, …).
    public var policy: String?
    /// PyramidDrop's stage boundaries (`--layers`) and λ (`--ratio`).
    public var layers: [Int]?
    public var ratio: Double?
    /// Budget for the policies that take one (`--budget`).
    public var budget: Int?
    /// Rank each image on its own (`--per-image-budget`).
    public var perImageBudget: Bool?
    /// FastV's K and drop ratio (`--fastv-k`, `--fastv-ratio`).
    public var fastVK: Int?
    public var fastVRatio: Double?

    public init() {}

    /// Parses the `pdrop` object, checking the policy spelling (which needs no model).
    init(_ field: RequestField) throws(APIError) {
        try field.requireObject()
        policy = try field.member("policy")?.string()
        layers = try field.member("layers")?.array().map { (layer) throws(APIError) in
            let value = try layer.int()
            guard value >= 0 else { throw layer.invalid("expected a layer index ≥ 0") }
            return value
        }
        if let ratio = field.member("ratio") {
            self.ratio = try ratio.number()
            guard self.ratio! > 0, self.ratio! <= 1 else { throw ratio.invalid("expected a ratio in (0, 1]") }
        }
        if let budget = field.member("budget") {
            self.budget = try budget.int()
            guard self.budget! > 0 else { throw budget.invalid("expected a positive integer") }
        }
        perImageBudget = try field.member("per_image_budget")?.bool()
        if let k = field.member("fastv_k") {
            fastVK = try k.int()
            guard fastVK! >= 0 else { throw k.invalid("expected an integer ≥ 0") }
        }
        if let ratio = field.member("fastv_ratio") {
            fastVRatio = try ratio.number()
            guard fastVRatio! >= 0, fastVRatio! < 1 else { throw ratio.invalid("expected a ratio in [0, 1)") }
        }
        if let spelling = policy {
            do { try PolicyRequest(spelling, budget: budget).validate() } catch {
                throw field.member("policy")!.invalid("\(error)")
            }
        }
    }

    /// `base` (the server's policy) with this request's settings on top.
    public func request(over base: PolicyRequest) -> PolicyRequest {
        var request = base
        if let policy {
            // The server's budget belonged to its own policy; a policy named here takes only
            // this request's budget (else its default).
            request = PolicyRequest(policy, budget: budget)
            request.pdropLayers = base.pdropLayers
            request.pdropRatio = base.pdropRatio
            request.fastVK = base.fastVK
            request.fastVRatio = base.fastVRatio
            request.seed = base.seed
        } else if let budget {
            request.budget = budget
        }
        if let layers { request.pdropLayers = layers }
        if let ratio { request.pdropRatio = ratio }
        if let fastVK { request.fastVK = fastVK }
        if let fastVRatio { request.fastVRatio = fastVRatio }
        return request
    }

    /// The policy for a decoder of `layerCount` layers: `base` overridden by this request, wrapped
    /// in `PerImagePolicy` when asked (here, else `perImageDefault`). A setting the model cannot
    /// meet (a boundary past the last layer, a budget on a policy without one) is a 400 naming `pdrop`.
    public func makePolicy(over base: PolicyRequest, perImageDefault: Bool = false, layerCount: Int) throws(APIError) -> any TokenPolicy {
        do {
            let policy = try request(over: base).make(layerCount: layerCount)
            return perImageBudget ?? perImageDefault ? PerImagePolicy(policy) : policy
        } catch {
            throw .invalidRequest("'pdrop': \(error)", param: "pdrop", code: "invalid_value")
        }
    }
}
