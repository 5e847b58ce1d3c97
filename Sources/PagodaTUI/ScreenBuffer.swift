/// An in-memory grid of character cells that views draw into. The terminal front copies it
/// to ncurses; tests read it cell by cell.
public struct ScreenBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Character]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: " ", count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Character {
        guard x >= 0, y >= 0, x < width, y < height else { return " " }
        return cells[y * width + x]
    }

    /// Writes `text` from column `x` of row `y`, clipped to the screen.
    public mutating func put(_ text: String, x: Int, y: Int) {
        guard y >= 0, y < height else { return }
        var column = x
        for character in text {
            if column >= width { break }
            if column >= 0 { cells[y * width + column] = character }
            column += 1
        }
    }

    /// Row `y` as a string, trailing spaces kept.
    public func row(_ y: Int) -> String {
        String((0..<width).map { self[$0, y] })
    }
}
