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

    /// `--compare-f32` times an f32 copy of the 16-bit model in the same run.
    @Test func compareF32ReportsTheRatio() throws {
        let out = try CommandRunner.run(["bench", "--preset", "tiny", "--runs", "1", "--decode-tokens", "2", "--weights", "bf16",
                                         "--compare-f32", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let decode = try JSON.parse(out.stdout, source: "bench").requireObject("decode")
        #expect((decode["f32_ms_per_token"]?["median"]?.doubleValue ?? 0) > 0)
        #expect((decode["speedup_vs_f32"]?.doubleValue ?? 0) > 0)
    }

    @Test func invalidOptionsAreUsageErrors() throws {
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--layers", "2"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--weights", "int8"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "gpt-9"]).status == 64)
        #expect(try CommandRunner.run(["bench", "--preset", "tiny", "--compare-f32"]).status == 64)
    }
}
