import XCTest
@testable import PagodaEngine

/// The kernel set is named once: the names `PAGODA_KERNELS` takes, their order, and the
/// set this process runs never above what the CPU has.
final class KernelSetTests: XCTestCase {
    func testNamesAndOrder() {
        XCTAssertEqual(KernelSet.allCases.map(\.name), ["scalar", "avx2", "avx512vnni"])
        XCTAssertEqual(KernelSet(name: "AVX512-VNNI"), .avx512vnni)
        XCTAssertEqual(KernelSet(name: "avx2"), .avx2)
        XCTAssertNil(KernelSet(name: "neon"))
        XCTAssertTrue(KernelSet.scalar < .avx2 && KernelSet.avx2 < .avx512vnni)
        XCTAssertTrue(KernelSet.avx512vnni.hasAVX2 && KernelSet.avx512vnni.hasVNNI)
        XCTAssertTrue(KernelSet.avx2.hasAVX2 && !KernelSet.avx2.hasVNNI)
        XCTAssertFalse(KernelSet.scalar.hasAVX2)
    }

    func testTheCurrentSetIsOneTheCPURuns() {
        XCTAssertLessThanOrEqual(KernelSet.current, KernelSet.cpuBest)
        XCTAssertEqual(KernelSet.runnable.first, .scalar)
        XCTAssertEqual(KernelSet.runnable.last, KernelSet.cpuBest)
        if let asked = ProcessInfo.processInfo.environment["PAGODA_KERNELS"], let set = KernelSet(name: asked) {
            XCTAssertEqual(KernelSet.current, min(set, KernelSet.cpuBest))
        }
    }
}
