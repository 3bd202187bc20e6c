#!/usr/bin/env python3
"""Writes the Imaging test fixtures: small images and what Pillow / transformers make of them.

Run by hand from the repository root (Pillow 13, numpy, transformers 5 without torchvision, so that
transformers picks its Pillow-based processors):

    /work/venv/bin/python Tests/Fixtures/images/make_image_fixtures.py

Outputs, next to this script:
  *.jpg *.png *.gif *.bmp   the test images (a few KB each)
  expected.bin              every expected array, concatenated (little-endian)
  manifest.json             {"arrays": {name: {dtype, shape, offset, length}}, "tables": ..., "versions": ...}

Arrays:
  decode/<file>             u8 [h,w,3]  Image.open(file).convert("RGB")          (alpha dropped)
  decode_white/<file>       u8 [h,w,3]  transformers' convert_to_rgb              (alpha composited on white)
  resize/<src>/<w>x<h>      u8 [h,w,3]  decoded <src>.resize((w, h), Image.BICUBIC)
  clip/<size>/<file>        f32 [3,s,s] CLIPImageProcessorPil(shortest_edge=s, crop=s) pixel_values[0]
  clip336/<file>/codes      u8 [3,336,336] and clip336/<file>/table f32 [3,256]: the 336 pixel_values,
                            stored losslessly as pixel_values[c,y,x] = table[c, codes[c,y,x]] (checked here)
  clippad/<size>/<file>     f32 [3,s,s] original LLaVA: expand2square(img, (122,116,104)) then the above
  crop/<file>/<w>x<h>       u8 [h,w,3]  transformers' center_crop of the decoded file (incl. padding cases)
  next/<file>               f32 [n,3,t,t] LlavaNextImageProcessorPil(tile t=28, pinpoints scaled by 28/336)
Digests (JSON, SHA-256 of the little-endian bytes, for big.jpg 640x480 and tallbig.jpg 360x800):
  decode, the shortest-edge-336 resize, clip/336, clippad/336 and next/336 (default pinpoints).
Tables (JSON): shortest-edge output sizes, best resolutions, aspect-fit (patch output) sizes.
"""

import hashlib
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

import transformers
from transformers.image_processing_utils import get_patch_output_size, select_best_resolution
from transformers.image_transforms import center_crop, convert_to_rgb, get_resize_output_image_size
from transformers.image_utils import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, ChannelDimension
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

HERE = Path(__file__).resolve().parent
RNG = np.random.default_rng(20260101)


# MARK: - Images


def photo(width, height, noise=12.0):
    """A photo-like RGB array: smooth gradients, waves, hard-edged shapes and noise."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / max(width - 1, 1), y / max(height - 1, 1)
    r = 40 + 180 * u + 25 * np.sin(7 * v + 3 * u)
    g = 60 + 150 * v + 30 * np.cos(5 * u * v + 1)
    b = 200 - 120 * u * v + 20 * np.sin(11 * u)
    img = np.stack([r, g, b], axis=-1)
    # A dark disc and a bright box with sharp edges.
    disc = (x - 0.3 * width) ** 2 + (y - 0.6 * height) ** 2 < (0.2 * min(width, height)) ** 2
    img[disc] = [25, 30, 45]
    box = (x > 0.6 * width) & (x < 0.85 * width) & (y > 0.15 * height) & (y < 0.45 * height)
    img[box] = [250, 240, 60]
    img += RNG.normal(0, noise, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def to_bytes(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def huge_png():
    """A valid PNG signature and IHDR declaring 100000 x 100000 RGB pixels, then a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + png_chunk(b"IEND", b""))


