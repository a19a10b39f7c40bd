"""Meetings and recommendations: reading them within a user's access, and writing them (one
transaction each, with its audit record).

Who sees what (README "Coordination meetings"):
- Kesbangpol (the coordinator) and admins see every meeting; another agency sees the meetings it
  attended or holds a recommendation of, and there every recommendation (the agencies present share
  them), so it knows what the others must do.
- Regional scope: a regency-scoped user sees the recommendations concerning one of its regencies
  (a region code, regency or district, within it) or the whole province (no regions), and of the
  companies a recommendation names only those within its scope; others are omitted.
- Kesbangpol's editors and admins, and admins of the whole province, create meetings and
  recommendations. The editors and admins of the responsible agency update a recommendation
  (status, progress note, evidence); analysts and viewers read only. Viewers never get the files
  (minutes, evidence: they may hold personal data), and free text reaches them masked (geo.redaction).

A recommendation outside what the user sees is absent (None → 404); a visible one of another agency
is refused (NotAllowed → 403).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import psycopg2.errors

from geo import activity_text, redaction
from geo.auth import audit
from geo.db import Connection, single_read, transaction
from geo.meetings.files import Upload

STATUSES = ("baru", "diproses", "selesai", "tidak_dapat_dilaksanakan")
STATUS_LABELS = {
    "baru": "Baru",
    "diproses": "Diproses",
    "selesai": "Selesai",
    "tidak_dapat_dilaksanakan": "Tidak dapat dilaksanakan",
}
CLOSED = ("selesai", "tidak_dapat_dilaksanakan")
COORDINATOR = "kesbangpol"


class Actor(Protocol):
    username: str
    role: str
    agency: str
    regencies: tuple[str, ...] | None

    def audit_fields(self) -> dict: ...


class MeetingError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(MeetingError):
    pass


class InvalidInput(MeetingError):
    pass


class StaleVersion(MeetingError):
    def __init__(self, message: str, current: int) -> None:
        super().__init__(message, "version")
        self.current = current


def is_overdue(due_date: date | None, status: str, today: date) -> bool:
    """Past its due date and still open (the SQL function recommendation_overdue says the same)."""
    return due_date is not None and due_date < today and status not in CLOSED


def sees_all(p: Actor) -> bool:
    return p.agency == COORDINATOR or p.role == "admin"


def can_manage(p: Actor) -> bool:
    """May create meetings and recommendations."""
    return (p.agency == COORDINATOR and p.role in ("admin", "editor")) or (p.role == "admin" and p.regencies is None)


def can_update(p: Actor, agency: str) -> bool:
    """May update a (visible) recommendation the agency `agency` is responsible for."""
    return p.role in ("admin", "editor") and p.agency == agency


def can_download(p: Actor) -> bool:
    return p.role != "viewer"


def _params(p: Actor, **more) -> dict[str, Any]:
    return {"all": sees_all(p), "agency": p.agency,
            "scope": list(p.regencies) if p.regencies is not None else None, **more}


# Fixed SQL fragments; their parameters come from _params.
# An agency absent from a meeting sees it through its recommendations, only those in the user's scope.
MEETING_VISIBLE = """(%(all)s OR %(agency)s = ANY(m.agencies)
    OR EXISTS (SELECT 1 FROM recommendations r0 WHERE r0.meeting_id = m.id AND r0.agency = %(agency)s
               AND (%(scope)s::text[] IS NULL OR r0.regions = '{}'
                    OR EXISTS (SELECT 1 FROM unnest(r0.regions) x0 WHERE left(x0, 5) = ANY(%(scope)s::text[])))))"""
REC_IN_SCOPE = """(%(scope)s::text[] IS NULL OR r.regions = '{}'
    OR EXISTS (SELECT 1 FROM unnest(r.regions) x WHERE left(x, 5) = ANY(%(scope)s::text[])))"""
COMPANY_IN_SCOPE = "(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))"


def _rows(cur) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# ---- meetings -------------------------------------------------------------------------------

_MEETING_COLUMNS = """m.id, m.held_on, m.place, m.period, m.agencies, m.minutes, m.created_by, m.created_at,
    m.version, m.minutes_file_name, m.minutes_file_type, m.minutes_file_sha256,
    octet_length(m.minutes_file) AS minutes_file_size"""


def _meeting_out(row: dict[str, Any], p: Actor, named: redaction.Known = redaction.NOBODY) -> dict[str, Any]:
    out = {
        "id": row["id"], "date": row["held_on"].isoformat(), "place": row["place"], "period": row["period"],
        "agencies": list(row["agencies"]), "minutes": _text_for(p, row["minutes"], named=named),
        "created_by": row["created_by"], "created_at": row["created_at"].isoformat(), "version": row["version"],
        "minutes_file": None,
    }
    if row["minutes_file_sha256"]:
        out["minutes_file"] = {"name": row["minutes_file_name"], "media_type": row["minutes_file_type"],
                               "size": row["minutes_file_size"], "sha256": row["minutes_file_sha256"]}
    for key in ("recommendations", "open", "overdue"):
        if key in row:
            out[key] = row[key]
    return out


def list_meetings(conn: Connection, p: Actor, today: date) -> list[dict[str, Any]]:
    """The meetings the user sees, newest first, with counts of the recommendations they see."""
    sql = f"""SELECT {_MEETING_COLUMNS},
                (SELECT count(*) FROM recommendations r WHERE r.meeting_id = m.id AND {REC_IN_SCOPE}) AS recommendations,
                (SELECT count(*) FROM recommendations r WHERE r.meeting_id = m.id AND {REC_IN_SCOPE}
                    AND r.status NOT IN ('selesai', 'tidak_dapat_dilaksanakan')) AS open,
                (SELECT count(*) FROM recommendations r WHERE r.meeting_id = m.id AND {REC_IN_SCOPE}
                    AND recommendation_overdue(r.due_date, r.status, %(today)s)) AS overdue
              FROM meetings m WHERE {MEETING_VISIBLE}
             ORDER BY m.held_on DESC, m.id DESC"""  # noqa: S608 - fixed fragments
    with single_read(conn) as cur:
        cur.execute(sql, _params(p, today=today))
        rows = _rows(cur)
    named = _named(conn, p, [r["minutes"] for r in rows])
    return [_meeting_out(r, p, named) for r in rows]


def get_meeting(conn: Connection, p: Actor, meeting_id: int) -> dict[str, Any] | None:
    with single_read(conn) as cur:
        cur.execute(f"SELECT {_MEETING_COLUMNS} FROM meetings m WHERE m.id = %(id)s AND {MEETING_VISIBLE}",  # noqa: S608
                    _params(p, id=meeting_id))
        rows = _rows(cur)
    if not rows:
        return None
    meeting = _meeting_out(rows[0], p, _named(conn, p, [rows[0]["minutes"]]))
    with single_read(conn) as cur:
        cur.execute("""SELECT id, kind, file_name, sha256, made_by, made_at FROM meeting_reports
                        WHERE meeting_id = %s ORDER BY made_at DESC, id DESC""", (meeting_id,))
        meeting["reports"] = [{**r, "made_at": r["made_at"].isoformat()} for r in _rows(cur)]
    return meeting


def _known_agencies(cur, codes: list[str], field: str) -> None:
    cur.execute("SELECT coalesce(array_agg(code), '{}') FROM agencies WHERE code = ANY(%s)", (codes,))
    known = set(cur.fetchone()[0])
    for code in codes:
        if code not in known:
            raise InvalidInput(f"{field}: unknown agency {code!r}", field)


def create_meeting(conn: Connection, p: Actor, *, held_on: date, place: str, period: str,
                   agencies: list[str], minutes: str = "") -> int:
    if not can_manage(p):
        raise NotAllowed("hanya Kesbangpol yang membuat rapat (only Kesbangpol creates meetings)")
    agencies = sorted(set(agencies))
    try:
        with transaction(conn) as cur:
            _known_agencies(cur, agencies, "agencies")
            cur.execute("""INSERT INTO meetings (held_on, place, period, agencies, minutes, created_by)
                           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                        (held_on, place.strip(), period, agencies, minutes or "", p.username))
            meeting_id = cur.fetchone()[0]
            audit.record(cur, "meeting.create", **p.audit_fields(), target=f"meeting:{meeting_id}",
                         detail={"held_on": held_on.isoformat(), "period": period, "agencies": agencies})
            return meeting_id
    except (psycopg2.errors.CheckViolation, psycopg2.errors.ForeignKeyViolation) as exc:
        raise InvalidInput(f"invalid value: {exc.diag.message_primary}", exc.diag.constraint_name) from exc


