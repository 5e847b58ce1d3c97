import CKernels
import Foundation

/// Which SIMD kernels run, chosen once per process and asked by everything that has a fast
/// path: the integer and float products, activation quantization, attention, f16
/// conversion, SwiGLU. Each set includes the ones below it; every kernel of every set has a
/// scalar twin, and the tests compare them on random inputs.
///
/// - `scalar`: portable Swift and C, on any CPU (aarch64 included).
/// - `avx2`: AVX2 + FMA + F16C (x86-64-v3), the packed product of many tokens included.
/// - `avx512vnni`: also AVX-512 F/BW/VL and VNNI (`vpdpbusd`): the packed product and the
///   mat-vec dot products except Q8_0's, on `vpdpbusd`.
///
/// `PAGODA_KERNELS=scalar|avx2|avx512vnni` caps the choice at a lesser set (never above what
/// the CPU has); any other value is reported once on stderr and ignored.
public enum KernelSet: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    case scalar = 0
    case avx2 = 1
    case avx512vnni = 2

    /// The set this process runs.
    public static let current: KernelSet = {
        let best = cpuBest
        guard let asked = ProcessInfo.processInfo.environment["PAGODA_KERNELS"] else { return best }
        guard let set = KernelSet(name: asked) else {
            FileHandle.standardError.write(Data("pagoda: PAGODA_KERNELS=\(UntrustedText.escaped(asked, limit: 40)) is not one of \(allCases.map(\.name).joined(separator: ", ")); using \(best.name)\n".utf8))
            return best
        }
        return min(set, best)
    }()

    /// The best set this CPU runs (what the build has kernels for: on other architectures
    /// than x86-64, `scalar`).
    public static let cpuBest = KernelSet(rawValue: Int(pagoda_cpu_kernel_level())) ?? .scalar

    /// Every set this CPU can run, lowest first: what the tests compare.
    public static var runnable: [KernelSet] { allCases.filter { $0 <= cpuBest } }

    public init?(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "")
        guard let set = Self.allCases.first(where: { $0.name == key }) else { return nil }
        self = set
    }

    /// As `PAGODA_KERNELS` and `pagoda bench` spell it.
    public var name: String {
        switch self {
        case .scalar: "scalar"
        case .avx2: "avx2"
        case .avx512vnni: "avx512vnni"
        }
    }

    public var description: String { name }

    /// AVX2 + FMA + F16C kernels: float products, activation quantization, attention, f16
    /// conversion, SwiGLU, the integer dots' 256-bit forms and the packed product.
    public var hasAVX2: Bool { self >= .avx2 }
    /// The AVX-512 VNNI integer dots and packed product.
    public var hasVNNI: Bool { self >= .avx512vnni }

    public static func < (a: KernelSet, b: KernelSet) -> Bool { a.rawValue < b.rawValue }
}