def bmp_bytes(width, height, bits, rows, compression=0, masks=b"", palette=b""):
    """A BMP with a 40-byte info header; `rows` top to bottom (stored bottom-up), unpadded."""
    stride = ((bits * width + 31) // 32) * 4
    data = b"".join(r.ljust(stride, b"\0") for r in reversed(rows)) if compression in (0, 3) else b"".join(rows)
    offset = 14 + 40 + len(masks) + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(data), 2835, 2835,
                       len(palette) // 4, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + masks + palette + data


def write_images():
    """Writes the test images and returns {file name: bytes}."""
    files = {}
    base = Image.fromarray(photo(97, 61))
    files["photo420.jpg"] = to_bytes(base, "JPEG", quality=90, subsampling=2)
    files["photo422.jpg"] = to_bytes(base, "JPEG", quality=85, subsampling=1)
    files["photo444.jpg"] = to_bytes(base, "JPEG", quality=92, subsampling=0)
    files["progressive.jpg"] = to_bytes(base, "JPEG", quality=80, progressive=True)
    files["gray.jpg"] = to_bytes(Image.fromarray(photo(45, 38)[..., 1]), "JPEG", quality=90)
    files["cmyk.jpg"] = to_bytes(Image.fromarray(photo(33, 21)).convert("CMYK"), "JPEG", quality=90)
    whole = files["photo420.jpg"]
    files["truncated.jpg"] = whole[: len(whole) * 3 // 5]
    # Cut short but closed with an EOI marker: libjpeg warns "premature end of data segment",
    # Pillow decodes it anyway (grey fill) and so must we.
    files["cut_eoi.jpg"] = whole[: len(whole) // 2] + b"\xff\xd9"

    rgba = np.dstack([photo(23, 17), np.linspace(0, 255, 23 * 17).reshape(17, 23).astype(np.uint8)])
    files["rgba.png"] = to_bytes(Image.fromarray(rgba, "RGBA"), "PNG")
    files["gray.png"] = to_bytes(Image.fromarray(photo(19, 13)[..., 0]), "PNG")
    la = np.dstack([photo(15, 11)[..., 2], RNG.integers(0, 256, (11, 15), dtype=np.uint8)])
    files["gray_alpha.png"] = to_bytes(Image.fromarray(la, "LA"), "PNG")
    pal = Image.fromarray(photo(21, 14)).quantize(16)
    files["palette_trns.png"] = to_bytes(pal, "PNG", transparency=3)
    g16 = (np.linspace(0, 1000, 17 * 9).reshape(9, 17)).astype(np.uint16)
    files["gray16.png"] = to_bytes(Image.fromarray(g16), "PNG")  # Pillow: mode I;16
    files["palette.gif"] = to_bytes(Image.fromarray(photo(29, 18)).quantize(32), "GIF")
    files["transparent.gif"] = to_bytes(Image.fromarray(photo(16, 12)).quantize(8), "GIF", transparency=2)
    files["image.bmp"] = to_bytes(Image.fromarray(photo(27, 15)), "BMP")
    files["palette.bmp"] = to_bytes(Image.fromarray(photo(13, 10)).quantize(12), "BMP")
    # Where stb_image and Pillow differ for BMP: 16-bit scaling, the padding byte of 32-bit BI_RGB.
    v = RNG.integers(0, 1 << 16, (5, 9), dtype=np.uint16)
    rows16 = [b"".join(struct.pack("<H", int(x)) for x in row) for row in v]
    files["bmp555.bmp"] = bmp_bytes(9, 5, 16, [b"".join(struct.pack("<H", int(x) & 0x7FFF) for x in row) for row in v])
    files["bmp565.bmp"] = bmp_bytes(9, 5, 16, rows16, compression=3,
                                    masks=struct.pack("<III", 0xF800, 0x07E0, 0x001F))
    files["bmp32.bmp"] = bmp_bytes(6, 4, 32, [bytes(r.reshape(-1)) for r in RNG.integers(0, 256, (4, 6, 4), dtype=np.uint8)])
    # RLE8 (2x2, blue over red): Pillow decodes it, stb_image cannot; refused as unsupported.
    files["rle8.bmp"] = bmp_bytes(2, 2, 8, [b"\x02\x00\x00\x00", b"\x02\x01\x00\x01"], compression=1,
                                  palette=b"\x00\x00\xff\x00\xff\x00\x00\x00")
    files["truncated.gif"] = files["palette.gif"][:-5]
    # First frames smaller than the logical screen (background index 5, which Pillow ignores).
    for name in ("palette.gif", "transparent.gif"):
        gif = bytearray(files[name])
        gif[6] += 4
        gif[8] += 3
        gif[11] = 5
        files["partial_" + name] = bytes(gif)
    files["truncated.bmp"] = files["image.bmp"][:-10]
    files["png_named.jpg"] = files["gray.png"]  # the format comes from magic bytes, not the name
    files["huge.png"] = huge_png()
    files["empty.jpg"] = b""
    files["garbage.png"] = b"this is not an image at all\n" * 3
    bad = bytearray(files["rgba.png"])
    bad[60:80] = b"\x00" * 20  # inside IDAT: zlib / CRC garbage
    files["corrupt.png"] = bytes(bad)

    # Inputs for the preprocessing tests (lossless, so decoding is trivially exact).
    files["wide.png"] = to_bytes(Image.fromarray(photo(120, 50, noise=4)), "PNG")
    files["tall.png"] = to_bytes(Image.fromarray(photo(45, 110, noise=4)), "PNG")
    files["square.png"] = to_bytes(Image.fromarray(photo(60, 60, noise=4)), "PNG")
    files["small.png"] = to_bytes(Image.fromarray(photo(20, 15, noise=4)), "PNG")
    files["large.png"] = to_bytes(Image.fromarray(photo(150, 96, noise=3)), "PNG")
    # Real-sized photos for end-to-end checks at 336 (compared through SHA-256 digests).
    files["big.jpg"] = to_bytes(Image.fromarray(photo(640, 480, noise=5)), "JPEG", quality=75)
    files["tallbig.jpg"] = to_bytes(Image.fromarray(photo(360, 800, noise=5)), "JPEG", quality=75)
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    return files


# MARK: - Expected arrays


class Store:
    """Expected arrays, concatenated into one little-endian blob with a name -> location index."""

    def __init__(self):
        self.blob = bytearray()
        self.arrays = {}

    def add(self, name, array):
        array = np.ascontiguousarray(array)
        dtype = {np.dtype(np.uint8): "u8", np.dtype(np.float32): "f32"}[array.dtype]
        assert name not in self.arrays, name
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        self.arrays[name] = {"dtype": dtype, "shape": list(array.shape), "offset": len(self.blob),
                             "length": len(data)}
        self.blob += data


def decoded(name):
    with Image.open(HERE / name) as im:
        return np.asarray(im.convert("RGB"))


def decoded_white(name):
    with Image.open(HERE / name) as im:
        return convert_to_rgb(im, return_numpy=True)


def expand2square(pil_img, background_color):
    """Original LLaVA (llava/mm_utils.py)."""
    width, height = pil_img.size
    if width == height:
        return pil_img
    if width > height:
        result = Image.new(pil_img.mode, (width, width), background_color)
        result.paste(pil_img, (0, (width - height) // 2))
        return result
    result = Image.new(pil_img.mode, (height, height), background_color)
    result.paste(pil_img, ((height - width) // 2, 0))
    return result


def clip_processor(size):
    return CLIPImageProcessorPil(size={"shortest_edge": size}, crop_size={"height": size, "width": size})


def main():
    assert PIL.__version__.split(".")[0] == "13", PIL.__version__
    files = write_images()
    store = Store()

    # (tall/square/large.png are RGB PNGs like wide.png and small.png: skipped to keep the fixtures small.)
    decodable = [n for n in files if n.split(".")[0] not in
                 ("truncated", "huge", "empty", "garbage", "corrupt", "tall", "square", "large",
                  "big", "tallbig", "rle8")]
    for name in decodable:
        store.add(f"decode/{name}", decoded(name))
    for name in ("rgba.png", "gray_alpha.png", "palette_trns.png", "transparent.gif", "partial_transparent.gif"):
        store.add(f"decode_white/{name}", decoded_white(name))
    for name in ("photo420.jpg", "palette.gif", "gray.png", "bmp32.bmp", "partial_palette.gif"):  # no alpha: compositing changes nothing
        assert np.array_equal(decoded_white(name), decoded(name))
    for name in ("truncated.jpg", "huge.png", "empty.jpg", "garbage.png", "corrupt.png", "truncated.gif",
                 "truncated.bmp"):
        try:
            with Image.open(HERE / name) as im:
                im.load()
            raise AssertionError(f"Pillow decoded {name}")
        except (OSError, SyntaxError, Image.DecompressionBombError, ValueError):
            pass

    with Image.open(HERE / "rle8.bmp") as im:  # Pillow reads it; we refuse it
        assert np.asarray(im.convert("RGB")).tolist() == [[[0, 0, 255]] * 2, [[255, 0, 0]] * 2]

    # Bicubic resizes: up, down, one axis only, extreme ratios.
    resizes = {
        "photo420.jpg": [(40, 25), (160, 100), (97, 30), (50, 61), (97, 100), (150, 20),
                         (13, 200), (1, 1), (3, 2), (96, 60), (98, 62)],
        # (120, 36) and (121, 36) sit on either side of Pillow 13's vertical-first rule,
        # H - h > 2 (W - w): 60 == 60 runs horizontally first, 60 > 58 vertically first.
        "large.png": [(37, 23), (149, 95), (75, 48), (60, 60), (8, 5), (300, 7), (120, 36), (121, 36), (140, 30)],
        "gray.jpg": [(30, 70)],
    }
    for name, sizes in resizes.items():
        with Image.open(HERE / name) as im:
            rgb = im.convert("RGB")
            for w, h in sizes:
                store.add(f"resize/{name}/{w}x{h}", np.asarray(rgb.resize((w, h), Image.BICUBIC)))

    # CLIP (llava-hf 1.5): shortest edge, centre crop, rescale, normalise.
    for name in ("photo420.jpg", "gray.jpg", "rgba.png", "wide.png", "tall.png", "small.png", "square.png"):
        with Image.open(HERE / name) as im:
            store.add(f"clip/28/{name}", clip_processor(28)(im, return_tensors="np")["pixel_values"][0])
    with Image.open(HERE / "tall.png") as im:
        store.add("clip/17/tall.png", clip_processor(17)(im, return_tensors="np")["pixel_values"][0])
    with Image.open(HERE / "photo420.jpg") as im:
        pv = clip_processor(336)(im, return_tensors="np")["pixel_values"][0]
        rgb = im.convert("RGB")
    # Lossless split into codes + per-channel table: every value is a function of one uint8 pixel.
    table = np.stack([
        ((np.arange(256).astype(np.float64) * (1 / 255)).astype(np.float32) - np.float32(m)) / np.float32(s)
        for m, s in zip(OPENAI_CLIP_MEAN, OPENAI_CLIP_STD)
    ]).astype(np.float32)
    w, h = rgb.size
    nh, nw = (int(336 * h / w), 336) if w <= h else (336, int(336 * w / h))
    resized = np.asarray(rgb.resize((nw, nh), Image.BICUBIC))
    top, left = (nh - 336) // 2, (nw - 336) // 2
    codes = np.ascontiguousarray(resized[top:top + 336, left:left + 336].transpose(2, 0, 1))
    rebuilt = np.stack([table[c][codes[c]] for c in range(3)])
    assert rebuilt.dtype == pv.dtype and np.array_equal(rebuilt.view(np.uint32), pv.view(np.uint32))
    store.add("clip336/photo420.jpg/codes", codes)
    store.add("clip336/photo420.jpg/table", table)

    # Original LLaVA-1.5 ("pad"): expand2square with int(255 * mean), then the same processor.
    background = tuple(int(x * 255) for x in OPENAI_CLIP_MEAN)
    assert background == (122, 116, 104)
    for name in ("photo420.jpg", "tall.png", "small.png"):
        with Image.open(HERE / name) as im:
            padded = expand2square(im.convert("RGB"), background)
            store.add(f"clippad/28/{name}", clip_processor(28)(padded, return_tensors="np")["pixel_values"][0])

    # transformers' center_crop, including crops larger than the image (zero padding).
    small = decoded("small.png")  # 15 x 20
    for ch, cw in [(9, 8), (15, 20), (20, 11), (16, 25), (4, 23)]:
        out = center_crop(small, (ch, cw), input_data_format=ChannelDimension.LAST)
        store.add(f"crop/small.png/{cw}x{ch}", out)

    # LLaVA-NeXT with a 28-pixel tile and the default pinpoints scaled by 28/336.
    tile = 28
    hf_pinpoints = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
    pinpoints = [[p[0] * tile // 336, p[1] * tile // 336] for p in hf_pinpoints]
    nxt = LlavaNextImageProcessorPil(size={"shortest_edge": tile}, crop_size={"height": tile, "width": tile},
                                     image_grid_pinpoints=pinpoints)
    next_sizes = {}
    for name in ("wide.png", "tall.png", "square.png", "small.png", "photo420.jpg"):
        with Image.open(HERE / name) as im:
            out = nxt(im, return_tensors="np")
        store.add(f"next/{name}", out["pixel_values"][0].astype(np.float32))
        next_sizes[name] = [int(v) for v in out["image_sizes"][0]]

    # Real sizes, compared by SHA-256 of the little-endian bytes.
    digests = {}

    def digest(name, array):
        array = np.ascontiguousarray(array)
        digests[name] = {"dtype": {np.dtype(np.uint8): "u8", np.dtype(np.float32): "f32"}[array.dtype],
                         "shape": list(array.shape), "sha256": hashlib.sha256(array.tobytes()).hexdigest()}

    full_next = LlavaNextImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336},
                                           image_grid_pinpoints=hf_pinpoints)
    for name in ("big.jpg", "tallbig.jpg"):
        with Image.open(HERE / name) as im:
            rgb = im.convert("RGB")
            digest(f"decode/{name}", np.asarray(rgb))
            w, h = rgb.size
            nh, nw = (int(336 * h / w), 336) if w <= h else (336, int(336 * w / h))
            digest(f"resize/{name}/{nw}x{nh}", np.asarray(rgb.resize((nw, nh), Image.BICUBIC)))
            digest(f"clip/336/{name}", clip_processor(336)(im, return_tensors="np")["pixel_values"][0])
            digest(f"clippad/336/{name}",
                   clip_processor(336)(expand2square(rgb, background), return_tensors="np")["pixel_values"][0])
            digest(f"next/336/{name}", full_next(im, return_tensors="np")["pixel_values"][0].astype(np.float32))

    # Size tables.
    shortest = []
    for h, w, s in [(61, 97, 336), (97, 61, 336), (480, 640, 336), (899, 1024, 336), (1000, 1000, 336),
                    (333, 500, 336), (500, 333, 336), (7, 1000, 336), (1000, 3, 224), (15, 20, 28),
                    (100, 101, 336), (101, 100, 336), (768, 1366, 336), (1366, 768, 17)]:
        nh, nw = get_resize_output_image_size(np.zeros((h, w, 1)), s, default_to_square=False,
                                              input_data_format=ChannelDimension.LAST)
        shortest.append({"height": h, "width": w, "size": s, "out": [nh, nw]})
    sizes = [(61, 97), (480, 640), (899, 1024), (1000, 1000), (333, 500), (500, 333), (15, 20), (100, 2000),
             (2000, 100), (336, 336), (600, 400), (400, 600), (720, 1280), (1280, 720), (50, 120), (110, 45)]
    sizes += [tuple(int(v) for v in RNG.integers(1, 2500, 2)) for _ in range(24)]
    best, fit = [], []
    for points in (hf_pinpoints, pinpoints, [[84, 84], [28, 56]]):
        for h, w in sizes:
            bh, bw = select_best_resolution((h, w), points)
            best.append({"height": h, "width": w, "pinpoints": points, "best": [bh, bw]})
            for ph, pw in points:
                nh, nw = get_patch_output_size(np.zeros((1, h, w)), (ph, pw), ChannelDimension.FIRST)
                fit.append({"height": h, "width": w, "target": [ph, pw], "out": [nh, nw]})
    assert get_patch_output_size(np.zeros((1, 400, 600)), (84, 84), ChannelDimension.FIRST) == (57, 84)

    (HERE / "expected.bin").write_bytes(bytes(store.blob))
    manifest = {
        "versions": {"Pillow": PIL.__version__, "transformers": transformers.__version__,
                     "numpy": np.__version__},
        "arrays": store.arrays,
        "tables": {"shortest_edge": shortest, "best_resolution": best, "patch_output_size": fit},
        "next": {"tile": tile, "pinpoints": pinpoints, "image_sizes": next_sizes},
        "digests": digests,
    }
    text = json.dumps(manifest, indent=1)
    for key in ("shortest_edge", "best_resolution", "patch_output_size"):  # one line per table row
        rows = ",\n  ".join(json.dumps(row, separators=(",", ":")) for row in manifest["tables"][key])
        text = text.replace(json.dumps(manifest["tables"][key], indent=1).replace("\n", "\n  "), f"[\n  {rows}\n  ]")
    assert json.loads(text) == manifest
    (HERE / "manifest.json").write_text(text + "\n")
    total = sum(p.stat().st_size for p in HERE.iterdir() if p.is_file())
    print(f"{len(store.arrays)} arrays, {len(store.blob)} bytes in expected.bin, fixtures total {total} bytes")


if __name__ == "__main__":
    main()
