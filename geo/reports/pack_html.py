"""The meeting pack's sections in the offline HTML report, right after the summary: the follow-up of
the last meeting's recommendations and the change table since it (geo.reports.followup)."""

from __future__ import annotations

from datetime import date
from html import escape

from geo import formatting
from geo.reports import followup
from geo.reports.suppress import show

CSS = """
table.t tr.late td.late{color:#b00020;font-weight:600}
table.t td.d{background:#f6f3ea;text-align:right} table.t th.g{text-align:center}
"""


def _cell(value) -> str:
    return formatting.long_date(value) if isinstance(value, date) else show(value)


def followup_section(c: dict) -> str:
    pack = c["pack"]
    out = f'<h2 id="tindak-lanjut">{escape(followup.FOLLOWUP_TITLE)}</h2>'
    if pack["meeting"] is None:
        return out + f'<p class="note">{escape(followup.no_meeting(c))}</p>'
    m = pack["meeting"]
    out += (f"<p>Rakor terakhir: {escape(formatting.long_date(m['held_on']))}, {escape(m['place'])} "
            f"(periode {escape(m['period'])}).</p>")
    t = followup.followup_table(c)
    if not t.rows:
        return out + '<p class="note">Tidak ada rekomendasi dalam cakupan laporan ini.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = []
    for row, rec in zip(t.rows, pack["recommendations"], strict=True):
        cells = "".join(
            f'<td{" class=n" if i == 0 else " class=late" if i in (5, 7) else ""}>{escape(_cell(v))}</td>'
            for i, v in enumerate(row))
        body.append(f'<tr{" class=late" if rec["overdue"] else ""}>{cells}</tr>')
    note = "Terlambat: melewati batas waktu dan belum selesai."
    if not c["meta"]["personal"]:
        note += " Nama dan nomor identitas orang dalam teks disamarkan."
    return (out + f'<div class="tw"><table class="t" data-table="tindak_lanjut"><tr>{head}</tr>{"".join(body)}'
            f'</table></div><p class="note">{escape(note)}</p>')


def changes_section(c: dict) -> str:
    pack = c["pack"]
    out = f'<h2 id="perubahan">{escape(followup.CHANGES_TITLE)}</h2>'
    if pack["meeting"] is None:
        return out + f'<p class="note">{escape(followup.no_meeting(c))}</p>'
    t = pack["changes"]
    then, now = formatting.long_date(t["then"]), formatting.long_date(t["now"])
    head1 = f'<th rowspan="2">{escape(followup.unit_word(c))}</th>' + "".join(
        f'<th colspan="3" class="g">{escape(label)}</th>' for _, label in t["figures"])
    head2 = "".join(f"<th>{escape(then)}</th><th>{escape(now)}</th><th>±</th>" for _ in t["figures"])

    def line(r: dict, name: str) -> str:
        cells = "".join(f'<td class="n">{escape(show(r["then"][k]))}</td><td class="n">{escape(show(r["now"][k]))}</td>'
                        f'<td class="d">{escape(followup.signed(r["diff"][k]))}</td>' for k, _ in t["figures"])
        return f"<tr><td>{escape(name)}</td>{cells}</tr>"

    rows = "".join(line(r, r["name"]) for r in t["rows"]) + line(t["total"], "Jumlah")
    return (out + f"<p>Angka pada hari rakor terakhir ({escape(then)}) dibanding {escape(now)}.</p>"
            f'<div class="tw"><table class="t" data-table="perubahan"><tr>{head1}</tr><tr>{head2}</tr>{rows}'
            f'</table></div><p class="note">{escape(followup.changes_note(t))}</p>')


def sections(c: dict) -> str:
    return followup_section(c) + changes_section(c)
