import Testing
import Tensors

/// Records an issue unless `actual` has `expected`'s shape and every element is within
/// `absolute + relative · |expected|` (NaN must meet NaN; infinities must be equal). The message
/// gives the first bad index, both values and the max |Δ|.
public func expectClose(_ actual: Tensor, _ expected: Tensor, relative: Float, absolute: Float = 0,
                        _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("\(label): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    expectClose(actual.floats, expected.floats, relative: relative, absolute: absolute, label, sourceLocation: sourceLocation)
}

/// `expectClose` for arrays of floats.
public func expectClose(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float = 0,
                        _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    if let bad = firstMismatch(actual, expected, relative: relative, absolute: absolute) {
        Issue.record("\(label): element \(bad.index) is \(bad.actual), expected \(bad.expected) (max |Δ| \(maxAbsDiff(actual, expected)), tolerance \(absolute) + \(relative)·|expected|)",
                     sourceLocation: sourceLocation)
    }
}

/// Records an issue unless the two tensors hold bit-identical elements of the same shape and dtype.
public func expectIdentical(_ actual: Tensor, _ expected: Tensor, _ label: String = "",
                            sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape, actual.dtype == expected.dtype else {
        Issue.record("\(label): \(actual.dtype.rawValue) \(actual.shape), expected \(expected.dtype.rawValue) \(expected.shape)",
                     sourceLocation: sourceLocation)
        return
    }
    let a = Array(actual.rawBytes), b = Array(expected.rawBytes)
    if a != b {
        let i = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        Issue.record("\(label): bytes differ first at byte \(i)", sourceLocation: sourceLocation)
    }
}
