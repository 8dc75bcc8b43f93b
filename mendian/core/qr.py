"""QR codes as inline SVG (segno), for posters, member codes and anything printed."""

from __future__ import annotations

import segno


def qr_svg(data: str, *, scale: int = 8, border: int = 2) -> str:
    """An ``<svg>`` element (no XML declaration) that scales with its container."""
    return segno.make(data, error="m").svg_inline(scale=scale, border=border, svgclass="qr", omitsize=True)
