import ArgumentParser
import LLaVA
import Tensors

/// `--model`, `--mmproj`, `--vision-tower`: where a command's LLaVA model comes from.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Model folder (llava-hf, newer transformers or original LLaVA layout; LLaVA-1.5, NeXT or OneVision), \
        a llama.cpp text-model .gguf (with --mmproj), or a folder holding one text-model .gguf and one mmproj .gguf.
        """))
    var model: String

    @Option(help: "The mmproj .gguf (CLIP vision tower and projector) of the text-model .gguf given as --model.")
    var mmproj: String?

    @Option(help: "The separate CLIP folder of an original LLaVA-1.5 checkpoint.")
    var visionTower: String?

    /// The model, its tokenizer and its image encoder.
    func pipeline(compute: ComputeMode) throws -> LLaVAPipeline {
        try ModelLoading.pipeline(model: model, mmproj: mmproj, visionTower: visionTower, compute: compute)
    }
}
