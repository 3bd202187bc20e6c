/// What `--help` says about each token policy and its budget.
enum PolicyOptions {
    static let discussion = """
    pdrop      PyramidDrop: before each of --layers, keep --ratio of the image tokens by the last \
    token's attention (in the decoder).
    fastv      FastV: after layer --fastv-k − 1, drop --fastv-ratio of them (in the decoder).
    random     a seeded random subset at PyramidDrop's stages (a baseline; --seed).
    none       keep every token.
    fastervlm  before the projector, keep the N patches of each crop with the highest [CLS] \
    attention (N per tile on LLaVA-NeXT, base crop included).
    visionzip  per crop, N tokens: round(27N/32) dominant ([CLS] included) by [CLS] attention, \
    the rest merged from the others by key similarity (N per tile on LLaVA-NeXT).
    divprune   before the decoder, the N most diverse image tokens (max–min cosine distance) over \
    the whole image block.
    dart       after layer 1, 4 key-norm pivots per modality, each taking the least similar image \
    tokens: 4 + 8·⌊N/8⌋ image tokens over the whole block (the image pivots on top of N).
    Compose one pre-decoder policy with one in-decoder policy with '+': --policy visionzip+pdrop \
    --budget 192 lets 192 tokens per crop in and PyramidDrop prunes those. A part may carry its own \
    budget: visionzip:128+dart:64.
    """
}
