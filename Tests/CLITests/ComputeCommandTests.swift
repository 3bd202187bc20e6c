import Foundation
import TestSupport
import Testing
import Tensors
import WeightIO

/// `--compute` and `--threads` on `pdrop run`, the path named in `--json`'s trace, and the
/// `PDROP_FORCE_F32` switch that puts a bf16 machine on the f32 fallback.
@Suite struct ComputeCommandTests {
    static let folder = Fixtures.path("llava")
    static let question = "What is shown in this picture?"

    /// `pdrop run --json` on `model` with `extra` arguments: status, the trace's compute object, stderr.
    static func run(_ model: String, _ extra: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, compute: [String: JSON], stderr: String) {
        let out = try CommandRunner.run(["run", "--model", model, "--image", folder + "/sample.png", "--prompt", question,
                                         "--max-new-tokens", "2", "--json"] + extra, environment: environment)
        guard out.status == 0 else { return (out.status, [:], out.stderr) }
        let json = try JSON.parse(out.stdout, source: "stdout")
        return (out.status, try json.requireObject("trace", "compute"), out.stderr)
    }

    /// The tiny checkpoint converted to BF16 storage, in `scratch`.
    static func bf16Model(in scratch: TemporaryDirectory) throws -> String {
        let destination = scratch.path("tiny-bf16")
        let out = try CommandRunner.run(["convert", "--from", folder + "/tiny-llava-hf", "--to", destination, "--dtype", "bf16"])
        #expect(out.status == 0, "\(out.stderr)")
        return destination
    }

    /// F16 weights compute in f32 under `auto`, so the same command gives the same logits on
    /// every machine; `--compute f32` says so too, and the stats line names the path.
    @Test func f16WeightsStayOnF32() throws {
        for extra in [[], ["--compute", "f32"], ["--compute", "auto", "--threads", "1"]] {
            let (status, compute, stderr) = try Self.run(Self.folder + "/tiny-llava-hf", extra)
            #expect(status == 0, "\(stderr)")
            #expect(compute["language"]?.stringValue == "f32 (openblas)" && compute["vision"]?.stringValue == "f32 (openblas)")
            #expect(stderr.contains("compute f32 (openblas)"))
        }
        #expect(try Self.run(Self.folder + "/tiny-llava-hf", ["--threads", "1"]).compute["threads"]?.intValue == 1)
    }

    /// BF16 weights under `auto` take bf16 where the CPU has native bf16 matmul; with
    /// `PDROP_FORCE_F32=1` they take f32 and `--compute bf16` is a one-line error.
    @Test func forcingF32OnBF16Weights() throws {
        let scratch = try TemporaryDirectory()
        let model = try Self.bf16Model(in: scratch)
        let forced = try Self.run(model, [], environment: ["PDROP_FORCE_F32": "1"])
        #expect(forced.status == 0 && forced.compute["language"]?.stringValue == "f32 (openblas)")
        let refused = try CommandRunner.run(["run", "--model", model, "--prompt", "x", "--compute", "bf16"],
                                            environment: ["PDROP_FORCE_F32": "1"])
        #expect(refused.status == 1 && refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("PDROP_FORCE_F32"))
        if OneDNNMatmul.isNative {
            let auto = try Self.run(model, [])
            #expect(auto.compute["language"]?.stringValue?.hasPrefix("bf16 (onednn ") == true)
        }
    }

    /// `--compute bf16` on the F16 checkpoint (weights rounded to BF16 at load): the greedy
    /// tokens are transformers' and the prefill logits drift from its f32 ones by 0.026
    /// (measured) — bounded here by 5e-2.
    @Test(.enabled(if: OneDNNMatmul.isNative, "no native bf16 matmul here"))
    func bf16ComputeKeepsTheTokens() throws {
        let scratch = try TemporaryDirectory()
        let logits = scratch.path("logits.safetensors")
        let out = try CommandRunner.run(["run", "--model", Self.folder + "/tiny-llava-hf", "--image", Self.folder + "/sample.png",
                                         "--prompt", Self.question, "--drop", "none", "--max-new-tokens", "16", "--compute", "bf16",
                                         "--logits-out", logits])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("compute bf16 (onednn "))
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors"), actual = try SafeTensorsFile(path: logits)
        let drift = maxAbsDiff(try actual.tensor("prefill_logits").floats, try expected.tensor("logits_last").floats)
        #expect(drift > 0 && drift <= 5e-2)
        #expect(try actual.tensor("generated_ids").integers == RunCommandTests.untilEOS(try expected.tensor("greedy_ids").integers))
    }

    @Test func badSettingsAreUsageErrors() throws {
        for extra in [["--threads", "0"], ["--compute", "f16"]] {
            let out = try CommandRunner.run(["run", "--model", Self.folder + "/tiny-llava-hf", "--prompt", "x"] + extra)
            #expect(out.status == 64, "\(extra)")
        }
    }
}
