import XCTest
@testable import PagodaEngine

/// The per-tensor rules on synthetic models of both architectures: a llama with its own
/// output matrix and rows of 256, and a qwen2 with tied embeddings and rows of 896 (as
/// Qwen2.5-0.5B), whose K-quant rows fall back.
final class QuantizationPlanTests: XCTestCase {
    func layerTensors(_ layers: Int, width: Int, hidden: Int, biases: Bool) -> [GGUFTensorInfo] {
        var out: [GGUFTensorInfo] = []
        func add(_ name: String, _ shape: [Int], _ type: GGMLType = .f32) {
            out.append(GGUFTensorInfo(name: name, shape: shape, type: type, offset: 0, byteCount: 0))
        }
        for l in 0..<layers {
            add("blk.\(l).attn_norm.weight", [width])
            for m in ["attn_q", "attn_k", "attn_v", "attn_output"] { add("blk.\(l).\(m).weight", [width, width]) }
            if biases { for m in ["attn_q", "attn_k", "attn_v"] { add("blk.\(l).\(m).bias", [width]) } }
            add("blk.\(l).ffn_norm.weight", [width])
            add("blk.\(l).ffn_gate.weight", [width, hidden])
            add("blk.\(l).ffn_up.weight", [width, hidden])
            add("blk.\(l).ffn_down.weight", [hidden, width])
        }
        add("token_embd.weight", [width, 1000])
        add("output_norm.weight", [width])
        return out
    }

    /// The types of the tensors named `suffix` or ending in `.suffix`, in plan order.
    func types(_ plan: QuantizationPlan, _ suffix: String) -> [GGMLType] {
        plan.tensors.filter { $0.name == suffix || $0.name.hasSuffix("." + suffix) }.map(\.to)
    }

