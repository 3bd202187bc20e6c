import Foundation
import Tensors
import WeightIO

/// What `pdrop bench` reports about the machine: the CPU flags that decide which kernels run, the
/// path our own C kernels take, and the kernels each compute path's GEMMs take.
enum BenchPlatform {
    /// The flags that matter to this runtime's kernels (OpenBLAS, oneDNN and `CKernels`).
    static let relevantFlags = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_bf16", "avx512_vnni", "amx_bf16"]

    /// Each of `relevantFlags` and whether `/proc/cpuinfo` lists it (all absent where it cannot be read).
    static let cpuFlags: [(name: String, present: Bool)] = {
        let data = FileHandle(forReadingAtPath: "/proc/cpuinfo")?.readDataToEndOfFile() ?? Data()
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let listed = Set((line.split(separator: ":").last ?? "").split(separator: " ").map(String.init))
        return relevantFlags.map { ($0, listed.contains($0)) }
    }()

    /// The level `CKernels` (GEMV, conversions, decode attention) takes here: `scalar`, `avx2` or
    /// `avx512` (see `PDROP_KERNELS`).
    static func kernelPath() -> String { Kernels.level.description }

    /// The kernels a path's multi-row products take with weights stored as `stored`, e.g.
    /// `onednn brg:avx512_core_bf16`, `openblas f32`, or `openblas f32 (bf16 widened per tile)`.
    static func gemmName(_ path: ComputePath, stored: DType) -> String {
        switch path {
        case .bf16: return "onednn \(OneDNNMatmul.implementation)"
        case .f32: return stored == .f32 ? "openblas f32" : "openblas f32 (\(stored.rawValue.lowercased()) widened per tile)"
        }
    }

    /// The kernels a decode step's single-row products take (our GEMV over the stored weights).
    static func decodeName(stored: DType) -> String { "gemv \(kernelPath()) (\(stored.rawValue.lowercased()) weights)" }

    /// One line: the flags present, then the ones missing.
    /// `cpu: FLAGS; kernels PATH`, a report line.
    static var cpuLine: String { "cpu: \(flagsText); kernels \(kernelPath())" }

    static var flagsText: String {
        let present = cpuFlags.filter(\.present).map(\.name), missing = cpuFlags.filter { !$0.present }.map(\.name)
        return present.joined(separator: " ") + (missing.isEmpty ? "" : "; no " + missing.joined(separator: " "))
    }

    /// The report's `platform` object: flags, kernel path, threads.
    static var json: JSON {
        .object([
            "cpu_flags": .object(Dictionary(uniqueKeysWithValues: cpuFlags.map { ($0.name, JSON.bool($0.present)) })),
            "kernels": .string(kernelPath()), "threads": .int(Threads.count), "cores": .int(Threads.cores),
            "onednn": .string(OneDNNMatmul.implementation), "onednn_native": .bool(OneDNNMatmul.isNative),
        ])
    }
}
