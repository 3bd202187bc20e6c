@testable import PyramidDrop
import Tensors
import Testing

/// The settings of the policies: budgets as their official code counts them, the CPython set
/// order DART walks its pivots in, and one-line errors for settings that make no sense.
@Suite struct PolicySettingsTests {
    /// `list(set(values))` as CPython 3.11 printed it for each input.
    @Test(arguments: [
        ([3, 1, 2], [1, 2, 3]),
        ([40, 8, 16, 0, 33, 9, 17, 100], [0, 33, 100, 40, 8, 9, 16, 17]),
        ([635, 47, 335, 634, 700, 705, 690, 650], [705, 650, 335, 47, 690, 634, 635, 700]),
        ([5, 13, 21, 29, 37, 45], [37, 5, 13, 45, 21, 29]),
        ([1000, 2000, 8, 16, 24, 1024], [1024, 1000, 8, 16, 2000, 24]),
    ])
    func pythonSetOrder(values: [Int], expected: [Int]) {
        #expect(PythonSetOrder.iterationOrder(values) == expected)
    }

    /// VisionZip's official pairs for 64, 128 and 192, and Python's half-to-even rounding between.
    @Test func visionZipSplit() throws {
        for (budget, dominant, contextual) in [(64, 54, 10), (128, 108, 20), (192, 162, 30), (16, 14, 2), (48, 40, 8), (4, 3, 1)] {
            let policy = try VisionZipPolicy(budget: budget)
            #expect((policy.dominant, policy.contextual) == (dominant, contextual), "budget \(budget)")
        }
        #expect(throws: PyramidDropError.self) { try VisionZipPolicy(budget: 3) }
    }

    /// DART keeps its 4 image pivots on top of 8 · ⌊N / 8⌋, and never more than the block has.
    @Test func dartTokensPerPivot() throws {
        #expect(try DARTPolicy(budget: 64).tokensPerPivot(imageTokens: 576) == 8)
        #expect(try DARTPolicy(budget: 130).tokensPerPivot(imageTokens: 576) == 16)
        #expect(try DARTPolicy(budget: 320).tokensPerPivot(imageTokens: 2340) == 40)
        #expect(try DARTPolicy(budget: 64).tokensPerPivot(imageTokens: 60) == 7)
        #expect(try DARTPolicy(budget: 64).layerHooks(layerCount: 32) == [.after(1, needs: [.keys, .finalNormedOutput])])
    }

    @Test func requestsNameEveryPolicy() throws {
        #expect(try PolicyRequest("visionzip", budget: 128).make(layerCount: 32).name == "visionzip")
        let composed = try PolicyRequest("visionzip:192+pdrop").make(layerCount: 32)
        #expect(composed.name == "visionzip+pdrop" && composed.placement == [.beforeDecoder, .inDecoder])
        #expect((composed as? ComposedPolicy)?.first.parameters == ["dominant": 162, "contextual": 30])
        #expect(try PolicyRequest("dart").make(layerCount: 32).parameters["budget"] == 64)
    }

    /// Each refusal is one line naming the policy and what is wrong.
    @Test(arguments: [
        ("pdrop", 64, "pdrop: takes no budget (its budget is --layers and --ratio)"),
        ("none", 8, "none: takes no budget (it keeps every token)"),
        ("fastervlm", 0, "fastervlm: budget 0 must be at least 1 patch per crop"),
        ("divprune", -3, "divprune: budget -3 must be at least 1 token"),
        ("visionzip+divprune", 64, "visionzip+divprune: compose one policy that acts before the decoder (fastervlm, visionzip, divprune) with one that acts inside it (pdrop, fastv, dart, random)"),
        ("pdrop+fastv", 64, "pdrop+fastv: compose one policy that acts before the decoder (fastervlm, visionzip, divprune) with one that acts inside it (pdrop, fastv, dart, random)"),
        ("zip", 64, "zip: unknown policy 'zip' (choose from pdrop, fastv, none, random, fastervlm, visionzip, divprune, dart)"),
        ("dart:x", 64, "dart:x: 'x' is not a whole-number budget"),
    ])
    func refusals(spelling: String, budget: Int, message: String) {
        #expect {
            _ = try PolicyRequest(spelling, budget: budget).make(layerCount: 32)
        } throws: { error in
            "\(error)" == message
        }
    }

    /// Budgets larger than what the image has are refused when the image is seen.
    @Test func budgetsLargerThanTheImage() throws {
        let crop = TowerCrop(hidden: Tensor(zeros: [5, 2]), classAttention: Tensor(shape: [1, 5], repeating: 0.2), keys: Tensor(zeros: [5, 2]),
                             heads: 1, patchSources: [0, 1, 2, 3])
        let image = ImageTokens(features: Tensor(zeros: [4, 3]), crops: [crop], project: { $0 })
        #expect { try FasterVLMPolicy(budget: 5).selectImageTokens(image) } throws: {
            "\($0)" == "fastervlm: budget 5 is more than the 4 patches of a crop"
        }
        #expect { try DivPrunePolicy(budget: 5).selectImageTokens(image) } throws: {
            "\($0)" == "divprune: budget 5 is more than the 4 tokens of the image"
        }
        #expect { try VisionZipPolicy(budget: 64).selectImageTokens(ImageTokens(features: Tensor(zeros: [4, 3]))) } throws: {
            "\($0)" == "visionzip needs the vision tower's feature-layer outputs and projector, which was not provided"
        }
        let kept = try FasterVLMPolicy(budget: 2).selectImageTokens(image)
        #expect(kept.sources == [0, 1] && kept.features.shape == [2, 2])
    }
}
