import Foundation
import PyramidDrop
import Testing

@Suite struct DropScheduleTests {
    @Test func pyramidKeepCountsAreCumulativeFloors() throws {
        let schedule = try DropSchedule.pyramid(boundaries: [8, 16, 24], lambda: 0.5)
        #expect((0..<3).map { schedule.keepCount(stage: $0, imageTokens: 576) } == [288, 144, 72])
        #expect((0..<3).map { schedule.keepCount(stage: $0, imageTokens: 2880) } == [1440, 720, 360])
        #expect(schedule.imageTokensPerLayer(layerCount: 32, imageTokens: 576)
            == Array(repeating: 576, count: 8) + Array(repeating: 288, count: 8) + Array(repeating: 144, count: 8) + Array(repeating: 72, count: 8))
    }

    /// λ^s is rounded to 10 decimals like the reference's decimal ratio lists: 0.6³ = 0.216, so
    /// 625 · 0.216 floors to 135 (the raw double 0.21599999999999997 would give 134).
    @Test func ratiosRoundedToTenDecimals() throws {
        let schedule = try DropSchedule.pyramid(boundaries: [1, 2, 3], lambda: 0.6)
        #expect(schedule.keepCount(stage: 2, imageTokens: 625) == 135)
        #expect(Int((625 * pow(0.6, 3)).rounded(.down)) == 134)  // Python: int(625 * 0.6 ** 3)
    }

    /// FastV keeps round(N·(1−R)) with halves to even, as Python's round.
    @Test func fastVRoundsHalfToEven() throws {
        #expect(try DropSchedule.fastV(k: 2, dropRatio: 0.5).keepCount(stage: 0, imageTokens: 576) == 288)
        #expect(try DropSchedule.fastV(k: 2, dropRatio: 0.5).keepCount(stage: 0, imageTokens: 5) == 2)
        #expect(try DropSchedule.fastV(k: 2, dropRatio: 0.5).keepCount(stage: 0, imageTokens: 7) == 4)
        #expect(try DropSchedule.fastV(k: 2, dropRatio: 0.75).keepCount(stage: 0, imageTokens: 10) == 2)
    }

    @Test func explicitBudgets() throws {
        let ratios = try DropSchedule(boundaries: [2, 8, 16], budget: .ratios([0.5, 0.25, 0.125], roundToEven: false))
        #expect(ratios.imageTokensPerLayer(layerCount: 17, imageTokens: 100).suffix(2) == [25, 12])
        let counts = try DropSchedule(boundaries: [2, 6, 15], budget: .counts([300, 200, 110]))
        #expect(counts.imageTokensPerLayer(layerCount: 16, imageTokens: 576) == [576, 576] + Array(repeating: 300, count: 4)
            + Array(repeating: 200, count: 9) + [110])
    }

    @Test func invalidSchedulesAreRejected() throws {
        #expect(throws: PyramidDropError.boundariesNotIncreasing([8, 8, 24])) {
            try DropSchedule.pyramid(boundaries: [8, 8, 24], lambda: 0.5)
        }
        #expect(throws: PyramidDropError.boundaryOutOfRange(boundary: 0, layerCount: 0)) {
            try DropSchedule.pyramid(boundaries: [0, 8], lambda: 0.5)
        }
        #expect(throws: PyramidDropError.invalidRatio(0)) { try DropSchedule.pyramid(boundaries: [8], lambda: 0) }
        #expect(throws: PyramidDropError.invalidRatio(1.5)) { try DropSchedule.pyramid(boundaries: [8], lambda: 1.5) }
        #expect(throws: PyramidDropError.budgetCountMismatch(boundaries: 2, budgets: 1)) {
            try DropSchedule(boundaries: [2, 4], budget: .counts([5]))
        }
        #expect(throws: PyramidDropError.budgetIncreasing([0.25, 0.5])) {
            try DropSchedule(boundaries: [2, 4], budget: .ratios([0.25, 0.5], roundToEven: false))
        }
        let schedule = try DropSchedule.pyramid(boundaries: [8, 16, 32], lambda: 0.5)
        #expect(throws: PyramidDropError.boundaryOutOfRange(boundary: 32, layerCount: 32)) {
            try schedule.validate(layerCount: 32)
        }
    }
}
