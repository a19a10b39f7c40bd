"""The meeting pack's opening sections (issue 19 item 3), read once for every format:

- "Tindak lanjut rekomendasi rakor sebelumnya": the recommendations of the last meeting held before
  the report's reference day, and those of earlier meetings not finished yet, each with its
  agency, due date, status, last progress note and whether it is overdue on the reference day;
- "Perubahan sejak rakor terakhir": the figures of geo.meetings.changes on that meeting's day
  against the reference day, per regency (per district in a one-regency report).

Recommendations are those a user of the report's scope sees (geo.meetings.store.REC_IN_SCOPE: a
region of theirs, or the whole province). Their free text (the recommendation and the last note)
may name persons: masked for every report made without personal data, as inspection follow-up is.
"""

from __future__ import annotations

from datetime import date

from geo import activity_text, clock, formatting, redaction
from geo.db import Connection, transaction
from geo.filters import MonitoringFilter
from geo.labels import AGENCIES
from geo.meetings import changes
from geo.meetings.store import CLOSED, MEETING_VISIBLE, REC_IN_SCOPE, STATUS_LABELS
from geo.reports.tables import Table

FOLLOWUP_TITLE = "Tindak lanjut rekomendasi rakor sebelumnya"
CHANGES_TITLE = "Perubahan sejak rakor terakhir"

CHANGES_NOTE = (
    "Angka hari rakor dihitung ulang dari tanggal dalam data, dengan aturan yang sama seperti statistik: perusahaan "
    "dan TKA yang sudah tercatat pada hari itu (TKA yang kini berhenti dihitung bila catatannya terakhir berubah "
    "sesudah hari itu), orang asing yang hadir pada hari itu, izin dan RPTKA yang berakhir sebelum hari itu, "
    "pemeriksaan 12 bulan sampai hari itu. Tidak dapat dipulihkan: perusahaan atau TKA yang sudah dihapus, lokasi "
    "perusahaan sebelum dipindah, dan izin yang sudah diperpanjang (hanya tanggal berakhir terakhir yang disimpan). "
    "Jumlah orang 1–2 disamarkan (<3) dan perubahannya tidak ditampilkan (–).")


SNAPSHOT_NOTE = (
    "Angka hari rakor adalah angka yang disimpan saat rapat dicatat pada hari itu (aturan yang sama seperti "
    "statistik hari itu), bukan dihitung ulang. Jumlah orang 1–2 disamarkan (<3) dan perubahannya tidak "
    "ditampilkan (–).")


def changes_note(table: dict | None) -> str:
    """How the meeting's column was counted: kept when the meeting was recorded, or recomputed."""
    return SNAPSHOT_NOTE if table and table.get("snapshot") else CHANGES_NOTE


def meeting_line(meeting: dict) -> str:
    return (f"Rakor terakhir: {formatting.long_date(meeting['held_on'])}, {meeting['place']} "
            f"(periode {meeting['period']}).")


def no_meeting(c: dict) -> str:
    return (f"Belum ada rakor tercatat sebelum {formatting.long_date(c['pack']['reference_day'])}: "
            "tidak ada rekomendasi untuk ditindaklanjuti dan tidak ada pembanding.")


def last_meeting(conn: Connection, before: date, agency: str | None = None) -> dict | None:
    """The latest meeting held before `before` (the report's reference day): {id, held_on, place, period};
    with `agency`, of the meetings that agency sees (geo.meetings.store)."""
    with transaction(conn) as cur:
        cur.execute(f"""SELECT m.id, m.held_on, m.place, m.period FROM meetings m
                         WHERE m.held_on < %(before)s AND {MEETING_VISIBLE}
                         ORDER BY m.held_on DESC, m.id DESC LIMIT 1""",  # noqa: S608 - a constant of the store
                    {"before": before, "all": agency is None, "agency": agency, "scope": None})
        row = cur.fetchone()
    return dict(zip(("id", "held_on", "place", "period"), row, strict=True)) if row else None


def _scope(flt: MonitoringFilter) -> list[str] | None:
    """The regencies the report covers (its one regency, else the user's scope; None = all)."""
    if flt.regency_code:
        return [flt.regency_code]
    return list(flt.scope) if flt.scope is not None else None


def recommendations(conn: Connection, flt: MonitoringFilter, meeting: dict, day: date, *, sees_all: bool = True,
                    agency: str | None = None) -> list[dict]:
    """The last meeting's recommendations and the unfinished ones of earlier meetings, within the
    report's regions; the last meeting's first, then by due date. A report holds those of every
    meeting; a page (sees_all False) those of the meetings the user's `agency` sees (the store's rule)."""
    sql = f"""
SELECT r.id, m.id, m.held_on, r.text, r.agency, a.name, r.due_date, r.status, r.regions,
       recommendation_overdue(r.due_date, r.status, %(day)s),
       n.note, n.at
  FROM recommendations r JOIN meetings m ON m.id = r.meeting_id JOIN agencies a ON a.code = r.agency
  LEFT JOIN LATERAL (SELECT x.note, x.at FROM recommendation_notes x
                      WHERE x.recommendation_id = r.id AND x.note <> ''
                      ORDER BY x.at DESC, x.id DESC LIMIT 1) n ON true
 WHERE m.held_on <= %(held_on)s AND (m.id = %(meeting)s OR r.status <> ALL(%(closed)s))
   AND {REC_IN_SCOPE} AND {MEETING_VISIBLE}
 ORDER BY m.held_on DESC, m.id DESC, r.due_date, r.id"""  # noqa: S608 - constants of the store
    params = {"day": day, "held_on": meeting["held_on"], "meeting": meeting["id"], "closed": list(CLOSED),
              "scope": _scope(flt), "all": sees_all, "agency": agency}
    with transaction(conn) as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    keys = ("id", "meeting_id", "meeting_held_on", "text", "agency", "agency_name", "due_date", "status", "regions",
            "overdue", "last_note", "last_note_at")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for r in out:
        r["regions"] = list(r["regions"])
        r["status_label"] = STATUS_LABELS[r["status"]]
        r["last_note"] = r["last_note"] or ""
        r["from_last_meeting"] = r["meeting_id"] == meeting["id"]
    return out


