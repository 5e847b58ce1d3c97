/// Identifies one conversation's sequence of tokens in the KV cache.
public struct SequenceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: Int
    public init(raw: Int) { self.raw = raw }
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.raw < b.raw }
    public var description: String { "#\(raw)" }
}

/// A bare number in JSON.
extension SequenceID: Codable {
    public init(from decoder: any Decoder) throws { raw = try decoder.singleValueContainer().decode(Int.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(raw)
    }
}
