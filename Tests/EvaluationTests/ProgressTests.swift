import Evaluation
import Foundation
import Testing

/// The progress display: a bar redrawn in place on a terminal, plain lines no more often than the
/// interval otherwise (always the last one).
@Suite struct ProgressTests {
    final class Capture: @unchecked Sendable {
        var text = ""
    }

    @Test func aBarOnATerminal() {
        let out = Capture()
        let progress = EvalProgress(total: 4, alreadyDone: 0, terminal: true, interval: 10) { out.text += $0 }
        progress.update(done: 0, policy: "none")
        progress.update(done: 2, policy: "pdrop")
        progress.finish()
        #expect(out.text.hasPrefix("\r[" + String(repeating: ".", count: 30) + "] 0/4 samples, ETA –, none"))
        #expect(out.text.contains("\r[" + String(repeating: "#", count: 15) + String(repeating: ".", count: 15) + "] 2/4 samples, ETA "))
        #expect(out.text.contains(", pdrop\u{1B}[K") && out.text.hasSuffix("\n"))
    }

    @Test func plainLinesAtMostEveryInterval() {
        let out = Capture()
        let progress = EvalProgress(total: 3, alreadyDone: 1, terminal: false, interval: 3600) { out.text += $0 }
        progress.update(done: 1, policy: "none")
        progress.update(done: 2, policy: "none")   // within the interval: nothing
        progress.update(done: 3, policy: "done")   // the end: always
        progress.finish()
        let lines = out.text.split(separator: "\n")
        #expect(lines.count == 2, "\(out.text)")
        #expect(lines.first == "[pdrop eval] 1/3 samples, ETA –, none")
        #expect(lines.last == "[pdrop eval] 3/3 samples, ETA 0 s, done")
    }
}
