import ArgumentParser
import Foundation
import Hummingbird
import LLaVA
import LLaVAConversion
import PyramidDrop
import Serving
import Transformer

/// `pdrop serve`: an OpenAI-compatible chat-completions server over one loaded model.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve a LLaVA model over the OpenAI chat-completions API.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "Default token policy (as run's --policy); a request's \"pdrop\" object may choose another.")
    var policy = "pdrop"

    @Option(help: "Default budget of the budgeted policies.")
    var budget: Int?

    @Flag(help: "Rank each image of a request on its own by default.")
    var perImageBudget = false

    @Option(help: "Requests generating at once (their decode steps interleave).")
    var parallel = 1

    @Option(help: "Requests that may wait; more get 429.")
    var maxQueue = 16

    @Option(help: "Largest request body, e.g. 20MB.")
    var maxBody = "20MB"

    @Option(help: "Largest decoded image, in pixels.")
    var maxImagePixels = 40_000_000

    @Option(help: "Upper bound on generated tokens per request (and the default).")
    var maxNewTokens = 512

    @Option(help: "Image cache size in MB (projected features and tower evidence by image content; 0 turns it off).")
    var imageCacheMb = 512

    @Option(help: "Require 'Authorization: Bearer KEY'.")
    var apiKey: String?

    @Option(help: "Allow image paths and file:// URLs under this folder (default: none).")
    var allowFiles: String?

    @OptionGroup var computeOptions: ComputeOptions

    func validate() throws {
        guard parallel >= 1, maxQueue >= 0, maxNewTokens >= 1, maxImagePixels >= 1, (0...(1 << 30)).contains(imageCacheMb) else {
            throw ValidationError("--parallel, --max-new-tokens and --max-image-pixels must be ≥ 1, --max-queue and --image-cache-mb ≥ 0")
        }
        do { _ = try ShardSize(parsing: maxBody) } catch { throw ValidationError("--max-body: \(error)") }
        do { try PolicyRequest(policy, budget: budget).validate() } catch { throw ValidationError("--policy: \(error)") }
    }

    func run() async throws {
        try computeOptions.apply()
        let pipeline = try modelOptions.pipeline(compute: computeOptions.compute)
        var settings = ChatService.Settings(modelName: URL(fileURLWithPath: modelOptions.model).lastPathComponent, policy: PolicyRequest(policy, budget: budget))
        settings.perImageBudget = perImageBudget
        settings.maxNewTokens = maxNewTokens
        settings.imageCacheBytes = imageCacheMb << 20
        settings.imageLoader = ImageLoader(allowedDirectory: allowFiles, decoder: ModelLoading.imageDecoder(for: pipeline.model, pixelLimit: maxImagePixels))
        let queue = GenerationQueue(parallel: parallel, maxQueue: maxQueue)
        let service = ChatService(pipeline: pipeline, settings: settings, queue: queue)
        let app = Application(router: ChatRoutes(service: service, apiKey: apiKey, maxBody: try ShardSize(parsing: maxBody).bytes).router,
                              configuration: .init(address: .hostname(host, port: port)))
        FileHandle.standardError.write(Data("[pdrop] serving \(settings.modelName) on http://\(host):\(port)\n".utf8))
        try await app.runService()
        queue.close(deadline: Date().addingTimeInterval(30))
    }
}
