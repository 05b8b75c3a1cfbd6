"""Draw the brand images: ``.venv/bin/python scripts/brand_icons.py``.

Writes ``custom_components/evse_bridge/brand/``: ``icon.png`` (256 px), ``icon@2x.png``
(512 px), ``logo.png`` (128 px high), ``logo@2x.png`` (256 px high) and their ``dark_``
variants, which Home Assistant 2026.3+ serves for a custom integration. The icon is a
charging station with a cable on a green rounded square; the logo is the icon beside the
name (dark text, white text in the dark variants). Drawn large, then scaled down for
smooth edges; only Pillow (installed with Home Assistant) and its built-in font are used, so
every machine draws the same images.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "evse_bridge" / "brand"
NAME = "EVSE Bridge"
SIZE = 2048
WHITE = (255, 255, 255, 255)
#: (background green, screen green, text colour) for the light and the dark theme.
THEMES = {
    "": ((0, 121, 96, 255), (0, 96, 76, 255), (33, 33, 33, 255)),
    "dark_": ((0, 150, 120, 255), (0, 112, 90, 255), (240, 240, 240, 255)),
}


def icon(green: tuple[int, ...], screen: tuple[int, ...]) -> Image.Image:
    """The square icon, SIZE pixels wide."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([64, 64, SIZE - 64, SIZE - 64], radius=400, fill=green)
    # The station: body, display, lightning bolt.
    draw.rounded_rectangle([480, 360, 1220, 1720], radius=110, fill=WHITE)
    draw.rounded_rectangle([600, 500, 1100, 800], radius=50, fill=screen)
    bolt = [(920, 900), (690, 1280), (840, 1280), (760, 1570), (1040, 1160), (880, 1160)]
    draw.polygon([(x, y) for x, y in bolt], fill=green)
    # The cable from the station's side down to the plug.
    draw.line([(1220, 700), (1420, 700), (1420, 1000)], fill=WHITE, width=56, joint="curve")
    draw.rounded_rectangle([1340, 980, 1500, 1300], radius=40, fill=WHITE)
    for x in (1370, 1450):
        draw.rectangle([x, 900, x + 20, 990], fill=WHITE)
    draw.rectangle([1400, 1300, 1440, 1440], fill=WHITE)
    return image


def logo(square: Image.Image, text_color: tuple[int, ...]) -> Image.Image:
    """The icon beside the name, SIZE pixels high."""
    font = ImageFont.load_default(size=SIZE * 11 // 20)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), NAME, font=font, stroke_width=12)
    gap = SIZE // 6
    image = Image.new("RGBA", (SIZE + gap + right - left + SIZE // 16, SIZE), (0, 0, 0, 0))
    image.paste(square, (0, 0), square)
    ImageDraw.Draw(image).text(
        (SIZE + gap - left, (SIZE - (bottom - top)) // 2 - top),
        NAME,
        font=font,
        fill=text_color,
        stroke_width=12,
        stroke_fill=text_color,
    )
    return image


def scaled(image: Image.Image, height: int) -> Image.Image:
    """``image`` scaled to ``height`` pixels high."""
    width = round(image.width * height / image.height)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every brand image."""
    BRAND.mkdir(exist_ok=True)
    for prefix, (green, screen, text_color) in THEMES.items():
        square = icon(green, screen)
        wide = logo(square, text_color)
        for name, image, height in (
            ("icon.png", square, 256),
            ("icon@2x.png", square, 512),
            ("logo.png", wide, 128),
            ("logo@2x.png", wide, 256),
        ):
            scaled(image, height).save(BRAND / f"{prefix}{name}", optimize=True)


if __name__ == "__main__":
    main()