    func testPureQuantizesOnlyWeightMatricesAndFallsBackOnRowLength() {
        let tensors = layerTensors(2, width: 896, hidden: 4864, biases: true)
        let plan = QuantizationPlan(target: .pure(.q4_K), tensors: tensors, layerCount: 2)
        XCTAssertEqual(types(plan, "attn_q.weight"), [.q5_0, .q5_0], "896 is not a whole number of 256-blocks: Q4_K → Q5_0")
        XCTAssertEqual(types(plan, "ffn_down.weight"), [.q4_K, .q4_K], "rows of 4864 = 19 × 256 fit")
        XCTAssertTrue(plan.tensors.first { $0.name == "blk.0.ffn_down.weight" }.map { !$0.fellBack } ?? false)
        XCTAssertEqual(types(plan, "attn_norm.weight"), [.f32, .f32], "norms stay")
        XCTAssertEqual(types(plan, "attn_q.bias"), [.f32, .f32], "so do biases")
        XCTAssertEqual(types(plan, "token_embd.weight"), [.q5_0], "--pure gives the embedding the type too")
        XCTAssertEqual(QuantizationPlan(target: .pure(.q6_K), tensors: tensors, layerCount: 2).tensors.first { $0.name == "token_embd.weight" }?.to, .q8_0)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q5_K, rowLength: 896), .q5_1)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q4_0, rowLength: 100), .f16, "a 32-block type that does not fit is F16")
    }

    func testTensorsComeInLlamaCppsOrderLayerThenName() {
        let tensors = layerTensors(12, width: 256, hidden: 512, biases: false).reversed()
        let names = QuantizationPlan(target: .pure(.q8_0), tensors: Array(tensors), layerCount: 12).tensors.map(\.name)
        XCTAssertEqual(Array(names.prefix(3)), ["output_norm.weight", "token_embd.weight", "blk.0.attn_k.weight"])
        XCTAssertLessThan(names.firstIndex(of: "blk.2.ffn_up.weight")!, names.firstIndex(of: "blk.10.attn_k.weight")!, "layer 2 before layer 10")
    }

    /// Q4_K_M on 24 layers: attn_v and ffn_down get Q6_K in layers 0–2, 21–23 and every
    /// third between (5, 8, …, 20); the output Q6_K; everything else Q4_K.
    func testQ4KMRaisesTheLayersThatMatter() {
        var tensors = layerTensors(24, width: 256, hidden: 512, biases: false)
        tensors.append(GGUFTensorInfo(name: "output.weight", shape: [256, 1000], type: .f32, offset: 0, byteCount: 0))
        let plan = QuantizationPlan(target: .mix(.q4_K_M), tensors: tensors, layerCount: 24)
        let raised = Set([0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23])
        XCTAssertEqual(types(plan, "attn_v.weight"), (0..<24).map { raised.contains($0) ? .q6_K : .q4_K })
        XCTAssertEqual(types(plan, "ffn_down.weight"), (0..<24).map { raised.contains($0) ? .q6_K : .q4_K })
        XCTAssertEqual(types(plan, "attn_q.weight"), Array(repeating: .q4_K, count: 24))
        XCTAssertEqual(types(plan, "output.weight"), [.q6_K])
        XCTAssertEqual(types(plan, "token_embd.weight"), [.q4_K], "an untied embedding keeps the base type")
    }

    func testMixesOnATiedQwenShape() {
        let tensors = layerTensors(24, width: 896, hidden: 4864, biases: true)
        let m = QuantizationPlan(target: .mix(.q4_K_M), tensors: tensors, layerCount: 24)
        XCTAssertEqual(types(m, "token_embd.weight"), [.q8_0], "tied to the output, and 896 does not fit Q6_K: Q8_0")
        XCTAssertEqual(m.tensors.first { $0.name == "blk.0.attn_v.weight" }.map(\.to), .q8_0, "Q6_K wanted, 896 falls back to Q8_0")
        XCTAssertEqual(m.tensors.first { $0.name == "blk.3.attn_v.weight" }.map(\.to), .q5_0, "Q4_K wanted, falls back to Q5_0")
        let s = QuantizationPlan(target: .mix(.q4_K_S), tensors: tensors, layerCount: 24)
        XCTAssertEqual(types(s, "ffn_down.weight"), (0..<24).map { $0 < 3 ? .q5_K : .q4_K }, "the first eighth gets Q5_K")
        XCTAssertEqual(types(s, "attn_v.weight"), (0..<24).map { $0 < 4 ? .q5_1 : .q5_0 }, "the first four attn_v: Q5_K → Q5_1")
        XCTAssertEqual(QuantTarget(name: "q5_k_m"), .mix(.q5_K_M))
        XCTAssertEqual(QuantTarget(name: "Q4_0")?.fileType, 2)
        XCTAssertEqual(QuantTarget(name: "Q3_K")?.fileType, 12, "as llama-quantize's Q3_K, which is Q3_K_M")
        XCTAssertNil(QuantTarget(name: "IQ2_XXS"), "no quantizer for the IQ types")
    }

    /// --token-embedding-type and --output-tensor-type override the target, single or mix,
    /// each on its own matrix only; a type the rows do not fit falls back.
    func testEmbeddingAndOutputTypesOverrideTheTarget() {
        var untied = layerTensors(2, width: 256, hidden: 512, biases: false)
        untied.append(GGUFTensorInfo(name: "output.weight", shape: [256, 1000], type: .f32, offset: 0, byteCount: 0))
        let pure = QuantizationPlan(target: .pure(.q4_1), tensors: untied, layerCount: 2, tokenEmbeddingType: .q8_0, outputType: .q6_K)
        XCTAssertEqual(types(pure, "token_embd.weight"), [.q8_0])
        XCTAssertEqual(types(pure, "output.weight"), [.q6_K])
        XCTAssertEqual(types(pure, "attn_q.weight"), [.q4_1, .q4_1], "the layers keep the target")
        let mix = QuantizationPlan(target: .mix(.q4_K_M), tensors: untied, layerCount: 2, outputType: .q8_0)
        XCTAssertEqual(types(mix, "output.weight"), [.q8_0], "instead of the mix's Q6_K")
        XCTAssertEqual(types(mix, "token_embd.weight"), [.q4_K], "not named: the mix's rule")

        let tied = layerTensors(2, width: 896, hidden: 4864, biases: true)
        let t = QuantizationPlan(target: .pure(.q4_0), tensors: tied, layerCount: 2, tokenEmbeddingType: .q6_K, outputType: .f16)
        XCTAssertEqual(types(t, "token_embd.weight"), [.q8_0], "Q6_K does not fit rows of 896: Q8_0; the output type has no matrix of its own")
        XCTAssertTrue(t.tensors.first { $0.name == "token_embd.weight" }!.fellBack)
        XCTAssertEqual(types(QuantizationPlan(target: .pure(.q4_0), tensors: tied, layerCount: 2, outputType: .f16), "token_embd.weight"), [.q4_0])
    }
}
