/// How a cell is drawn: a colour pair and attributes. Colours are abstract; the terminal
/// maps them to its palette (or ignores them without colour support).
public struct Style: Equatable, Hashable, Sendable {
    public enum Color: Int, Sendable, CaseIterable {
        case normal = 0, red, green, yellow, blue, magenta, cyan, white, gray
    }

    public var foreground: Color = .normal
    public var background: Color = .normal
    public var bold = false
    public var reverse = false
    public var dim = false
    public var underline = false

    public init(foreground: Color = .normal, background: Color = .normal, bold: Bool = false, reverse: Bool = false, dim: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
        self.underline = underline
    }

    public static let plain = Style()
    public static let bold = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let reverse = Style(reverse: true)
}
