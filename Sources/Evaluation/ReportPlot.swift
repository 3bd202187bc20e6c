import CCairo
import Foundation

/// The report's picture: one labelled point per policy, score (or, on data without reference
/// answers, agreement with `none`) against mean prefill time, with axes, ticks and units. Drawn
/// with cairo, as a PNG and as an SVG.
public struct ReportPlot {
    public struct Point: Sendable, Equatable {
        public var label: String
        public var x: Double
        public var y: Double
    }

    public let points: [Point]
    public let xLabel: String
    public let yLabel: String
    public let title: String
    static let width = 880.0, height = 600.0
    static let margin = (left: 90.0, right: 40.0, top: 60.0, bottom: 70.0)

    /// The plot of `report`'s summaries.
    public init(_ report: EvalReport) {
        let scored = report.summaries.allSatisfy { $0.score != nil }
        points = report.summaries.compactMap { s in
            let y = scored ? s.score : (s.agreement ?? (s.policy == "none" ? 1 : nil))
            return y.map { Point(label: s.policy, x: s.prefillSeconds, y: 100 * $0) }
        }
        xLabel = "mean prefill time per sample (s)"
        yLabel = scored ? "score (%, " + Set(report.summaries.flatMap(\.metrics)).sorted().joined(separator: ", ") + ")" : "agreement with none (%)"
        let first = report.manifests[0]
        title = "\(URL(fileURLWithPath: first.model).lastPathComponent) on \(URL(fileURLWithPath: first.data).lastPathComponent): \(first.totalSamples) samples"
    }

    /// Writes the PNG to `png` and the SVG to `svg`, each through a temporary file renamed into place.
    public func write(png: String, svg: String) throws {
        let image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(Self.width), Int32(Self.height))
        defer { cairo_surface_destroy(image) }
        draw(on: image)
        try Self.atomically(png) { temporary in
            guard cairo_surface_write_to_png(image, temporary) == CAIRO_STATUS_SUCCESS else {
                throw EvaluationError.invalid("\(png): cairo could not write the PNG")
            }
        }
        try Self.atomically(svg) { temporary in
            let surface = cairo_svg_surface_create(temporary, Self.width, Self.height)
            draw(on: surface)
            cairo_surface_finish(surface)
            let status = cairo_surface_status(surface)
            cairo_surface_destroy(surface)
            guard status == CAIRO_STATUS_SUCCESS else { throw EvaluationError.invalid("\(svg): cairo could not write the SVG") }
        }
    }

    static func atomically(_ path: String, _ body: (String) throws -> Void) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try body(temporary)
            guard rename(temporary, path) == 0 else { throw EvaluationError.invalid("\(path): cannot rename \(temporary) into place") }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Round tick positions covering `low...high`, about five of them.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let span = max(high - low, 1e-9)
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        return stride(from: (low / step).rounded(.up) * step, through: high + step * 1e-9, by: step).map { $0 }
    }

    /// The axes' ranges: from 0 s to a little past the slowest policy; the scores with a margin, within 0–100 %.
    var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let xMax = max(points.map(\.x).max() ?? 1, 1e-3) * 1.15
        let ys = points.map(\.y)
        let (low, high) = (ys.min() ?? 0, ys.max() ?? 100)
        let pad = max((high - low) * 0.15, 2)
        return (0...xMax, max(0, low - pad)...min(100, high + pad))
    }

    private func draw(on surface: OpaquePointer?) {
        let cr = cairo_create(surface)
        defer { cairo_destroy(cr) }
        let (m, w, h) = (Self.margin, Self.width, Self.height)
        let plot = (x0: m.left, y0: h - m.bottom, x1: w - m.right, y1: m.top)
        let (xr, yr) = ranges
        func px(_ x: Double) -> Double { plot.x0 + (x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * (plot.x1 - plot.x0) }
        func py(_ y: Double) -> Double { plot.y0 - (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * (plot.y0 - plot.y1) }

        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)

        // Grid and ticks.
        cairo_set_line_width(cr, 1)
        cairo_set_font_size(cr, 13)
        for x in Self.ticks(xr.lowerBound, xr.upperBound) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9)
            line(cr, px(x), plot.y0, px(x), plot.y1)
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.2)
            text(cr, Self.format(x), at: px(x), plot.y0 + 20, align: 0.5)
        }
        for y in Self.ticks(yr.lowerBound, yr.upperBound) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9)
            line(cr, plot.x0, py(y), plot.x1, py(y))
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.2)
            text(cr, Self.format(y), at: plot.x0 - 8, py(y) + 4, align: 1)
        }
        // Axes.
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_set_line_width(cr, 1.5)
        line(cr, plot.x0, plot.y0, plot.x1, plot.y0)
        line(cr, plot.x0, plot.y0, plot.x0, plot.y1)
        cairo_set_font_size(cr, 15)
        text(cr, xLabel, at: (plot.x0 + plot.x1) / 2, h - 22, align: 0.5)
        cairo_save(cr)
        cairo_translate(cr, 24, (plot.y0 + plot.y1) / 2)
        cairo_rotate(cr, -Double.pi / 2)
        text(cr, yLabel, at: 0, 0, align: 0.5)
        cairo_restore(cr)
        cairo_set_font_size(cr, 17)
        text(cr, title, at: w / 2, 32, align: 0.5)

        // Points, then labels placed beside them where they overlap no label placed before.
        cairo_set_font_size(cr, 14)
        for point in points {
            cairo_set_source_rgb(cr, 0.12, 0.38, 0.75)
            cairo_arc(cr, px(point.x), py(point.y), 6, 0, 2 * Double.pi)
            cairo_fill(cr)
        }
        cairo_set_source_rgb(cr, 0, 0, 0)
        var placed: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []
        for point in points {
            var extents = cairo_text_extents_t()
            cairo_text_extents(cr, point.label, &extents)
            let right = px(point.x) + 10 + extents.x_advance > plot.x1
            let x0 = right ? px(point.x) - 10 - extents.x_advance : px(point.x) + 10
            let box = { (baseline: Double) in (x0: x0, y0: baseline - 14, x1: x0 + extents.x_advance, y1: baseline + 4) }
            let baselines = [-8.0, -26, -44, -62, 22, 40].map { py(point.y) + $0 }.filter { $0 - 14 > plot.y1 && $0 + 4 < plot.y0 }
            let baseline = baselines.first { candidate in
                let b = box(candidate)
                return !placed.contains { $0.x0 < b.x1 && b.x0 < $0.x1 && $0.y0 < b.y1 && b.y0 < $0.y1 }
            } ?? baselines.first ?? py(point.y) - 8
            placed.append(box(baseline))
            text(cr, point.label, at: x0, baseline, align: 0)
        }
    }

    private func line(_ cr: OpaquePointer?, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) {
        cairo_move_to(cr, x0, y0)
        cairo_line_to(cr, x1, y1)
        cairo_stroke(cr)
    }

    /// Draws `string` with its baseline at `y`, `align` 0 (left) … 1 (right) of `x`.
    private func text(_ cr: OpaquePointer?, _ string: String, at x: Double, _ y: Double, align: Double) {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, string, &extents)
        cairo_move_to(cr, x - align * extents.x_advance, y)
        cairo_show_text(cr, string)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: value < 1 ? "%.3g" : "%.4g", value)
    }
}
