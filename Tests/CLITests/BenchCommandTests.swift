import Tensors
import TestSupport
import Testing
import WeightIO

/// `pdrop bench` keeps working and reports what the README's table is made of (the figures
/// themselves come from release builds on real shapes, never from a test).
@Suite struct BenchCommandTests {
    @Test func tinyPresetReportsEveryVariant() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "2", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        #expect(try report.requireString("preset") == "tiny")
        #expect(try report.requireInt("layers") == 8)
        #expect(try report.requireObject("tokens")["image"]?.intValue == 64)
        let variants = try report.requireObject("variants")
        #expect(Set(variants.keys) == ["full", "pdrop", "fastv"])
        for name in ["pdrop", "fastv"] {
            #expect((variants[name]?["flops_ratio"]?.doubleValue ?? 0) > 1, "\(name) must do less work than the full model")
            #expect(variants[name]?["speedup"]?.doubleValue != nil)
        }
        #expect(variants["full"]?.value(at: ["prefill_s", "median"])?.doubleValue != nil)
        let decode = try report.requireObject("decode")
        #expect((decode["ms_per_token"]?["median"]?.doubleValue ?? 0) > 0)
        #expect((decode["sgemv_gbps"]?["median"]?.doubleValue ?? 0) > 0)
        #expect((decode["bound_ratio"]?.doubleValue ?? 0) > 0)
        #expect(decode["speedup_vs_f32"] == nil)
        #expect(try report.requireInt("peak_rss_bytes") > 0)
    }

    /// `--policy` adds a variant per policy, named with the budget it ran at: pre-decoder ones
    /// report the tokens that entered, their own step and the yardstick at their row count; a
    /// budget that does not fit the tiny tower's crops of 16 patches is refused naming the policy.
    @Test func policiesAreVariants() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "0", "--json",
                                         "--policy", "fastervlm,visionzip+pdrop,dart", "--budget", "8", "--drop-layers", "2,4"])
        #expect(out.status == 0, "\(out.stderr)")
        let variants = try JSON.parse(out.stdout, source: "bench").requireObject("variants")
        #expect(Set(variants.keys) == ["full", "pdrop", "fastv", "fastervlm:8", "visionzip:8+pdrop", "dart:8"])
        #expect(variants["fastervlm:8"]?["image_tokens"]?.intValue == 4 * 8)
        #expect((variants["fastervlm:8"]?.value(at: ["pre_decoder_ms", "median"])?.doubleValue ?? 0) > 0)
        #expect((variants["fastervlm:8"]?["yardstick_own_rows_gflops"]?.doubleValue ?? 0) > 0)
        #expect(variants["dart:8"]?["pre_decoder_ms"] == nil && variants["dart:8"]?["image_tokens"]?.intValue == 64)
        #expect((variants["visionzip:8+pdrop"]?["flops_ratio"]?.doubleValue ?? 0) > (variants["fastervlm:8"]?["flops_ratio"]?.doubleValue ?? 0))
        let bad = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "0", "--policy", "fastervlm", "--budget", "17"])
        #expect(bad.status == 1 && bad.stderr.contains("fastervlm: budget 17 is more than the 16 patches of a crop"))
        let unknown = try CommandRunner.run(["bench", "--preset", "tiny", "--policy", "zip"])
        #expect(unknown.status == 64)
    }

    /// The yardsticks, the paths taken and the machine's flags are all in the JSON report.
    @Test func reportCarriesPathsFlagsAndYardsticks() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "2", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        let flags = try report.requireObject("platform")["cpu_flags"]?.objectValue ?? [:]
        #expect(Set(flags.keys) == ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_bf16", "avx512_vnni", "amx_bf16"])
        // The level the subprocess takes: the same CPU and environment (PDROP_KERNELS) as this one.
        #expect(report.value(at: ["platform", "kernels"])?.stringValue == Kernels.environmentLevel.description)
        let compute = try report.requireObject("compute")
        #expect(["f32", "bf16"].contains(compute["path"]?.stringValue ?? ""))
        #expect(compute["prefill"]?.stringValue != nil && compute["decode"]?.stringValue != nil)
        #expect((try report.requireObject("yardstick")["gflops"]?.doubleValue ?? 0) > 0)
        #expect((report["sgemm_gflops"]?.doubleValue ?? 0) > 0)
        let full = try report.requireObject("variants")["full"]
        #expect(full?["compute"]?.stringValue == compute["prefill"]?.stringValue)
        #expect((full?["efficiency"]?.doubleValue ?? 0) > 0)
        #expect(full?["fallbacks"]?.intValue != nil)
        let decode = try report.requireObject("decode")
        for key in ["bytes_per_step", "gbps", "stream_ratio"] {
            #expect((decode[key]?.doubleValue ?? 0) > 0, "decode.\(key)")
        }
        #expect((decode["stream_gbps"]?["max"]?.doubleValue ?? 0) > 0)
        #expect((decode["stream_ratio_paired"]?["median"]?.doubleValue ?? 0) > 0)
        #expect(decode["compute"]?.stringValue?.hasPrefix("gemv ") == true)
        // Every byte a step reads, f32 throughout: 8 layers' matrices (4·64·64 + 3·64·128) and the
        // LM head (512·64), the norms (8·2·64 + 64) and one embedding row (64), and keys and values
        // (8·2·64) for the 128 + 1.5 tokens cached on average over the 2 steps.
        let weights: Double = 8 * (4 * 64 * 64 + 3 * 64 * 128) + 512 * 64, norms: Double = 8 * 2 * 64 + 64
        let kv: Double = 8 * 2 * 64 * 129.5
        let expected = 4 * (weights + norms + 64 + kv)
        #expect(decode["bytes_per_step"]?.doubleValue == expected)
    }

    /// `--compute f32` takes OpenBLAS and measures against sgemm, whatever the weights.
    @Test func computeF32UsesTheSgemmYardstick() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "1", "--weights", "bf16",
                                         "--compute", "f32", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        #expect(report.value(at: ["compute", "path"])?.stringValue == "f32")
        #expect(report.value(at: ["compute", "mode"])?.stringValue == "f32")
        #expect(report.value(at: ["yardstick", "name"])?.stringValue == "openblas sgemm")
        #expect(report.value(at: ["variants", "full", "compute"])?.stringValue?.hasPrefix("openblas f32") == true)
        #expect(try report.requireString("weights_stored") == "bf16")
    }

    /// `--compute bf16` with f32 weights builds BF16 weights and measures against oneDNN's bf16
    /// GEMM; on a CPU without native bf16 it is a one-line error.
    @Test func computeBF16RoundsTheWeights() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "1", "--weights", "f32",
                                         "--compute", "bf16", "--json"])
        guard out.status == 0 else {
            #expect(out.status == 1)
            #expect(out.stderr.split(separator: "\n").count == 1 && out.stderr.contains("--compute bf16"), "\(out.stderr)")
            return
        }
        let report = try JSON.parse(out.stdout, source: "bench")
        #expect(try report.requireString("weights") == "f32")
        #expect(try report.requireString("weights_stored") == "bf16")
        #expect(report.value(at: ["compute", "path"])?.stringValue == "bf16")
        #expect(report.value(at: ["yardstick", "name"])?.stringValue == "onednn bf16 gemm")
        #expect((report["bf16_gemm_gflops"]?.doubleValue ?? 0) > 0)
        #expect(report.value(at: ["variants", "full", "compute"])?.stringValue?.hasPrefix("onednn ") == true)
    }

    /// `--vision` times the tower alone: its FLOPs, GFLOP/s and the ratio to its own yardstick.
    @Test func visionTimesTheTowerAlone() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--vision", "--vision-layers", "2", "--runs", "1", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        #expect(report["variants"] == nil && report["decode"] == nil)
        let vision = try report.requireObject("vision")
        #expect(vision["layers"]?.intValue == 2)
        #expect(vision["tokens"]?.intValue == 17)
        for key in ["flops", "gflops", "bound_ratio", "sgemm_gflops"] {
            #expect((vision[key]?.doubleValue ?? 0) > 0, "vision.\(key)")
        }
        #expect((vision["seconds"]?["median"]?.doubleValue ?? 0) > 0)
        #expect((vision["yardstick"]?["gflops"]?.doubleValue ?? 0) > 0)
        #expect(vision["compute"]?.stringValue == report.value(at: ["compute", "prefill"])?.stringValue)
        #expect(report.value(at: ["platform", "cpu_flags"]) != nil)
    }

    /// Without a preset, `--vision` is LLaVA's CLIP ViT-L/14-336 (one layer here, to stay quick).
    @Test func visionDefaultsToViTL14At336() throws {
        let out = try CommandRunner.run(["bench", "--vision", "--vision-layers", "1", "--runs", "1", "--compute", "f32", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let vision = try JSON.parse(out.stdout, source: "bench").requireObject("vision")
        #expect(vision["tokens"]?.intValue == 577)
        #expect(vision["hidden"]?.intValue == 1024)
        #expect(vision["tower_layers"]?.intValue == 24)
        // Patch embedding 576×588→1024 plus one layer: 4·577·1024² + 2·577·1024·4096 + 2·577²·1024 multiply-adds.
        let patch: Double = 576 * 588 * 1024, projections: Double = 4 * 577 * 1024 * 1024
        let mlp: Double = 2 * 577 * 1024 * 4096, attention: Double = 2 * 577 * 577 * 1024
        let expected = 2 * (patch + projections + mlp + attention)
        #expect(abs((vision["flops"]?.doubleValue ?? 0) - expected) < 1)
    }

    @Test func helpDocumentsVision() throws {
        let out = try CommandRunner.run(["bench", "--help"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("--vision") && out.stdout.contains("--vision-layers") && out.stdout.contains("--compute"))
        #expect(out.stdout.contains("only the vision tower") && out.stdout.contains("--shapes"))
    }

    /// `llava-onevision-0.5b` builds Qwen2-0.5B's exact shapes (4 of its 24 layers, no image tokens
    /// to stay quick in debug): q/k/v biases, and a tied head that is the embedding table, read once
    /// per decode step with no separate embedding row.
    @Test func oneVision05BuildsQwen2WithATiedHead() throws {
        let out = try CommandRunner.run(["bench", "--preset", "llava-onevision-0.5b", "--layers", "4", "--image-tokens", "0",
                                         "--text-tokens", "1", "--runs", "1", "--decode-tokens", "1", "--compute", "f32", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        let model = try report.requireObject("model")
        #expect(model["family"]?.stringValue == "qwen2" && model["layers"]?.intValue == 4)
        #expect(model["hidden"]?.intValue == 896 && model["intermediate"]?.intValue == 4864)
        #expect(model["heads"]?.intValue == 14 && model["kv_heads"]?.intValue == 2 && model["head_dim"]?.intValue == 64)
        #expect(model["vocab"]?.intValue == 152000 && model["tied"]?.boolValue == true && model["qkv_bias"]?.boolValue == true)
        // f32: 4 layers' matrices, their q/k/v biases (896 + 2·128), the tied table once, the norms
        // (4·2·896 + 896), keys and values (4·2·128) for the 1 + 1 tokens cached on average.
        let matrices: Double = 4 * (896 * 896 + 2 * 128 * 896 + 896 * 896 + 3 * 896 * 4864)
        let biases: Double = 4 * (896 + 2 * 128), table: Double = 152000 * 896, norms: Double = 4 * 2 * 896 + 896
        let kv: Double = 4 * 2 * 128 * 2
        #expect(report.value(at: ["decode", "bytes_per_step"])?.doubleValue == 4 * (matrices + biases + table + norms + kv))
    }

    /// The OneVision presets' vision bench is SigLIP so400m-patch14-384: 729 patches and no class
    /// token, a biased patch embedding, all 26 layers by default (feature layer −1).
    @Test func oneVisionVisionIsSigLIP() throws {
        let out = try CommandRunner.run(["bench", "--preset", "llava-onevision-0.5b", "--vision", "--vision-layers", "1", "--runs", "1",
                                         "--compute", "f32", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let vision = try JSON.parse(out.stdout, source: "bench").requireObject("vision")
        #expect(vision["tower"]?.stringValue == "SigLIP so400m-patch14-384")
        #expect(vision["tokens"]?.intValue == 729 && vision["class_tokens"]?.intValue == 0 && vision["hidden"]?.intValue == 1152)
        #expect(vision["tower_layers"]?.intValue == 26 && vision["patch_bias"]?.boolValue == true)
        // Patch embedding 729×588→1152 plus one layer: 4·729·1152² + 2·729·1152·4304 + 2·729²·1152 multiply-adds.
        let patch: Double = 729 * 588 * 1152, projections: Double = 4 * 729 * 1152 * 1152
        let mlp: Double = 2 * 729 * 1152 * 4304, attention: Double = 2 * 729 * 729 * 1152
        #expect(abs((vision["flops"]?.doubleValue ?? 0) - 2 * (patch + projections + mlp + attention)) < 1)
        let policy = try CommandRunner.run(["bench", "--preset", "llava-onevision-0.5b", "--policy", "fastervlm", "--runs", "1",
                                            "--layers", "4", "--decode-tokens", "0"])
        #expect(policy.status == 64 && policy.stderr.contains("has none"))
    }

    /// `--shapes` reports a preset's shapes without building it: Qwen2-7B (untied head) on SigLIP
    /// at feature layer −1, and OneVision's 4725 image tokens for a 1024×768 image.
    @Test func shapesReportOneVision7B() throws {
        let out = try CommandRunner.run(["bench", "--preset", "llava-onevision-7b", "--shapes", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        let model = try report.requireObject("model")
        #expect(model["hidden"]?.intValue == 3584 && model["intermediate"]?.intValue == 18944 && model["layers"]?.intValue == 28)
        #expect(model["heads"]?.intValue == 28 && model["kv_heads"]?.intValue == 4 && model["head_dim"]?.intValue == 128)
        #expect(model["vocab"]?.intValue == 152128 && model["tied"]?.boolValue == false && model["qkv_bias"]?.boolValue == true)
        #expect(model["rope_theta"]?.doubleValue == 1e6 && abs((model["rms_norm_eps"]?.doubleValue ?? 0) - 1e-6) < 1e-12)
        let vision = try report.requireObject("vision")
        #expect(vision["layers"]?.intValue == 26 && vision["feature_layer"]?.intValue == -1 && vision["intermediate"]?.intValue == 4304)
        #expect(vision["heads"]?.intValue == 16 && vision["image_size"]?.intValue == 384 && vision["patch_size"]?.intValue == 14)
        #expect(try report.requireInt("image_tokens") == 4725)
        let small = try CommandRunner.run(["bench", "--preset", "llava-onevision-0.5b", "--shapes"])
        #expect(small.status == 0 && small.stdout.contains("tied head") && small.stdout.contains("4725 image tokens"))
        #expect(try CommandRunner.run(["bench", "--vision", "--shapes"]).status == 64)
    }

    /// `--compare-f32` times an f32 copy of the 16-bit model in the same run.
    @Test func compareF32ReportsTheRatio() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "2", "--weights", "bf16",
                                         "--compare-f32", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let decode = try JSON.parse(out.stdout, source: "bench").requireObject("decode")
        #expect((decode["f32_ms_per_token"]?["median"]?.doubleValue ?? 0) > 0)
        #expect((decode["speedup_vs_f32"]?.doubleValue ?? 0) > 0)
    }

    /// `--weights q4_0` quantizes the model in memory and `--compare-weights bf16` times a bf16
    /// copy beside it.
    @Test func quantizedWeightsCompareWithBF16() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "2", "--weights", "q4_0",
                                         "--compare-weights", "bf16", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try JSON.parse(out.stdout, source: "bench")
        #expect(report["weights_stored"]?.stringValue == "q4_0")
        let decode = try report.requireObject("decode")
        #expect((decode["bf16_ms_per_token"]?["median"]?.doubleValue ?? 0) > 0)
        #expect((decode["speedup_vs_bf16"]?.doubleValue ?? 0) > 0)
    }

    @Test func invalidOptionsAreUsageErrors() throws {
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--compare-weights", "q9"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--compare-f32", "--compare-weights", "bf16"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--weights", "q4_0", "--compare-weights", "q4_0"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--layers", "2"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--weights", "int8"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "gpt-9"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--compare-f32"]).status == 64)
        #expect(try CommandRunner.run(["bench"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--vision-layers", "2"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--vision", "--vision-layers", "0"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--vision", "--vision-layers", "5"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--vision", "--weights", "bf16", "--compare-f32"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--compute", "f16"]).status == 64)
    }
}
