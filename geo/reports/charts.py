"""Charts (PNG) from published counts; hidden cells are pooled into 'Lainnya', never drawn alone."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from matplotlib.ticker import FuncFormatter

from geo.formatting import number
from geo.reports import cartography as carto
from geo.reports import labels
from geo.reports.suppress import is_hidden, show

BAR = "#2166ac"


def _ticks() -> FuncFormatter:
    """Axis numbers as the tables print them ('10.000'); one per axis (a formatter keeps its axis)."""
    return FuncFormatter(lambda value, _: number(value))


def pooled(counts: dict[str, object], label_of, top: int = 8) -> list[tuple[str, int]]:
    """Largest shown categories, then 'Lainnya' for the rest: its bar adds only the shown counts
    beyond the top; hidden (<3) categories are counted by name only, so none can be recovered."""
    shown = sorted(((v, k) for k, v in counts.items() if isinstance(v, int) and v > 0), key=lambda t: (-t[0], t[1]))
    head = [(label_of(k), v) for v, k in shown[:top]]
    rest_keys = [k for _, k in shown[top:]] + [k for k, v in counts.items() if is_hidden(v)]
    if rest_keys:
        head.append((f"Lainnya ({len(rest_keys)} kategori)", sum(v for v, _ in shown[top:])))
    return head


def bar_chart(items: list[tuple[str, int]], title: str, width_mm: float = 85, height_mm: float = 70) -> bytes:
    fig = carto.figure(width_mm, height_mm)
    ax = fig.add_axes((0.36, 0.1, 0.56, 0.78))
    names = [textwrap.fill(n, 20) for n, _ in items][::-1]
    values = [v for _, v in items][::-1]
    ax.barh(range(len(values)), values, color=BAR)
    ax.set_yticks(range(len(values)), names, fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_formatter(_ticks())
    for i, v in enumerate(values):
        ax.text(v, i, f" {number(v)}" if v else " <3 per kategori", va="center", fontsize=6.5)
    ax.set_xlim(0, max(values + [1]) * 1.2)
    ax.spines[["top", "right"]].set_visible(False)
    fig.text(0.02, 0.96, title, fontsize=9, fontweight="bold", va="top")
    return carto.png(fig)


def trend_chart(quarterly: list[dict], width_mm: float = 175, height_mm: float = 62) -> bytes:
    fig = carto.figure(width_mm, height_mm)
    ax = fig.add_axes((0.07, 0.17, 0.6, 0.7))
    labels = [q.get("label", q["quarter"]).replace(" s.d. ", "\ns.d. ") for q in quarterly]
    x = range(len(labels))
    for key, name, colour in (("active_workers", "TKA dengan izin berlaku", "#b30000"),
                              ("inspections", "Pemeriksaan", BAR),
                              ("findings", "Pemeriksaan dengan temuan", "#4d9221")):
        ys = [q[key] if isinstance(q[key], int) else None for q in quarterly]
        ax.plot(x, [y if y is not None else float("nan") for y in ys], marker="o", ms=3, lw=1.4,
                color=colour, label=name)
    ax.set_xticks(list(x), labels, fontsize=6.5, rotation=0)
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_formatter(_ticks())
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.text(0.02, 0.97, "Tren per triwulan", fontsize=9, fontweight="bold", va="top")
    return carto.png(fig)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes
    width_mm: float  # as laid out on the PDF page
    height_mm: float
    words: str  # the figures as text: the HTML image's alt text


def report_charts(c: dict) -> list[Chart]:
    """The charts of a report, the same set for the PDF and the offline HTML."""
    s = c["summary"]
    bars = (("nationality", "TKA per kewarganegaraan", s["by_nationality"], labels.nationality, 70),
            ("sector", "Perusahaan per sektor", s["by_sector"], lambda k: c["sector_labels"].get(k, k), 70),
            ("position_level", "TKA per tingkat jabatan", s["by_position_level"],
             lambda k: labels.POSITION_LEVELS.get(k, k), 55),
            ("sex", "TKA per jenis kelamin", s["by_sex"], lambda k: labels.SEX.get(k, k), 55))
    out = []
    for key, title, counts, label_of, height in bars:
        items = pooled(counts, label_of)
        words = "; ".join(f"{name} {show(v) if v else '<3 per kategori'}" for name, v in items)
        out.append(Chart(key, title, bar_chart(items, title, height_mm=height), 87, height, words))
    q = c["quarterly"]
    words = "; ".join(f"{row['quarter']}: TKA {show(row['active_workers'])}, pemeriksaan {show(row['inspections'])}, "
                      f"dengan temuan {show(row['findings'])}" for row in q)
    out.append(Chart("trend", "Tren per triwulan", trend_chart(q), 178, 63, words))
    return out
