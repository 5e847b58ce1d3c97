import Foundation

/// An in-memory grid of cells that views draw into. The terminal copies it to the screen
/// (only what changed); tests read it cell by cell.
///
/// A wide character occupies its cell and marks the next as a continuation (`nil`).
public struct ScreenBuffer: Equatable, Sendable {
    public struct Cell: Equatable, Sendable {
        /// nil for the second column of a wide character.
        public var character: Character?
        public var style: Style
    }

    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal cursor goes after drawing (the input line's caret).
    public var cursor: (x: Int, y: Int)? = nil

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(character: " ", style: .plain), count: self.width * self.height)
    }

    public static func == (a: ScreenBuffer, b: ScreenBuffer) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursor?.x == b.cursor?.x && a.cursor?.y == b.cursor?.y
    }

    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return Cell(character: " ", style: .plain) }
        return cells[y * width + x]
    }

    /// Writes `text` from column `x` of row `y`, clipped to the screen and to `maxX`
    /// (exclusive); text that does not fit ends in "…" in its last column, so a cut is never
    /// mistaken for the whole. Returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxX: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(width, maxX ?? width)
        var column = x
        var lastStart = -1  // where the last character written starts
        for character in text {
            let w = displayWidth(character)
            if w == 0 { continue }
            if column + w > limit {
                // The last column shown becomes the ellipsis (a wide character gives up both).
                let at = column < limit ? column : lastStart
                if at >= 0, at >= x, at < limit {
                    cells[y * width + at] = Cell(character: "…", style: style)
                    if at + 1 < min(width, column) { cells[y * width + at + 1] = Cell(character: " ", style: style) }
                    column = at + 1
                }
                break
            }
            lastStart = column
            if column >= 0 {
                cells[y * width + column] = Cell(character: character, style: style)
                if w == 2 { cells[y * width + column + 1] = Cell(character: nil, style: style) }
            }
            column += w
        }
        return column
    }

    /// Fills a rectangle with spaces in `style`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: Style = .plain) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) {
                cells[row * width + column] = Cell(character: " ", style: style)
            }
        }
    }

    /// Row `y` as text (continuation cells skipped).
    public func row(_ y: Int) -> String {
        String((0..<width).compactMap { self[$0, y].character })
    }

    /// The whole screen as lines, trailing spaces removed.
    public var text: String {
        (0..<height).map { row($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
    }
}
