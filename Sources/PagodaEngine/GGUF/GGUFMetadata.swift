/// The key/value metadata of a GGUF file, in file order, with typed accessors that throw
/// a `GGUFError` naming the key and what was expected.
public struct GGUFMetadata: Equatable, Sendable {
    /// Entries in the order they appear in the file (the writer keeps this order).
    public private(set) var entries: [(key: String, value: GGUFValue)] = []
    private var indexByKey: [String: Int] = [:]
    /// Name used in error messages (the file's name).
    public var source: String

    public init(source: String = "metadata") {
        self.source = source
    }

    public static func == (a: GGUFMetadata, b: GGUFMetadata) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }

    public subscript(key: String) -> GGUFValue? {
        indexByKey[key].map { entries[$0].value }
    }

    /// Sets `key`, replacing an existing value in place or appending a new entry.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = indexByKey[key] {
            entries[index].value = value
        } else {
            indexByKey[key] = entries.count
            entries.append((key, value))
        }
    }

    public mutating func remove(_ key: String) {
        guard let index = indexByKey[key] else { return }
        entries.remove(at: index)
        indexByKey = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
    }

    public func contains(_ key: String) -> Bool { indexByKey[key] != nil }

    // MARK: - Typed accessors

    private func problem(_ key: String, _ text: String) -> GGUFError {
        GGUFError(file: source, field: "metadata '\(key)'", problem: text)
    }

    private func require(_ key: String) throws -> GGUFValue {
        guard let value = self[key] else { throw problem(key, "missing") }
        return value
    }

    /// Any integer type that fits `Int`.
    public func int(_ key: String) throws -> Int {
        let value = try require(key)
        guard let result = value.integerValue else {
            throw problem(key, "expected an integer, found \(value.type.name) \(value.summary)")
        }
        return result
    }

    public func int(_ key: String, default fallback: Int) throws -> Int {
        contains(key) ? try int(key) : fallback
    }

    /// Any number type (float32, float64 or an integer), as Float.
    public func float(_ key: String) throws -> Float {
        let value = try require(key)
        guard let result = value.numberValue else {
            throw problem(key, "expected a number, found \(value.type.name) \(value.summary)")
        }
        return Float(result)
    }

    public func float(_ key: String, default fallback: Float) throws -> Float {
        contains(key) ? try float(key) : fallback
    }

    public func string(_ key: String) throws -> String {
        let value = try require(key)
        guard case .string(let s) = value else {
            throw problem(key, "expected a string, found \(value.type.name) \(value.summary)")
        }
        return s
    }

    public func string(_ key: String, default fallback: String?) throws -> String? {
        contains(key) ? try string(key) : fallback
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try require(key)
        guard case .bool(let b) = value else {
            throw problem(key, "expected a bool, found \(value.type.name) \(value.summary)")
        }
        return b
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        contains(key) ? try bool(key) : fallback
    }

    private func array(_ key: String) throws -> (GGUFValueType, [GGUFValue]) {
        let value = try require(key)
        guard case .array(let type, let items) = value else {
            throw problem(key, "expected an array, found \(value.type.name) \(value.summary)")
        }
        return (type, items)
    }

    public func strings(_ key: String) throws -> [String] {
        let (type, items) = try array(key)
        return try items.map {
            guard case .string(let s) = $0 else { throw problem(key, "expected an array of strings, found one of \(type.name)") }
            return s
        }
    }

    public func ints(_ key: String) throws -> [Int] {
        let (type, items) = try array(key)
        return try items.map {
            guard let i = $0.integerValue else { throw problem(key, "expected an array of integers, found one of \(type.name)") }
            return i
        }
    }

    public func floats(_ key: String) throws -> [Float] {
        let (type, items) = try array(key)
        return try items.map {
            guard let x = $0.numberValue else { throw problem(key, "expected an array of numbers, found one of \(type.name)") }
            return Float(x)
        }
    }

    /// Integer or array of integers: some models store per-layer values as arrays
    /// (for instance `head_count_kv`). Returns the one value, or throws if they differ.
    public func uniformInt(_ key: String) throws -> Int {
        if case .array = try require(key) {
            let values = try ints(key)
            guard let first = values.first, values.allSatisfy({ $0 == first }) else {
                throw problem(key, "per-layer values differ (\(values.prefix(8).map(String.init).joined(separator: ", "))…), which is not supported")
            }
            return first
        }
        return try int(key)
    }
}
