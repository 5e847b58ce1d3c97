/// Token id in a model's vocabulary.
public typealias TokenID = Int32
