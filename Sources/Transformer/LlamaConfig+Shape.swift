import PyramidDrop

extension LlamaConfig {
    /// The decoder's sizes, as the family-neutral `LanguageModel` reports them.
    public var decoderShape: DecoderShape {
        DecoderShape(hiddenSize: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount,
                     headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim)
    }
}