def _managed_meeting(cur, p: Actor, meeting_id: int, lock: str, refusal: str) -> bool:
    """Whether meeting `meeting_id` is visible to `p` (its row locked `lock`: "", "FOR SHARE" or
    "FOR UPDATE"); NotAllowed(`refusal`) when it is visible but `p` may not manage meetings. Visibility
    first, so a meeting outside the user's regions answers as absent whatever the role."""
    assert lock in ("", "FOR SHARE", "FOR UPDATE")
    cur.execute(f"SELECT m.id FROM meetings m WHERE m.id = %(id)s AND {MEETING_VISIBLE} {lock}",  # noqa: S608
                _params(p, id=meeting_id))
    if cur.fetchone() is None:
        return False
    if not can_manage(p):
        raise NotAllowed(refusal)
    return True


def set_minutes_file(conn: Connection, p: Actor, meeting_id: int, upload: Upload) -> bool:
    """Store (or replace) the meeting's minutes file. False when the meeting is not visible."""
    with transaction(conn) as cur:
        if not _managed_meeting(cur, p, meeting_id, "FOR UPDATE",
                                "hanya Kesbangpol yang mengunggah notulen (only Kesbangpol uploads minutes)"):
            return False
        cur.execute("""UPDATE meetings SET minutes_file_name = %s, minutes_file_type = %s, minutes_file = %s,
                              minutes_file_sha256 = %s, updated_at = now(), version = version + 1 WHERE id = %s""",
                    (upload.name, upload.media_type, upload.content, upload.sha256, meeting_id))
        audit.record(cur, "meeting.minutes_file", **p.audit_fields(), target=f"meeting:{meeting_id}",
                     detail={"sha256": upload.sha256, "size": upload.size, "media_type": upload.media_type})
        return True


