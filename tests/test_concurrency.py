"""Load without loss: several clients import and edit at the same time against a real server.

Import clients post company files with overlapping and disjoint NIB sets, in different row orders,
from different agencies (`source`), in both modes (skip_invalid with a bad row, all_or_nothing clean
and with a bad row). Edit clients PATCH companies with If-Match, some on the same companies (they
race), some each on their own, plus requests without If-Match (428) and with a stale body version
(409). At the end:

- every NIB of an accepted import is present exactly once, with the values of one accepted file
  that contained it; NIBs only in refused files or on rejected rows are absent;
- every edited company's version = 1 + the accepted edits that changed something, and its value is
  that of the accepted edit with the highest version;
- every refusal is 409/412/428 (edits) or 422 (imports: bad rows); imports write one at a time, so
  none collides with another (no deadlock → 409), never a 500 nor a 503;
- the audit log has exactly one record per accepted write (import batches and edits).
"""

from __future__ import annotations

import csv
import io
import random
import threading
import time
from collections import Counter, defaultdict

import httpx
import psycopg2
import pytest

from geo.auth.users import create_user
from tests.conftest import LiveServer
from tests.dbutil import run_all

pytestmark = pytest.mark.slow  # concurrent imports and edits on a server of its own

HEADER = ["nib", "nama_perusahaan", "sektor", "kbli", "alamat", "kabupaten_kota", "kecamatan",
          "latitude", "longitude", "rptka_berlaku_hingga"]
IMPORT_CLIENTS, FILES_PER_CLIENT, SHARED_NIBS = 4, 4, 160
EDIT_CLIENTS, EDITS_PER_CLIENT = 4, 25
RETRIES = 4
PASSWORD = "kata-sandi-konkuren-panjang"
AGENCIES = ("imigrasi", "disnakertrans")


def _points(url: str, n: int) -> list[tuple[float, float]]:
    """Points well inside Kalimantan Tengah districts (lat, lon)."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT ST_Y(p), ST_X(p) FROM (
                         SELECT (ST_Dump(ST_GeneratePoints(ST_Buffer(geom::geography, -500)::geometry, 3, 11))).geom p
                           FROM boundaries WHERE level = 'district' ORDER BY code) s""")
        pts = cur.fetchall()
    assert len(pts) >= n
    return pts[:n]


