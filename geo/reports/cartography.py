"""Map furniture for the static maps: north arrow, scale bar, readable labels, PNG output."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display, no network: reports are drawn headless
import matplotlib.patheffects as pe  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

HALO = [pe.withStroke(linewidth=2.2, foreground="white")]
matplotlib.rcParams["svg.hashsalt"] = "pantau-report"  # fixed ids: same map, same bytes


def figure(width_mm: float, height_mm: float) -> Figure:
    # A bare Figure (not pyplot): nothing global, nothing left open between maps.
    return Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=150)


def png(fig: Figure, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    # No Software/date metadata: the bytes depend only on what is drawn.
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def source(fig, text: str, width_chars: int = 160) -> None:
    """The source note under the map, wrapped so it is never cut at the page edge."""
    fig.text(0.01, 0.008, textwrap.fill(text, width_chars), fontsize=5.8, color="#333333", va="bottom",
             linespacing=1.2)


def north_arrow(ax, x: float = 0.95, y: float = 0.93) -> None:
    ax.annotate("U", xy=(x, y), xytext=(x, y - 0.09), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "facecolor": "black", "lw": 1.2}, path_effects=HALO)


def _nice_length(metres: float) -> float:
    for step in (1, 2, 5):
        for exp in range(0, 7):
            length = step * 10**exp
            if length >= metres:
                return length
    return metres


def scale_bar(ax, fraction: float = 0.22) -> None:
    """A bar of a round length (in km) near the lower left corner; axes units are metres."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) * fraction / 2) if (x1 - x0) > 0 else 1000
    sx, sy = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.008
    ax.fill_between([sx, sx + length / 2], sy, sy + h, color="black", lw=0)
    ax.fill_between([sx + length / 2, sx + length], sy, sy + h, color="white", edgecolor="black", lw=0.6)
    ax.plot([sx, sx + length, sx + length, sx, sx], [sy, sy, sy + h, sy + h, sy], color="black", lw=0.6)
    for pos, text in ((sx, "0"), (sx + length / 2, _km(length / 2)), (sx + length, f"{_km(length)} km")):
        ax.text(pos, sy + h * 2.2, text, ha="center", va="bottom", fontsize=6.5, path_effects=HALO)


def _km(metres: float) -> str:
    km = metres / 1000
    return f"{km:g}"


def frame_axes(ax, bounds, pad: float = 0.05) -> None:
    """Fit the axes to bounds plus a margin, equal scale, no ticks (the scale bar gives distance)."""
    minx, miny, maxx, maxy = bounds
    dx, dy = (maxx - minx) * pad, (maxy - miny) * pad
    ax.set_xlim(minx - dx, maxx + dx)
    ax.set_ylim(miny - dy, maxy + dy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels projected axes "Easting/Northing": noise on a report map
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#555555")
