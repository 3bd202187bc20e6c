// swift-tools-version:6.0
import Foundation
import PackageDescription

let package = Package(
    name: "PyramidDropSwift",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "WeightIO", targets: ["WeightIO"]),
        .library(name: "PyramidDrop", targets: ["PyramidDrop"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "LLaVA", targets: ["LLaVA"]),
        .library(name: "LLaVANeXT", targets: ["LLaVANeXT"]),
        .library(name: "LLaVAConversion", targets: ["LLaVAConversion"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Serving", targets: ["Serving"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .executable(name: "pdrop", targets: ["pdrop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // System libraries (Debian -dev packages, found through pkg-config).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJSON", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        // oneDNN 2.6 (Debian libdnnl-dev, no pkg-config file): bf16 matmul on the CPU's bf16 units.
        .systemLibrary(name: "COneDNN", providers: [.apt(["libdnnl-dev"])]),
        // cairo (Debian libcairo2-dev): the evaluation report's plot, as PNG and SVG.
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        // libjpeg-turbo (Debian libjpeg62-turbo-dev) behind a setjmp-safe C wrapper.
        .target(name: "CJPEGDecode", linkerSettings: [.linkedLibrary("jpeg")]),
        // stb_image / stb_image_write (Debian libstb-dev's headers), compiled with bounded allocations.
        .target(name: "CStb"),

        // CPU kernels for 16-bit weights (runtime dispatch to AVX2/F16C/FMA).
        .target(name: "CKernels"),
        // The memory-bandwidth yardstick of `pdrop bench` (a streaming sum, fast in debug builds too).
        .target(name: "CStreamRead"),

        // Library modules.
        .target(name: "Tensors", dependencies: ["CBLAS", "CKernels", "COneDNN"]),
        .target(name: "WeightIO", dependencies: ["Tensors", "CJSON", "CKernels"]),
        .target(name: "PyramidDrop", dependencies: ["Tensors"]),
        .target(name: "Transformer", dependencies: ["CKernels", "Tensors", "WeightIO", "PyramidDrop"]),
        .target(name: "Tokenizer", dependencies: ["WeightIO", "CJSON"]),
        .target(name: "Imaging", dependencies: ["Tensors", "CStb", "CJPEGDecode"]),

        // Model adapters: the only place that knows checkpoint layouts.
        .target(name: "LLaVA", dependencies: ["Tensors", "WeightIO", "PyramidDrop", "Transformer", "Tokenizer", "Imaging"],
                path: "adapters/LLaVA"),
        .target(name: "LLaVANeXT", dependencies: ["Tensors", "Imaging", "PyramidDrop", "Transformer", "LLaVA"], path: "adapters/LLaVANeXT"),
        // Checkpoint conversion between the LLaVA layouts, dtypes and shard sizes.
        .target(name: "LLaVAConversion", dependencies: ["Tensors", "WeightIO", "Transformer", "Tokenizer", "Imaging", "LLaVA"],
                path: "adapters/LLaVAConversion"),

        // The server's protocol layer: OpenAI chat-completions requests, errors, images, responses.
        .target(name: "Serving", dependencies: ["WeightIO", "Imaging", "PyramidDrop", "Transformer", "Tokenizer", "LLaVA"]),

        // Evaluation over a dataset: samples, metrics, shards, resumable results, the report.
        .target(name: "Evaluation", dependencies: ["WeightIO", "CCairo"]),

        // The command-line tool.
        .executableTarget(name: "pdrop", dependencies: [
            "CBLAS", "CStreamRead", "Tensors", "WeightIO", "PyramidDrop", "Transformer", "Tokenizer", "Imaging", "LLaVA", "LLaVANeXT", "LLaVAConversion",
            "Serving", "Evaluation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // Examples: small programs that read like documentation (run by .ci/run).
        .executableTarget(name: "WrapModel", dependencies: ["Tensors", "WeightIO", "PyramidDrop", "Transformer", "Tokenizer"], path: "examples/WrapModel"),
        .executableTarget(name: "KeptTokens", dependencies: ["Imaging", "LLaVA", "LLaVANeXT", "PyramidDrop", "Tokenizer", "Transformer", "WeightIO"],
                          path: "examples/KeptTokens"),
        .executableTarget(name: "CustomPolicy", dependencies: ["Imaging", "LLaVA", "PyramidDrop", "Tensors", "Tokenizer", "Transformer"],
                          path: "examples/CustomPolicy"),
        .executableTarget(name: "ConvertWeights", dependencies: ["LLaVA", "LLaVAConversion", "Tensors"], path: "examples/ConvertWeights"),

        // Tests.
        .target(name: "TestSupport", dependencies: ["Tensors", "WeightIO", "Transformer"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "WeightIO", "TestSupport"]),
        .testTarget(name: "WeightIOTests", dependencies: ["Tensors", "WeightIO", "TestSupport"]),
        .testTarget(name: "PyramidDropTests", dependencies: ["PyramidDrop", "Transformer", "TestSupport"]),
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "TestSupport", "WeightIO"]),
        .testTarget(name: "LLaVATests", dependencies: ["LLaVA", "LLaVAConversion", "LLaVANeXT", "Imaging", "Tokenizer", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "Tensors", "WeightIO"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Tensors", "WeightIO", "Imaging"]),
        .executableTarget(name: "tokenizer-bench", dependencies: ["Tokenizer"], path: "Benchmarks/TokenizerBench"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Tensors", "WeightIO"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "LLaVA", "PyramidDrop", "WeightIO"]),
        // The fuzz targets' parser entry points, and the replay of their regression inputs.
        .target(name: "FuzzTargets", dependencies: ["Tensors", "WeightIO", "Tokenizer", "Imaging", "Serving"], path: "Fuzz/Targets"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "Imaging", "Tokenizer"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "WeightIO", "Imaging", "TestSupport"]),
    ]
)

// The libFuzzer executable `pdrop-fuzz TARGET …` over the targets of Fuzz/Targets (scripts/fuzz.sh
// builds it with PDROP_FUZZ=1 and -sanitize=fuzzer,address). Absent from ordinary builds, which
// lack libFuzzer; the targets themselves are built always, for the regression replay in swift test.
if ProcessInfo.processInfo.environment["PDROP_FUZZ"] != nil {
    package.targets.append(.target(name: "CFuzzDriver", path: "Fuzz/Driver"))
    package.targets.append(.executableTarget(name: "pdrop-fuzz", dependencies: ["FuzzTargets", "CFuzzDriver"], path: "Fuzz/Main",
                                             swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
