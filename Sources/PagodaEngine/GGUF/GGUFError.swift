/// A problem with a GGUF file, phrased as one line that names the file, the field and what is wrong:
/// `model.gguf: tensor 'blk.3.attn_q.weight': data ends at byte 9876543210, file has 98362432 bytes`.
public struct GGUFError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file's name (last path component), or a label for in-memory data.
    public let file: String
    /// Which part of the file: `header`, `metadata 'general.name'`, `tensor 'output.weight'`…
    public let field: String
    /// What is wrong, in words.
    public let problem: String

    public init(file: String, field: String, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    /// One line; the parts can hold text from the file, so they are printed escaped
    /// (`UntrustedText`) and cut to a readable length.
    public var description: String {
        "\(UntrustedText.escaped(file, limit: 120)): \(UntrustedText.escaped(field, limit: 160)): \(UntrustedText.escaped(problem, limit: 400))"
    }
}
