"""Map furniture for the static maps: north arrow, scale bar, readable labels, PNG output."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display, no network: reports are drawn headless
import matplotlib.patheffects as pe  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

HALO = [pe.withStroke(linewidth=2.2, foreground="white")]
matplotlib.rcParams["svg.hashsalt"] = "pantau-report"  # fixed ids: same map, same bytes


class _Canvas(FigureCanvasAgg):
    """Draws only when the map is saved: geopandas asks for a full redraw after each plot call
    (draw_idle), which drew every map several times over (the same pixels either way)."""

    def draw_idle(self, *args, **kwargs) -> None:
        pass


def figure(width_mm: float, height_mm: float) -> Figure:
    # A bare Figure (not pyplot): nothing global, nothing left open between maps.
    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=150)
    _Canvas(fig)  # a canvas with a renderer: label placement measures text before saving
    return fig


@dataclass(frozen=True)
class TextBox:
    """A text drawn on a picture: its box as fractions of the picture (origin bottom left)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    rotation: float = 0.0


class Picture(bytes):
    """PNG bytes that also know the texts drawn on them, so the PDF can lay them under the image
    as an invisible text layer: map labels and legends can be searched, copied and read back."""

    texts: tuple[TextBox, ...] = ()

    def __new__(cls, data: bytes, texts: tuple[TextBox, ...] = ()):
        obj = super().__new__(cls, data)
        obj.texts = texts
        return obj


def drawn_texts(fig: Figure) -> tuple[TextBox, ...]:
    """Every visible, non-empty text of a drawn figure (titles, labels, legends, ticks)."""
    renderer = fig.canvas.get_renderer()
    w, h = fig.bbox.width, fig.bbox.height
    out = []
    for t in fig.findobj(Text):
        text = t.get_text().strip()
        if not text or not t.get_visible() or t.figure is None:
            continue
        bb = t.get_window_extent(renderer)
        x0, y0, x1, y1 = max(bb.x0 / w, 0), max(bb.y0 / h, 0), min(bb.x1 / w, 1), min(bb.y1 / h, 1)
        if x1 > x0 and y1 > y0:
            out.append(TextBox(text, float(x0), float(y0), float(x1), float(y1), float(t.get_rotation())))
    return tuple(out)


def png(fig: Figure, dpi: int = 150) -> Picture:
    buf = io.BytesIO()
    # No Software/date metadata: the bytes depend only on what is drawn.
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return Picture(buf.getvalue(), drawn_texts(fig))


def source(fig, text: str, width_chars: int = 160) -> None:
    """The source note under the map, wrapped so it is never cut at the page edge."""
    fig.text(0.01, 0.008, textwrap.fill(text, width_chars), fontsize=5.8, color="#333333", va="bottom",
             linespacing=1.2)


def north_arrow(ax, x: float = 0.95, y: float = 0.93):
    return ax.annotate("U", xy=(x, y), xytext=(x, y - 0.09), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "facecolor": "black", "lw": 1.2}, path_effects=HALO)


def _nice_length(metres: float) -> float:
    for step in (1, 2, 5):
        for exp in range(0, 7):
            length = step * 10**exp
            if length >= metres:
                return length
    return metres


def scale_bar(ax, fraction: float = 0.22):
    """A bar of a round length (in km) in a white box in the lower left corner; axes units are metres.
    Returns the box so labels can keep clear of it."""
    from matplotlib.patches import Rectangle

    ax.apply_aspect()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length((x1 - x0) * fraction / 2) if (x1 - x0) > 0 else 1000
    sx, sy = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.035
    h = (y1 - y0) * 0.008
    kw = {"zorder": 10}
    ax.fill_between([sx, sx + length / 2], sy, sy + h, color="black", lw=0, **kw)
    ax.fill_between([sx + length / 2, sx + length], sy, sy + h, color="white", edgecolor="black", lw=0.6, **kw)
    ax.plot([sx, sx + length, sx + length, sx, sx], [sy, sy, sy + h, sy + h, sy], color="black", lw=0.6, **kw)
    texts = [ax.text(pos, sy + h * 2.2, text, ha="center", va="bottom", fontsize=6.5, **kw)
             for pos, text in ((sx, "0"), (sx + length / 2, _km(length / 2)), (sx + length, f"{_km(length)} km"))]
    # The box: around the bar and its texts as drawn, with a small margin.
    renderer = ax.figure.canvas.get_renderer()
    inv = ax.transData.inverted()
    right = max(inv.transform((t.get_window_extent(renderer).x1, 0))[0] for t in texts)
    top = max(inv.transform((0, t.get_window_extent(renderer).y1))[1] for t in texts)
    mx, my = (x1 - x0) * 0.015, (y1 - y0) * 0.012
    box = Rectangle((sx - mx - (x1 - x0) * 0.01, sy - my), right - sx + 2 * mx + (x1 - x0) * 0.01,
                    top - sy + 2 * my, facecolor="white", edgecolor="#666666", lw=0.5, alpha=0.92, zorder=9)
    ax.add_patch(box)
    return box


def place_labels(ax, items, obstacles=(), min_size: float = 4.5, force: bool = False) -> list:
    """Draw labels in priority order, skipping any that would overlap a label already placed, an
    obstacle artist (scale bar box, legend, north arrow) or the axes edge; a label that does not fit
    is tried once more at a smaller size, then left out (the tables name every region) unless
    `force` (then it is drawn small anyway: for labels that carry figures).
    items: (x, y, text, kwargs). Returns the texts placed."""
    ax.apply_aspect()  # equal-aspect axes shrink at draw time: measure in their final place
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [o.get_window_extent(renderer).expanded(1.05, 1.1) for o in obstacles]
    placed = []
    for x, y, text, kw in items:
        size = kw.get("fontsize", 6)
        for attempt in (size, max(min_size, size * 0.8)):
            t = ax.text(x, y, text, **{**kw, "fontsize": attempt})
            bb = t.get_window_extent(renderer)
            inside = (bb.x0 >= frame.x0 + 1 and bb.x1 <= frame.x1 - 1 and bb.y0 >= frame.y0 + 1
                      and bb.y1 <= frame.y1 - 1)
            if inside and not any(bb.overlaps(o) for o in taken):
                taken.append(bb.expanded(1.04, 1.15))
                placed.append(t)
                break
            if force and attempt != size:
                taken.append(bb)
                placed.append(t)
                break
            t.remove()
    return placed


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
