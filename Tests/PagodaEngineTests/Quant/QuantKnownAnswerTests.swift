import XCTest
@testable import PagodaEngine

/// Pagoda's reference quantizers must write the same bytes as llama.cpp's
/// `quantize_row_*_ref` (ggml-quants.c at llama.cpp 0c1e5709, built with gcc -O2 for
/// x86-64). The digests are FNV-1a 64 of the quantized bytes of `TestData.weights(4096,
/// seed: 12345)`, produced by that code.
final class QuantKnownAnswerTests: XCTestCase {
    static let llamaCppDigests: [(GGMLType, bytes: Int, fnv: UInt64)] = [
        (.q4_0, 2304, 0x176b_5b9a_8190_fea0),
        (.q4_1, 2560, 0xbcbb_95b3_8d11_8360),
        (.q5_0, 2816, 0x00b5_df21_a04b_3ed5),
        (.q5_1, 3072, 0x8394_b3dc_fc3b_f2f6),
        (.q8_0, 4352, 0xba04_c97f_c97b_45fa),
        (.q8_1, 4608, 0x196d_f2ad_5d41_6a44),
        (.q2_K, 1344, 0xbec2_7fee_8ee9_1fe9),
        (.q3_K, 1760, 0xbf36_e865_bac8_9c98),
        (.q4_K, 2304, 0x9379_26c3_3cf9_2b26),
        (.q5_K, 2816, 0xa5af_23bf_364e_cd9c),
        (.q6_K, 3360, 0x142a_fbf7_e450_0c8e),
        (.q8_K, 4672, 0x2b8f_38a4_8d15_ae4d),
        (.f16, 8192, 0x87b1_8092_c1bf_a944),
        (.bf16, 8192, 0x5a07_3e1c_0dd9_e959),
    ]

    func testReferenceQuantizersMatchLlamaCppBytes() throws {
        let x = TestData.weights(4096, seed: 12345)
        for (type, bytes, digest) in Self.llamaCppDigests {
            let out = try Quantization.quantize(type, x)
            XCTAssertEqual(out.count, bytes, "\(type) size")
            XCTAssertEqual(TestData.fnv1a(out), digest, "\(type) bytes differ from llama.cpp's reference quantizer")
        }
    }

    // MARK: - Blocks worked out by hand

    func testQ4_0HandBlock() throws {
        // Largest magnitude −8 → d = −8 / −8 = 1, codes q = x/d + 8.
        var x = [Float](repeating: 0, count: 32)
        x[0] = -8; x[1] = 7; x[2] = 1; x[16] = -1; x[17] = 3.4
        let block = try Quantization.quantize(.q4_0, x)
        XCTAssertEqual(Array(block[0..<2]), [0x00, 0x3C])  // f16 1.0
        XCTAssertEqual(block[2], 0x70)  // x0 → 0, x16 → 7
        XCTAssertEqual(block[3], 0xBF)  // x1 → 15, x17 → 3.4 + 8.5 = 11.9 → 11
        XCTAssertEqual(block[4], 0x89)  // x2 → 9, x18 → 8
        let back = try block.withUnsafeBytes { try Quantization.dequantize(.q4_0, $0, count: 32) }
        XCTAssertEqual(Array(back[0..<3]), [-8, 7, 1])
        XCTAssertEqual(back[16], -1)
        XCTAssertEqual(back[17], 3)
    }

    func testQ8_0HandBlock() throws {
        // amax 127 → d = 1, codes are the values rounded half away from zero.
        var x = [Float](repeating: 0.5, count: 32)
        x[0] = 127; x[1] = -2.5; x[2] = 0.49
        let block = try Quantization.quantize(.q8_0, x)
        XCTAssertEqual(Array(block[0..<2]), [0x00, 0x3C])
        XCTAssertEqual(Int8(bitPattern: block[2]), 127)
        XCTAssertEqual(Int8(bitPattern: block[3]), -3)
        XCTAssertEqual(Int8(bitPattern: block[4]), 0)
        XCTAssertEqual(Int8(bitPattern: block[5]), 1)
    }

    func testQ4_1HandBlock() throws {
        // min −1, max 14 → d = 15 / 15 = 1, m = −1; codes q = x + 1.
        var x = (0..<32).map { Float($0 % 16) - 1 }
        x[31] = 14
        let block = try Quantization.quantize(.q4_1, x)
        XCTAssertEqual(Array(block[0..<4]), [0x00, 0x3C, 0x00, 0xBC])  // d = 1, m = −1
        XCTAssertEqual(block[4], 0x00)  // x0 = −1 → 0, x16 = −1 → 0
        XCTAssertEqual(block[5], 0x11)
        let back = try block.withUnsafeBytes { try Quantization.dequantize(.q4_1, $0, count: 32) }
        XCTAssertEqual(back, x)
    }

    func testQ6_KHandDequantize() throws {
        // One block: d = 0.5, every scale 2, every code 33 (value 1) → all weights 1.0.
        var block = [UInt8](repeating: 0, count: Q6_K.bytesPerBlock)
        for l in 0..<128 { block[Q6_K.qlOffset + l] = 0x11 }       // low nibbles 1
        for l in 0..<64 { block[Q6_K.qhOffset + l] = 0b1010_1010 }  // high bits 2 → +32
        for g in 0..<16 { block[Q6_K.scalesOffset + g] = 2 }
        block[Q6_K.dOffset] = 0x00; block[Q6_K.dOffset + 1] = 0x38   // f16 0.5
        let out = try block.withUnsafeBytes { try Quantization.dequantize(.q6_K, $0, count: 256) }
        XCTAssertEqual(out, [Float](repeating: 1, count: 256))
    }

    func testQ4_KHandDequantize() throws {
        // d = 1, dmin = 0.5; sub-block scales 1…8 (j<4 direct, j≥4 packed), mins 2; codes 3.
        var block = [UInt8](repeating: 0, count: Q4_K.bytesPerBlock)
        block[0] = 0x00; block[1] = 0x3C; block[2] = 0x00; block[3] = 0x38
        let scales: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let mins = [UInt8](repeating: 2, count: 8)
        block.withUnsafeMutableBytes { packScalesAndMinsK4(scales, mins, into: $0.baseAddress! + Q4_K.scalesOffset) }
        for l in 0..<128 { block[Q4_K.qsOffset + l] = 0x33 }
        let out = try block.withUnsafeBytes { try Quantization.dequantize(.q4_K, $0, count: 256) }
        for j in 0..<8 {
            XCTAssertEqual(out[32 * j], Float(scales[j]) * 3 - 0.5 * 2, "sub-block \(j)")
        }
    }
}