def minutes_file(conn: Connection, p: Actor, meeting_id: int) -> tuple[str, str, bytes] | None:
    """(name, media type, content) of the minutes file; None when absent or not visible."""
    with single_read(conn) as cur:
        cur.execute(f"""SELECT m.minutes_file_name, m.minutes_file_type, m.minutes_file FROM meetings m
                         WHERE m.id = %(id)s AND m.minutes_file IS NOT NULL AND {MEETING_VISIBLE}""",  # noqa: S608
                    _params(p, id=meeting_id))
        row = cur.fetchone()
    if row is None:
        return None
    if not can_download(p):
        raise NotAllowed("peran Anda tidak boleh mengunduh berkas rapat (role may not download meeting files)")
    return row[0], row[1], bytes(row[2])


def can_read_reports(p: Actor) -> bool:
    """A kept report covers the province as its maker saw it: only province-wide users download it."""
    return p.regencies is None


def add_report(conn: Connection, p: Actor, meeting_id: int, kind: str, file_name: str, content: bytes) -> int | None:
    """Keep the report made for a meeting (its pack) with its content hash. None when the meeting
    is not visible."""
    with transaction(conn) as cur:
        if not _managed_meeting(cur, p, meeting_id, "",
                                "hanya Kesbangpol yang menyimpan laporan rapat (only Kesbangpol keeps meeting reports)"):
            return None
        digest = hashlib.sha256(content).hexdigest()
        cur.execute("""INSERT INTO meeting_reports (meeting_id, kind, file_name, sha256, content, made_by)
                       VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                    (meeting_id, kind, file_name, digest, content, p.username))
        report_id = cur.fetchone()[0]
        audit.record(cur, "meeting.report", **p.audit_fields(), target=f"meeting:{meeting_id}",
                     detail={"kind": kind, "sha256": digest, "size": len(content)})
        return report_id


# ---- recommendations -------------------------------------------------------------------------

_REC_COLUMNS = """r.id, r.meeting_id, r.text, r.agency, a.name AS agency_name, r.due_date, r.status, r.regions,
    r.version, r.created_by, r.created_at, r.updated_at"""


def _text_for(p: Actor, text: str | None, known: redaction.Known = redaction.NOBODY,
              named: redaction.Known = redaction.NOBODY) -> str | None:
    """Free text as this user may read it: masked for roles without personal access (the named
    companies' workers, then anyone on record the text names)."""
    if p.role in ("admin", "editor", "analyst"):
        return text
    masked = redaction.mask(text, known)
    return masked if named is redaction.NOBODY else redaction.mask(masked, named)


def _named(conn: Connection, p: Actor, texts: list[str | None]) -> redaction.Known:
    """For a role without personal access: the workers and foreign nationals, wherever on record, that
    `texts` may name (minutes and recommendations name people without naming their company)."""
    if p.role in ("admin", "editor", "analyst") or not any(texts):
        return redaction.NOBODY
    return activity_text.named(conn, texts)


def _companies(cur, p: Actor, rec_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The companies each recommendation names, only those within the user's scope."""
    if not rec_ids:
        return {}
    cur.execute(f"""SELECT rc.recommendation_id, c.id, c.name, c.regency_code FROM recommendation_companies rc
                      JOIN companies c ON c.id = rc.company_id
                     WHERE rc.recommendation_id = ANY(%(ids)s) AND {COMPANY_IN_SCOPE}
                     ORDER BY c.name, c.id""", _params(p, ids=rec_ids))  # noqa: S608
    out: dict[int, list] = {}
    for rec_id, cid, name, regency in cur.fetchall():
        out.setdefault(rec_id, []).append({"id": cid, "name": name, "regency": regency})
    return out


def _groups(cur, rec_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not rec_ids:
        return {}
    cur.execute("""SELECT recommendation_id, regency_code, purpose, nationality, label FROM recommendation_groups
                    WHERE recommendation_id = ANY(%s) ORDER BY id""", (rec_ids,))
    out: dict[int, list] = {}
    for rec_id, regency, purpose, nationality, label in cur.fetchall():
        out.setdefault(rec_id, []).append({"regency": regency, "purpose": purpose, "nationality": nationality,
                                           "label": label})
    return out


def _note_out(p: Actor, row: dict[str, Any], known: redaction.Known,
              named: redaction.Known = redaction.NOBODY) -> dict[str, Any]:
    return {"id": row["id"], "at": row["at"].isoformat(), "username": row["username"], "agency": row["agency"],
            "status_from": row["status_from"], "status_to": row["status_to"],
            "note": _text_for(p, row["note"], known, named), "version": row["version"]}


def _last_notes(cur, rec_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The last progress note of each recommendation (an entry with text)."""
    if not rec_ids:
        return {}
    cur.execute("""SELECT DISTINCT ON (recommendation_id) recommendation_id, id, at, username, agency,
                          status_from, status_to, note, version
                     FROM recommendation_notes WHERE recommendation_id = ANY(%s) AND note <> ''
                    ORDER BY recommendation_id, at DESC, id DESC""", (rec_ids,))
    return {r["recommendation_id"]: r for r in _rows(cur)}


def _known_for(conn: Connection, p: Actor, companies: list[dict[str, Any]]) -> redaction.Known:
    """The workers' names and numbers a viewer's text must not show (of the named companies)."""
    if p.role in ("admin", "editor", "analyst") or not companies:
        return redaction.NOBODY
    workers = redaction.load(conn, [c["id"] for c in companies])
    if len(companies) == 1:
        return workers.known(companies[0]["id"])
    # Several companies: one Known of all their workers.
    rows = [w for c in companies for w in workers._rows.get(c["id"], ())]  # noqa: SLF001 - same package family
    return redaction.Known.of(rows)


def _rec_out(conn: Connection, p: Actor, row: dict[str, Any], companies, groups, last, today: date,
            named: redaction.Known = redaction.NOBODY) -> dict[str, Any]:
    known = _known_for(conn, p, companies)
    return {
        "id": row["id"], "meeting_id": row["meeting_id"], "text": _text_for(p, row["text"], known, named),
        "agency": row["agency"], "agency_name": row["agency_name"], "due_date": row["due_date"].isoformat(),
        "status": row["status"], "status_label": STATUS_LABELS[row["status"]],
        "overdue": is_overdue(row["due_date"], row["status"], today),
        "regions": list(row["regions"]), "companies": companies,
        "groups": [{**g, "label": _text_for(p, g["label"], known, named)} for g in groups],
        "version": row["version"], "created_by": row["created_by"], "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "last_note": _note_out(p, last, known, named) if last else None,
        "can_update": can_update(p, row["agency"]),
    }


def list_recommendations(conn: Connection, p: Actor, meeting_id: int, today: date) -> list[dict[str, Any]] | None:
    """The recommendations of a meeting the user sees; None when the meeting is not visible."""
    with single_read(conn) as cur:
        cur.execute(f"SELECT 1 FROM meetings m WHERE m.id = %(id)s AND {MEETING_VISIBLE}",  # noqa: S608
                    _params(p, id=meeting_id))
        if cur.fetchone() is None:
            return None
    with transaction(conn) as cur:  # one snapshot for the rows and their parts
        cur.execute(f"""SELECT {_REC_COLUMNS} FROM recommendations r JOIN agencies a ON a.code = r.agency
                         WHERE r.meeting_id = %(id)s AND {REC_IN_SCOPE} ORDER BY r.id""",  # noqa: S608
                    _params(p, id=meeting_id))
        rows = _rows(cur)
        ids = [r["id"] for r in rows]
        companies, groups, last = _companies(cur, p, ids), _groups(cur, ids), _last_notes(cur, ids)
    named = _named(conn, p, [r["text"] for r in rows] + [n["note"] for n in last.values()]
                   + [g["label"] for gs in groups.values() for g in gs])
    return [_rec_out(conn, p, r, companies.get(r["id"], []), groups.get(r["id"], []), last.get(r["id"]), today, named)
            for r in rows]


def _visible_rec_sql(lock: bool = False) -> str:
    return (f"""SELECT {_REC_COLUMNS} FROM recommendations r JOIN agencies a ON a.code = r.agency
                  JOIN meetings m ON m.id = r.meeting_id
                 WHERE r.id = %(id)s AND {REC_IN_SCOPE} AND {MEETING_VISIBLE}"""  # noqa: S608
            + (" FOR UPDATE OF r" if lock else ""))


def get_recommendation(conn: Connection, p: Actor, rec_id: int, today: date) -> dict[str, Any] | None:
    """One recommendation with its whole history (newest first) and the evidence of each entry."""
    with transaction(conn) as cur:
        cur.execute(_visible_rec_sql(), _params(p, id=rec_id))
        rows = _rows(cur)
        if not rows:
            return None
        companies, groups = _companies(cur, p, [rec_id]), _groups(cur, [rec_id])
        cur.execute("""SELECT id, at, username, agency, status_from, status_to, note, version
                         FROM recommendation_notes WHERE recommendation_id = %s ORDER BY at DESC, id DESC""",
                    (rec_id,))
        notes = _rows(cur)
        cur.execute("""SELECT id, note_id, file_name, media_type, size_bytes, sha256 FROM recommendation_evidence
                        WHERE recommendation_id = %s ORDER BY id""", (rec_id,))
        evidence = _rows(cur)
    last = next((n for n in notes if n["note"]), None)
    named = _named(conn, p, [rows[0]["text"]] + [n["note"] for n in notes]
                   + [g["label"] for g in groups.get(rec_id, [])])
    out = _rec_out(conn, p, rows[0], companies.get(rec_id, []), groups.get(rec_id, []), last, today, named)
    known = _known_for(conn, p, out["companies"])
    history = []
    for n in notes:
        entry = _note_out(p, n, known, named)
        entry["evidence"] = [{"id": e["id"], "name": e["file_name"], "media_type": e["media_type"],
                              "size": e["size_bytes"], "sha256": e["sha256"]}
                             for e in evidence if e["note_id"] == n["id"]] if can_download(p) else []
        history.append(entry)
    out["history"] = history
    return out


def _scoped_regions(cur, p: Actor, regions: list[str], company_ids: list[int]) -> list[str]:
    """The recommendation's regions: those given, plus the regency of each named company not yet
    covered; each must lie within the creator's scope (a scoped creator's default: its regencies)."""
    regions = list(dict.fromkeys(r.strip() for r in regions if r and r.strip()))
    cur.execute("SELECT coalesce(array_agg(code), '{}') FROM boundaries "
                "WHERE code = ANY(%s) AND level IN ('regency', 'district')", (regions,))
    known = set(cur.fetchone()[0])
    for code in regions:
        if code not in known:
            raise InvalidInput(f"regions: unknown regency or district {code!r}", "regions")
        if p.regencies is not None and code[:5] not in p.regencies:
            raise InvalidInput(f"regions: {code} is outside your regional scope", "regions")
    if company_ids:
        cur.execute(f"""SELECT c.id, c.regency_code FROM companies c
                         WHERE c.id = ANY(%(ids)s) AND {COMPANY_IN_SCOPE} FOR SHARE""",  # noqa: S608
                    _params(p, ids=company_ids))
        found = dict(cur.fetchall())
        for cid in company_ids:
            if cid not in found:  # outside the scope reads as absent
                raise InvalidInput(f"company_ids: company {cid} does not exist", "company_ids")
        covered = {r[:5] for r in regions if len(r) == 5}
        for cid in company_ids:
            if found[cid] not in covered:
                regions.append(found[cid])
                covered.add(found[cid])
    if not regions and p.regencies is not None:
        regions = sorted(p.regencies)
    return regions


def create_recommendation(conn: Connection, p: Actor, meeting_id: int, *, text: str, agency: str, due_date: date,
                          regions: list[str], company_ids: list[int], groups: list[dict] | None = None) -> int | None:
    """A new recommendation of a meeting (status baru, version 1, its first history entry). None
    when the meeting is not visible."""
    company_ids = list(dict.fromkeys(company_ids))
    try:
        with transaction(conn) as cur:
            if not _managed_meeting(cur, p, meeting_id, "FOR SHARE",
                                    "hanya Kesbangpol yang membuat rekomendasi (only Kesbangpol creates recommendations)"):
                return None
            _known_agencies(cur, [agency], "agency")
            for g in groups or ():
                regency = g.get("regency")
                if regency and p.regencies is not None and regency not in p.regencies:
                    raise InvalidInput(f"groups: {regency} is outside your regional scope", "groups")
            regions = _scoped_regions(cur, p, regions, company_ids)
            covered = {r for r in regions if len(r) == 5}
            regions += [r for r in dict.fromkeys(g.get("regency") for g in groups or ()) if r and r not in covered]
            cur.execute("""INSERT INTO recommendations (meeting_id, text, agency, due_date, regions, created_by)
                           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                        (meeting_id, text.strip(), agency, due_date, regions, p.username))
            rec_id = cur.fetchone()[0]
            for cid in company_ids:
                cur.execute("INSERT INTO recommendation_companies (recommendation_id, company_id) VALUES (%s, %s)",
                            (rec_id, cid))
            for g in groups or ():
                cur.execute("""INSERT INTO recommendation_groups (recommendation_id, regency_code, purpose, nationality, label)
                               VALUES (%s, %s, %s, %s, %s)""",
                            (rec_id, g.get("regency"), g.get("purpose"), g.get("nationality"), g["label"]))
            cur.execute("""INSERT INTO recommendation_notes (recommendation_id, username, agency, status_from, status_to,
                                                             note, version)
                           VALUES (%s, %s, %s, NULL, 'baru', '', 1)""", (rec_id, p.username, p.agency))
            audit.record(cur, "recommendation.create", **p.audit_fields(), target=f"recommendation:{rec_id}",
                         detail={"meeting_id": meeting_id, "agency": agency, "due_date": due_date.isoformat(),
                                 "regions": regions, "company_ids": company_ids})
            return rec_id
    except (psycopg2.errors.CheckViolation, psycopg2.errors.ForeignKeyViolation) as exc:
        raise InvalidInput(f"invalid value: {exc.diag.message_primary}", exc.diag.constraint_name) from exc


@dataclass(frozen=True)
class Update:
    status: str | None = None
    note: str = ""
    files: tuple[Upload, ...] = ()


def update_recommendation(conn: Connection, p: Actor, rec_id: int, change: Update, expected_version: int) -> int | None:
    """Apply a status change and/or a progress note (with evidence) if the recommendation is still at
    `expected_version`; returns the new version, None when it is not visible. Raises NotAllowed
    (another agency's, or a reader), StaleVersion, InvalidInput; then nothing is changed."""
    note = (change.note or "").strip()
    if change.status is not None and change.status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}", "status")
    with transaction(conn) as cur:
        cur.execute(_visible_rec_sql(lock=True), _params(p, id=rec_id))
        rows = _rows(cur)
        if not rows:
            return None
        row = rows[0]
        if not can_update(p, row["agency"]):
            raise NotAllowed("rekomendasi ini tanggung jawab instansi lain, atau peran Anda hanya membaca "
                             "(another agency's recommendation, or a read-only role)")
        if row["version"] != expected_version:
            raise StaleVersion(f"version: recommendation {rec_id} is at version {row['version']}, not "
                               f"{expected_version}; reload it and apply your change again", row["version"])
        status = change.status or row["status"]
        if status == row["status"] and not note and not change.files:
            raise InvalidInput("isi status baru, catatan atau bukti (nothing to change: give a status, a note or evidence)")
        version = row["version"] + 1
        cur.execute("UPDATE recommendations SET status = %s, version = %s, updated_at = now() WHERE id = %s",
                    (status, version, rec_id))
        cur.execute("""INSERT INTO recommendation_notes (recommendation_id, username, agency, status_from, status_to,
                                                         note, version)
                       VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (rec_id, p.username, p.agency, row["status"], status, note, version))
        note_id = cur.fetchone()[0]
        for f in change.files:
            cur.execute("""INSERT INTO recommendation_evidence (note_id, recommendation_id, file_name, media_type,
                                                                size_bytes, sha256, content, uploaded_by)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                        (note_id, rec_id, f.name, f.media_type, f.size, f.sha256, f.content, p.username))
        audit.record(cur, "recommendation.update", **p.audit_fields(), target=f"recommendation:{rec_id}",
                     detail={"status": [row["status"], status], "version": [row["version"], version],
                             "note": bool(note), "evidence": [f.sha256 for f in change.files]})
        return version


def refused(conn: Connection, p: Actor, rec_id: int, reason: str) -> None:
    """Audit a refused update (its own transaction)."""
    audit.record(conn, "recommendation.update", **p.audit_fields(), target=f"recommendation:{rec_id}",
                 outcome="denied", detail={"reason": reason})


def evidence_file(conn: Connection, p: Actor, rec_id: int, evidence_id: int) -> tuple[str, str, bytes] | None:
    with transaction(conn) as cur:
        cur.execute(_visible_rec_sql(), _params(p, id=rec_id))
        if cur.fetchone() is None:
            return None
        cur.execute("""SELECT file_name, media_type, content FROM recommendation_evidence
                        WHERE id = %s AND recommendation_id = %s""", (evidence_id, rec_id))
        row = cur.fetchone()
    if row is None:
        return None
    if not can_download(p):
        raise NotAllowed("peran Anda tidak boleh mengunduh bukti (role may not download evidence)")
    return row[0], row[1], bytes(row[2])


def report_file(conn: Connection, p: Actor, meeting_id: int, report_id: int) -> tuple[str, str, bytes] | None:
    with single_read(conn) as cur:
        cur.execute(f"""SELECT r.file_name, r.kind, r.content FROM meeting_reports r JOIN meetings m ON m.id = r.meeting_id
                         WHERE r.id = %(rid)s AND m.id = %(id)s AND {MEETING_VISIBLE}""",  # noqa: S608
                    _params(p, id=meeting_id, rid=report_id))
        row = cur.fetchone()
    if row is None:
        return None
    if not can_read_reports(p):
        raise NotAllowed("laporan rapat mencakup seluruh provinsi: hanya untuk pengguna tingkat provinsi "
                         "(province-wide users only)")
    return row[0], REPORT_TYPES[row[1]], bytes(row[2])


REPORT_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def agencies(conn: Connection) -> list[tuple[str, str]]:
    with single_read(conn) as cur:
        cur.execute("SELECT code, name FROM agencies ORDER BY code")
        return cur.fetchall()