def mask(conn: Connection, rows: list[dict], report_regencies: list[str]) -> None:
    """Mask the free text of `rows` (in place): the names and numbers of the persons on record in
    the regencies they concern (a province-wide one: the report's), and every number-shaped word."""
    regencies = {g[:5] for r in rows for g in r["regions"]}
    if any(not r["regions"] for r in rows):
        regencies |= set(report_regencies)
    texts = [t for r in rows for t in (r["text"], r["last_note"]) if t]
    who = activity_text.known_in(conn, regencies, texts) if rows else redaction.NOBODY
    # Also anyone on record elsewhere whom a text names (a 62.02 recommendation naming a 62.71 worker).
    named = activity_text.named(conn, texts) if texts else redaction.NOBODY
    for r in rows:
        r["text"] = redaction.mask(redaction.mask(r["text"], who), named)
        r["last_note"] = redaction.mask(redaction.mask(r["last_note"], who), named) or ""


def region_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    with transaction(conn) as cur:
        cur.execute("SELECT code, name FROM boundaries WHERE code = ANY(%s)", (sorted(codes),))
        return dict(cur.fetchall())


def assemble(conn: Connection, flt: MonitoringFilter, day: date, threshold: int | None, personal: bool,
             meetings_of: str | None = None) -> dict:
    """The pack: `meeting` (None when no meeting was held before `day`), `recommendations`, `changes`
    (None without a meeting: the change table's rows are the report's regencies, or the districts of
    its one regency), `reference_day`. `meetings_of`: the agency whose meetings it follows (None = all)."""
    meeting = last_meeting(conn, day, meetings_of)
    out = {"meeting": meeting, "reference_day": day, "recommendations": [], "changes": None}
    if meeting is None:
        return out
    level, parent = ("district", flt.regency_code) if flt.regency_code else ("regency", clock.province())
    table = changes.change_table(conn, flt, meeting["held_on"], day, level=level, parent=parent,
                                 threshold=threshold, meeting_id=meeting["id"])
    recs = recommendations(conn, flt, meeting, day, sees_all=meetings_of is None, agency=meetings_of)
    if not personal:
        mask(conn, recs, sorted({r["code"][:5] for r in table["rows"]}))
    names = region_names(conn, {g for r in recs for g in r["regions"]})
    for r in recs:
        r["region_names"] = [names.get(g, g) for g in r["regions"]] or ["Seluruh provinsi"]
    out["recommendations"] = recs
    out["changes"] = table
    return out


# --- tables shared by the PDF, HTML and XLSX ------------------------------------------------------
FOLLOWUP_HEADERS = ("No.", "Rakor", "Rekomendasi", "Instansi", "Wilayah", "Batas waktu", "Status", "Terlambat",
                    "Catatan terakhir")
OVERDUE = "Terlambat"


def followup_table(content: dict) -> Table:
    pack = content["pack"]
    rows = [(k, r["meeting_held_on"], r["text"], AGENCIES.get(r["agency"], r["agency_name"]), ", ".join(r["region_names"]),
             r["due_date"],
             r["status_label"], OVERDUE if r["overdue"] else "", r["last_note"])
            for k, r in enumerate(pack["recommendations"], start=1)]
    return Table("tindak_lanjut", FOLLOWUP_TITLE, FOLLOWUP_HEADERS, rows)


def unit_word(content: dict) -> str:
    return "Kecamatan" if content["meta"]["regency"] else "Kabupaten/kota"


def changes_table(content: dict) -> Table:
    """Flat columns (XLSX, HTML): each figure on the meeting's day, on the reference day, the change."""
    t = content["pack"]["changes"]
    then, now = formatting.long_date(t["then"]), formatting.long_date(t["now"])
    headers = ["Kode", unit_word(content)]
    for _, label in t["figures"]:
        headers += [f"{label} {then}", f"{label} {now}", f"{label} perubahan"]
    total_code = content["meta"]["regency"] or clock.province()

    def row(r: dict, code: str) -> tuple:
        return (code, r["name"], *(v for k, _ in t["figures"] for v in (r["then"][k], r["now"][k], r["diff"][k])))

    return Table("perubahan", f"{CHANGES_TITLE} ({then} – {now})", tuple(headers),
                 [row(r, r["code"]) for r in t["rows"]], row(t["total"], total_code))


def signed(value) -> str:
    """A change as people write it: '+3', '-2', '0'; '–' when it cannot be shown (a hidden count)."""
    if value is None:
        return "–"
    return f"+{formatting.number(value)}" if value > 0 else formatting.number(value)
