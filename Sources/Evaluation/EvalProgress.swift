import Foundation

/// Progress of a shard on standard error: on a terminal a bar redrawn in place (samples done of
/// total, ETA, the policy running), otherwise a plain line at most every `interval` seconds and
/// at the end.
public final class EvalProgress {
    public let total: Int
    private let terminal: Bool
    private let interval: TimeInterval
    private let start = Date()
    private var lastLine = Date.distantPast
    /// Samples already done when this run began (resumed), so the ETA counts this run's pace only.
    private let resumed: Int
    private let write: (String) -> Void

    public init(total: Int, alreadyDone: Int, terminal: Bool = isatty(2) != 0, interval: TimeInterval = 10,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        resumed = alreadyDone
        self.terminal = terminal
        self.interval = interval
        self.write = write
    }

    /// Reports `done` samples finished, `policy` running now.
    public func update(done: Int, policy: String) {
        let now = Date()
        guard terminal || now.timeIntervalSince(lastLine) >= interval || done == total else { return }
        lastLine = now
        let status = "\(done)/\(total) samples, ETA \(eta(done: done, now: now)), \(policy)"
        if terminal {
            let width = 30, filled = total > 0 ? width * done / total : width
            write("\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + status + "\u{1B}[K")
        } else {
            write("[pdrop eval] " + status + "\n")
        }
    }

    /// Ends the bar's line on a terminal.
    public func finish() {
        if terminal { write("\n") }
    }

    func eta(done: Int, now: Date) -> String {
        let pace = done > resumed ? now.timeIntervalSince(start) / Double(done - resumed) : 0
        guard pace > 0 else { return done >= total ? "0 s" : "–" }
        let seconds = Int((Double(total - done) * pace).rounded())
        return seconds >= 3600 ? "\(seconds / 3600) h \(seconds % 3600 / 60) min"
            : seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds) s"
    }
}
