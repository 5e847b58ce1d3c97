import XCTest
@testable import PagodaEngine

final class GGMLTypeTests: XCTestCase {
    /// Each format's layout constants add up to GGML's `sizeof(block_…)`.
    func testBlockLayoutsMatchGGMLSizes() {
        let layouts: [(GGMLType, blockSize: Int, bytes: Int)] = [
            (.q4_0, Q4_0.blockSize, Q4_0.bytesPerBlock), (.q4_1, Q4_1.blockSize, Q4_1.bytesPerBlock),
            (.q5_0, Q5_0.blockSize, Q5_0.bytesPerBlock), (.q5_1, Q5_1.blockSize, Q5_1.bytesPerBlock),
            (.q8_0, Q8_0.blockSize, Q8_0.bytesPerBlock), (.q8_1, Q8_1.blockSize, Q8_1.bytesPerBlock),
            (.q2_K, Q2_K.blockSize, Q2_K.bytesPerBlock), (.q3_K, Q3_K.blockSize, Q3_K.bytesPerBlock),
            (.q4_K, Q4_K.blockSize, Q4_K.bytesPerBlock), (.q5_K, Q5_K.blockSize, Q5_K.bytesPerBlock),
            (.q6_K, Q6_K.blockSize, Q6_K.bytesPerBlock), (.q8_K, Q8_K.blockSize, Q8_K.bytesPerBlock),
            (.iq4_nl, IQ4_NL.blockSize, IQ4_NL.bytesPerBlock),
        ]
        for (type, blockSize, bytes) in layouts {
            XCTAssertEqual(type.blockSize, blockSize, "\(type) block size")
            XCTAssertEqual(type.bytesPerBlock, bytes, "\(type) bytes per block")
            XCTAssertTrue(type.canDequantize)
        }
        XCTAssertEqual(GGMLType.q4_K.bytesPerBlock, 144)
        XCTAssertEqual(GGMLType.q6_K.bytesPerBlock, 210)
    }

    func testNamesRoundTrip() {
        for type in GGMLType.allCases {
            XCTAssertEqual(GGMLType(name: type.name), type)
        }
        XCTAssertEqual(GGMLType(name: "q4_k"), .q4_K)
        XCTAssertNil(GGMLType(name: "q4_2"))
    }

    func testRowBytes() {
        XCTAssertEqual(GGMLType.q4_0.rowBytes(64), 36)
        XCTAssertNil(GGMLType.q4_0.rowBytes(33))
        XCTAssertEqual(GGMLType.f32.rowBytes(3), 12)
    }

    func testNearestIntRoundsHalfToEven() {
        XCTAssertEqual(nearestInt(2.5), 2)
        XCTAssertEqual(nearestInt(3.5), 4)
        XCTAssertEqual(nearestInt(-2.5), -2)
        XCTAssertEqual(nearestInt(-0.4), 0)
        XCTAssertEqual(nearestInt(126.6), 127)
    }
}