def _seed_companies(url: str, n: int) -> list[int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO companies (nib, name, sector, geom)
                       SELECT lpad((9100000000000 + g)::text, 13, '0'), 'PT Edit ' || g, 'jasa', ST_PointOnSurface(b.geom)
                         FROM generate_series(1, %s) g
                         JOIN boundaries b ON b.code = '62.71.01'
                       RETURNING id""", (n,))
        return sorted(r[0] for r in cur.fetchall())


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(rows)
    return out.getvalue().encode()


def _plan_imports(points) -> list[list[dict]]:
    """Per client, its files: rows, mode, source, the line numbers of the deliberately bad rows."""
    rnd = random.Random(20260)
    shared = [f"62{i:011d}" for i in range(1, SHARED_NIBS + 1)]
    where = {nib: points[i] for i, nib in enumerate(shared)}
    plans = []
    for c in range(IMPORT_CLIENTS):
        own = [f"63{c:02d}{i:09d}" for i in range(1, 41)]
        where.update({nib: points[SHARED_NIBS + c * 40 + i] for i, nib in enumerate(own)})
        files = []
        for f in range(FILES_PER_CLIENT):
            nibs = rnd.sample(shared, 70) + own[f * 10:(f + 1) * 10]
            rnd.shuffle(nibs)  # the same NIBs arrive in different orders from different clients
            rows = []
            for nib in nibs:
                lat, lon = where[nib]
                rows.append([nib, f"PT Konkuren {nib} c{c}f{f}", "Jasa", "46100", f"Jl. Uji {c}-{f}", "", "",
                             f"{lat:.6f}", f"{lon:.6f}", "2027-12-31"])
            kind = ("clean", "skip_bad", "refused", "clean")[f]
            bad_nib = None
            if kind != "clean":
                bad_nib = f"64{c:02d}{f:09d}"  # a NIB nobody else sends, on a row without a location
                rows.insert(rnd.randrange(len(rows)), [bad_nib, f"PT Rusak {c}{f}", "Jasa", "46100", "", "", "",
                                                       "", "", "2027-12-31"])
            files.append({"rows": rows, "mode": "skip_invalid" if kind == "skip_bad" else "all_or_nothing",
                          "source": AGENCIES[(c + f) % 2], "kind": kind, "bad_nib": bad_nib,
                          "name": f"perusahaan-c{c}-f{f}.csv"})
        plans.append(files)
    return plans


@pytest.fixture
def world(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    try:
        create_user(conn, "editor.konkuren", PASSWORD, "editor", "kesbangpol", None)
        # Each agency's files come from an editor of that agency (an editor imports for its own only).
        for agency in AGENCIES:
            create_user(conn, f"editor.{agency}", PASSWORD, "editor", agency, None)
    finally:
        conn.close()
    edit_ids = _seed_companies(fresh_db_url, 6)
    points = _points(fresh_db_url, SHARED_NIBS + IMPORT_CLIENTS * 40)
    server = LiveServer(fresh_db_url)
    try:
        token = httpx.post(f"{server.base}/api/auth/token", data={"username": "editor.konkuren", "password": PASSWORD},
                           timeout=60)
        token.raise_for_status()
        yield {"url": fresh_db_url, "server": server, "edit_ids": edit_ids, "points": points,
               "headers": {"Authorization": f"Bearer {token.json()['access_token']}"},
               "agency_headers": {a: _bearer(server.base, f"editor.{a}") for a in AGENCIES}}
    finally:
        server.stop()


def _bearer(base: str, username: str) -> dict:
    token = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=60)
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _importer(base, agency_headers, files, results, errors):
    try:
        with httpx.Client(base_url=base, timeout=180) as client:
            for spec in files:
                # A well-behaved client sends a file again when told it collided with another import (409).
                for attempt in range(RETRIES + 1):
                    r = client.post("/api/imports/companies", headers=agency_headers[spec["source"]],
                                    files={"file": (spec["name"], _csv(spec["rows"]), "text/csv")},
                                    data={"mode": spec["mode"], "source": spec["source"]})
                    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                    results.append((spec, r.status_code, body))
                    if r.status_code != 409:
                        break
                    time.sleep(0.2 * (attempt + 1))
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def _editor(base, headers, client_no, targets, results, errors):
    """PATCH loop; `targets` are company ids (shared by all editors, or this editor's own)."""
    rnd = random.Random(client_no)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            for step in range(EDITS_PER_CLIENT):
                company = rnd.choice(targets)
                current = client.get(f"/api/companies/{company}")
                assert current.status_code == 200, current.text
                etag, name = current.headers["etag"], current.json()["name"]
                roll = rnd.random()
                if roll < 0.08:  # no precondition at all
                    r = client.patch(f"/api/companies/{company}", json={"name": f"Tanpa versi {client_no}-{step}"})
                    results.append({"company": company, "status": r.status_code, "kind": "no_precondition"})
                    continue
                if roll < 0.16:  # a stale version in the body only
                    r = client.patch(f"/api/companies/{company}",
                                     json={"name": f"Basi {client_no}-{step}", "version": int(etag.strip('"')) - 1 or 999})
                    results.append({"company": company, "status": r.status_code, "kind": "stale_body"})
                    continue
                # Sometimes send the name it already has: accepted, but changes nothing.
                new = name if roll < 0.30 else f"PT Edit k{client_no} s{step}"
                r = client.patch(f"/api/companies/{company}", json={"name": new}, headers={"If-Match": etag})
                results.append({"company": company, "status": r.status_code, "kind": "if_match", "sent": new,
                                "changed": new != name,
                                "version": int(r.headers["etag"].strip('"')) if r.status_code == 200 else None,
                                "read_version": int(etag.strip('"'))})
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def test_concurrent_imports_and_edits_lose_nothing(world):
    base, headers, url = world["server"].base, world["headers"], world["url"]
    ids = world["edit_ids"]
    shared_targets, own_targets = ids[:2], ids[2:]
    plans = _plan_imports(world["points"])

    import_results, edit_results, errors = [], [], []
    threads = [threading.Thread(target=_importer, args=(base, world["agency_headers"], files, import_results, errors))
               for files in plans]
    for k in range(EDIT_CLIENTS):
        # Half the editors race on the two shared companies, the others each edit only their own.
        targets = shared_targets if k % 2 == 0 else [own_targets[k // 2]]
        threads.append(threading.Thread(target=_editor, args=(base, headers, k, targets, edit_results, errors)))
    assert not run_all(threads, 600), "a client hung"
    assert not errors, errors

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        # --- imports: each accepted NIB exactly once, with the values of an accepted file ---
        accepted_names: dict[str, set[str]] = defaultdict(set)
        refused_only: set[str] = set()
        for spec, status, _ in import_results:
            for row in spec["rows"]:
                if row[0] == spec["bad_nib"]:
                    continue
                if status == 200:
                    accepted_names[row[0]].add(row[1])
                else:
                    refused_only.add(row[0])
        refused_only -= set(accepted_names)
        bad_nibs = {spec["bad_nib"] for spec, _, _ in import_results if spec["bad_nib"]}
        cur.execute("SELECT nib, count(*) FROM companies GROUP BY nib HAVING count(*) > 1")
        assert cur.fetchall() == []
        cur.execute("SELECT nib, name FROM companies WHERE nib = ANY(%s)",
                    (sorted(set(accepted_names) | refused_only | bad_nibs),))
        stored = dict(cur.fetchall())
        assert set(stored) == set(accepted_names), (
            f"missing {sorted(set(accepted_names) - set(stored))[:5]}, extra {sorted(set(stored) - set(accepted_names))[:5]}")
        for nib, name in stored.items():
            assert name in accepted_names[nib], (nib, name)

        accepted_imports = sum(1 for _, s, _ in import_results if s == 200)
        cur.execute("SELECT count(*) FROM import_batches WHERE kind = 'companies'")
        assert cur.fetchone()[0] == accepted_imports
        cur.execute("SELECT count(*) FROM audit_log WHERE action = 'import.companies' AND outcome = 'ok'")
        assert cur.fetchone()[0] == accepted_imports
        cur.execute("SELECT count(*) FROM audit_log WHERE action = 'import.companies' AND outcome <> 'ok'")
        assert cur.fetchone()[0] == sum(1 for _, s, _ in import_results if s == 422)

        # --- edits: version = 1 + accepted changing edits; value of the last accepted version ---
        for company in ids:
            mine = [r for r in edit_results if r["company"] == company]
            accepted = [r for r in mine if r["status"] == 200]
            changing = [r for r in accepted if r["changed"]]
            cur.execute("SELECT version, name FROM companies WHERE id = %s", (company,))
            version, name = cur.fetchone()
            assert version == 1 + len(changing), (company, version, len(changing))
            # Each accepted change moved the version by exactly one from what its client read.
            assert sorted(r["version"] for r in changing) == list(range(2, version + 1))
            assert all(r["version"] == r["read_version"] + r["changed"] for r in accepted)
            if changing:
                assert name == max(changing, key=lambda r: r["version"])["sent"]
            else:
                assert name == f"PT Edit {ids.index(company) + 1}"
            cur.execute("SELECT count(*) FROM audit_log WHERE action = 'company.update' AND outcome = 'ok' AND target = %s",
                        (f"company:{company}",))
            assert cur.fetchone()[0] == len(accepted), company
        cur.execute("SELECT count(*) FROM audit_log WHERE action = 'company.update'")
        assert cur.fetchone()[0] == sum(1 for r in edit_results if r["status"] == 200)

    # --- answers (checked last, so that a wrong answer does not hide lost or doubled data): accepted, or
    # refused for a reason the client can act on; never a 500, nor a 503 'database unavailable' for a
    # database that is up (e.g. a deadlock between two imports reported as an outage) ---
    # Imports write one at a time (geo/imports/store.serialize_writes), so none may collide with another:
    # a 409 here means two imports deadlocked and PostgreSQL aborted one.
    statuses = Counter(s for _, s, _ in import_results)
    assert set(statuses) <= {200, 422}, f"import answers {dict(statuses)}: {[b for _, s, b in import_results if s >= 500]}"
    final = {}
    for spec, status, body in import_results:
        final[spec["name"]] = (spec, status, body)
    for spec, status, body in final.values():  # each file's last answer, after the client's retries
        expected = 422 if spec["kind"] == "refused" else 200
        assert status == expected, (spec["name"], status, body)
        assert body["committed"] is (status == 200)
        if spec["kind"] == "skip_bad":
            assert body["rejected_rows"] == 1
    edit_statuses = Counter(r["status"] for r in edit_results)
    assert set(edit_statuses) <= {200, 409, 412, 428}, dict(edit_statuses)
    for r in edit_results:
        if r["kind"] == "no_precondition":
            assert r["status"] == 428
        elif r["kind"] == "stale_body":
            assert r["status"] == 409
    races = [r for r in edit_results if r["kind"] == "if_match" and r["company"] in shared_targets]
    assert any(r["status"] == 412 for r in races), "the racing editors never collided: the test proves nothing"
