import CStb

extension RGBImage {
    /// The image encoded as PNG (stb_image_write), in memory; write it with an atomic file writer.
    public func pngData() throws(ImagingError) -> [UInt8] {
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        let written = pixels.withUnsafeBytes { raw in
            stbi_write_png_to_func({ context, data, size in
                guard let context, let data, size > 0 else { return }
                let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: Int(size)))
            }, Unmanaged.passUnretained(sink).toOpaque(), Int32(width), Int32(height), 3, raw.baseAddress, Int32(width * 3))
        }
        guard written != 0 else { throw .invalidArgument("PNG encoding of a \(width)×\(height) image failed") }
        return sink.bytes
    }
}
