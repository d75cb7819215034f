#!/usr/bin/env python3
"""Draws the Makistry Desktop icon at every size the platforms ask for, from this one source.

The icon: a rounded square in Makistry blue holding an isometric block (three shaded faces)
with a round hole through its top, the "part" the app makes. Each size is drawn at 8x and
scaled down, so edges stay smooth; at 16 and 24 px the hole is left out and the outline
thickened, because a few pixels cannot show it.

Writes: icon-<N>.png for N in 16 24 32 48 64 128 256 512, makistry.ico (16-256) and
makistry.icns (16-512), next to this script.

    python3 -m venv /tmp/iconenv && /tmp/iconenv/bin/pip install pillow
    /tmp/iconenv/bin/python assets/icons/generate.py
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
SCALE = 8

BACKGROUND_TOP = (37, 99, 235)  # Makistry blue
BACKGROUND_BOTTOM = (29, 78, 216)
TOP_FACE = (248, 250, 252)
LEFT_FACE = (203, 213, 225)
RIGHT_FACE = (148, 163, 184)
HOLE = (51, 65, 85)
OUTLINE = (15, 23, 42)


def draw(size: int) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)

    # Rounded-square background with a vertical gradient (drawn as bands, then masked).
    margin = round(big * 0.04)
    radius = round(big * 0.22)
    gradient = Image.new("RGBA", (big, big))
    gd = ImageDraw.Draw(gradient)
    for y in range(big):
        t = y / (big - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(BACKGROUND_TOP, BACKGROUND_BOTTOM))
        gd.line([(0, y), (big, y)], fill=colour + (255,))
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [margin, margin, big - margin, big - margin], radius=radius, fill=255
    )
    image.paste(gradient, (0, 0), mask)

    # An isometric block: centre c, half-width w, height h (in pixels of the big image).
    c = (big / 2, big * 0.53)
    w = big * 0.30
    h = big * 0.24
    dx, dy = w * math.cos(math.radians(30)), w * math.sin(math.radians(30))
    top = [(c[0], c[1] - h / 2 - dy * 2 + dy), (c[0] + dx, c[1] - h / 2), (c[0], c[1] - h / 2 + dy),
           (c[0] - dx, c[1] - h / 2)]
    top = [(x, y - dy) for x, y in top]
    bottom_left = (top[3][0], top[3][1] + h)
    bottom_mid = (top[2][0], top[2][1] + h)
    bottom_right = (top[1][0], top[1][1] + h)
    left_face = [top[3], top[2], bottom_mid, bottom_left]
    right_face = [top[2], top[1], bottom_right, bottom_mid]
    outline = max(SCALE, round(big * (0.035 if size <= 24 else 0.018)))
    d.polygon(left_face, fill=LEFT_FACE)
    d.polygon(right_face, fill=RIGHT_FACE)
    d.polygon(top, fill=TOP_FACE)
    for face in (left_face, right_face, top):
        d.line(face + [face[0]], fill=OUTLINE, width=outline, joint="curve")

    # A through hole in the top face (an ellipse, as a circle looks in isometric view).
    if size > 24:
        centre = ((top[0][0] + top[2][0]) / 2, (top[0][1] + top[2][1]) / 2)
        rx, ry = dx * 0.38, dy * 0.38
        d.ellipse([centre[0] - rx, centre[1] - ry, centre[0] + rx, centre[1] + ry], fill=HOLE)

    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    images = {size: draw(size) for size in SIZES}
    for size, image in images.items():
        image.save(HERE / f"icon-{size}.png", optimize=True)
    images[256].save(HERE / "makistry.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[512].save(HERE / "makistry.icns")
    print(f"wrote {len(SIZES)} PNGs, makistry.ico and makistry.icns in {HERE}")


if __name__ == "__main__":
    main()
