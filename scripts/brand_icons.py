"""Draw the brand icons: ``python scripts/brand_icons.py custom_components/evse_bridge/brand``."""

import sys

from PIL import Image, ImageDraw

SIZE = 2048  # drawn large, then scaled down for smooth edges
MARGIN = 64


def render() -> Image.Image:
    """A white plug with a lightning bolt on a green rounded square."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    gradient = Image.new("RGBA", (SIZE, SIZE))
    top, bottom = (46, 204, 113), (0, 137, 123)
    draw_gradient = ImageDraw.Draw(gradient)
    for y in range(SIZE):
        t = y / (SIZE - 1)
        color = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw_gradient.line([(0, y), (SIZE, y)], fill=(*color, 255))
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [MARGIN, MARGIN, SIZE - MARGIN, SIZE - MARGIN], radius=420, fill=255
    )
    image.paste(gradient, (0, 0), mask)
    draw = ImageDraw.Draw(image)
    white = (255, 255, 255, 255)
    cx = SIZE // 2
    for dx in (-230, 230):
        draw.rounded_rectangle([cx + dx - 55, 330, cx + dx + 55, 630], radius=55, fill=white)
    draw.rounded_rectangle([cx - 470, 560, cx + 470, 1380], radius=300, fill=white)
    draw.rounded_rectangle([cx - 470, 560, cx + 470, 900], radius=90, fill=white)
    draw.rectangle([cx - 95, 1300, cx + 95, SIZE - MARGIN], fill=white)
    bolt = [
        (cx + 60, 640),
        (cx - 230, 1030),
        (cx - 20, 1030),
        (cx - 90, 1300),
        (cx + 230, 880),
        (cx + 20, 880),
        (cx + 110, 640),
    ]
    bolt_mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(bolt_mask).polygon(bolt, fill=255)
    image.paste(gradient, (0, 0), bolt_mask)
    return image


def main(out_dir: str) -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px)."""
    image = render()
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        image.resize((size, size), Image.Resampling.LANCZOS).save(
            f"{out_dir}/{name}", optimize=True
        )


if __name__ == "__main__":
    main(sys.argv[1])
