"""Draw src/paperboard/web/static/favicon.ico: the brand mark of static/favicon.svg (an indigo
rounded square with three white lines) as 16, 32 and 48 px PNGs in one ICO file, anti-aliased
by 4x4 supersampling. Standard library only; run it after changing the mark:

    python scripts/make_favicon.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src/paperboard/web/static/favicon.ico"
SIZES = (16, 32, 48)
SUPERSAMPLING = 4
VIEWBOX = 24.0  # favicon.svg's coordinates
ACCENT = (0x4F, 0x46, 0xE5)  # style.css --accent
WHITE = (0xFF, 0xFF, 0xFF)
# The square (x0, y0, x1, y1, corner radius) and the lines (x from, x to, y), as in the SVG.
SQUARE = (2.0, 2.0, 22.0, 22.0, 5.0)
LINES = ((7.5, 16.5, 8.0), (7.5, 16.5, 12.0), (7.5, 13.0, 16.0))
LINE_HALF_WIDTH = 1.1


def _colour(u: float, v: float) -> tuple[int, int, int] | None:
    """The colour at (u, v) of the view box, or None outside the mark."""
    x0, y0, x1, y1, radius = SQUARE
    if not (x0 <= u <= x1 and y0 <= v <= y1):
        return None
    nearest_u = min(max(u, x0 + radius), x1 - radius)
    nearest_v = min(max(v, y0 + radius), y1 - radius)
    if (u - nearest_u) ** 2 + (v - nearest_v) ** 2 > radius**2:
        return None
    for start, end, y in LINES:
        on_u = min(max(u, start), end)  # round caps: the distance to the segment
        if (u - on_u) ** 2 + (v - y) ** 2 <= LINE_HALF_WIDTH**2:
            return WHITE
    return ACCENT


def _rgba_row(size: int, row: int) -> bytes:
    pixels = bytearray([0])  # PNG filter type: none
    step = 1 / SUPERSAMPLING
    for column in range(size):
        red = green = blue = covered = 0
        for sub_row in range(SUPERSAMPLING):
            for sub_column in range(SUPERSAMPLING):
                u = (column + (sub_column + 0.5) * step) * VIEWBOX / size
                v = (row + (sub_row + 0.5) * step) * VIEWBOX / size
                colour = _colour(u, v)
                if colour is not None:
                    red, green, blue = red + colour[0], green + colour[1], blue + colour[2]
                    covered += 1
        if covered:
            alpha = round(255 * covered / SUPERSAMPLING**2)
            pixels += bytes((red // covered, green // covered, blue // covered, alpha))
        else:
            pixels += bytes(4)
    return bytes(pixels)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(size: int) -> bytes:
    raw = b"".join(_rgba_row(size, row) for row in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def ico(sizes: tuple[int, ...] = SIZES) -> bytes:
    images = [png(size) for size in sizes]
    directory = struct.pack("<HHH", 0, 1, len(images))
    offset = len(directory) + 16 * len(images)
    entries = b""
    for size, image in zip(sizes, images, strict=True):
        entries += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return directory + entries + b"".join(images)


if __name__ == "__main__":
    TARGET.write_bytes(ico())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
