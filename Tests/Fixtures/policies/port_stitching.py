"""The stitched-grid raster order both FasterVLM and VisionZip use for LLaVA-NeXT tiles.

FasterVLM `llava/model/llava_arch.py` L217-223 and VisionZip `visionzip/llava_arch.py`
`restore_image_features_sorted` L49-75 both view the tiles' per-patch rows as
(grid_h, grid_w, side, side), permute to (grid_h, side, grid_w, side) and flatten: raster order over
the stitched (grid_h*side) x (grid_w*side) grid.
"""
from typing import Iterator, Tuple


def stitched_raster(grid_w: int, grid_h: int, side: int) -> Iterator[Tuple[int, int]]:
    """(crop, patch) in raster order over the stitched grid; crop 1.. are the tiles row-major
    (crop 0 is the base crop), patch is the index 0..side*side-1 inside its tile."""
    for gy in range(grid_h * side):
        ty, py = divmod(gy, side)
        for gx in range(grid_w * side):
            tx, px = divmod(gx, side)
            yield 1 + ty * grid_w + tx, py * side + px
