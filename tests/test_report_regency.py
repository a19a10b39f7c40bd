"""The PDF report of one regency (`--regency 62.02`, GET /api/reports?regency=62.02) read back as a
person reads it: pdftotext of every page, the maps' and charts' text layer included (their labels,
legends and titles are laid under each image as invisible text)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests import test_reports as base
from tests import test_reports_data as dataset
from tests.test_reports import pdf_pages, report

known_db, server, token = dataset.known_db, base.server, base.token  # the module fixtures
pytestmark = pytest.mark.slow  # a one-regency PDF: ~20 s
REGENCY, REGENCY_NAME = "62.02", "Kabupaten Kotawaringin Timur"
CLASS_RANGE = re.compile(r"(?<![\d.])\d+–\d+(?![\d.])")  # a legend class "3–10" (en dash)


MAP_PAGE = 4  # after the cover, the summary and the meeting pack's two pages (no meeting here)


@pytest.fixture(scope="module")
def districts(server, token):
    r = httpx.get(f"{server.base}/api/stats/district", params={"parent": REGENCY}, headers=token("admin"), timeout=60)
    r.raise_for_status()
    rows = r.json()["regions"]
    assert len(rows) > 3
    return rows


@pytest.fixture(scope="module")
def pages(server, token, tmp_path_factory):
    r = report(server, token("admin"), format="pdf", regency=REGENCY)
    assert r.status_code == 200, r.text
    return pdf_pages(r.content, tmp_path_factory.mktemp("regency"))


def test_cover_names_the_regency(pages):
    title = pages[0].split("Periode", 1)[0]
    assert REGENCY_NAME in title and "Provinsi" not in title, title
    assert f"Pemantauan Orang Asing dan TKA {REGENCY_NAME}" in pages[1].strip().splitlines()[0]  # the running head


def test_no_projection_axis_labels_anywhere(pages):
    text = "\n".join(pages)
    assert "Easting" not in text and "Northing" not in text and "metre" not in text


def test_footer_names_the_regency_as_the_scope(pages):
    for page in pages:
        assert f"cakupan: {REGENCY_NAME}" in " ".join(page.split()), page[-400:]
    assert "seluruh provinsi" not in "\n".join(pages)


def test_the_map_page_is_the_regency_by_district_not_the_province(pages, districts):
    maps = [i for i, p in enumerate(pages) if "Peta sebaran TKA" in p]
    assert maps == [MAP_PAGE]
    page = pages[MAP_PAGE]
    assert "per kabupaten/kota" not in page and "per kecamatan" in page
    # its districts are named on it (labels that fit; the ones with workers carry figures)
    named = [d["name"] for d in districts if d["name"] in page]
    assert len(named) >= len(districts) // 2, named
    assert "TKA per kecamatan" in page and CLASS_RANGE.search(page)


def test_one_page_per_district_with_workers_and_one_table_for_the_rest(pages, districts):
    with_workers = [d for d in districts if d["foreign_workers"] > 0]
    empty = [d for d in districts if d["foreign_workers"] == 0]
    assert with_workers and len(empty) > 3
    atlas = [p for p in pages if "Atlas: " in p]
    assert [re.search(r"Atlas: (.+)", p).group(1).strip() for p in atlas] == [d["name"] for d in with_workers]
    tables = [p for p in pages if "Kecamatan tanpa TKA" in p]
    assert len(tables) == 1
    for d in empty:
        assert re.search(rf"\b{re.escape(d['code'])}\s+{re.escape(d['name'])}\b", tables[0]), d
        assert not any(f"Atlas: {d['name']}" in p for p in pages)


def test_each_district_page_has_the_regency_legend(pages):
    classes = set(CLASS_RANGE.findall(pages[MAP_PAGE]))
    assert classes
    atlas = [p for p in pages if "Atlas: " in p]
    for page in atlas:
        assert "TKA per kecamatan" in page, page[:300]
        assert set(CLASS_RANGE.findall(page)) == classes  # same classes, so colours compare across pages
        assert "Perusahaan" in page


def test_a_user_limited_to_one_regency_reads_its_name_as_the_scope(server, token, tmp_path):
    r = report(server, token("viewer", [REGENCY]), format="pdf")
    assert r.status_code == 200, r.text
    for page in pdf_pages(r.content, tmp_path):
        assert f"cakupan: {REGENCY_NAME}" in " ".join(page.split())


def test_the_html_of_the_regency_has_its_title_and_the_pdf_map_legend(server, token, pages, districts, tmp_path):
    from tests.test_report_html_parity import READ_MAPS, _open_offline

    r = report(server, token("admin"), format="html", regency=REGENCY)
    assert r.status_code == 200, r.text
    maps, title = _open_offline(r.content, tmp_path / "r.html", 1280, 800,
                                [READ_MAPS, "() => document.querySelector('h1').textContent"])
    assert REGENCY_NAME in title and "Provinsi" not in title
    assert len(maps) == 1 and maps[0]["legendTitle"] == "TKA per kecamatan"
    assert {c for row in maps[0]["legendRows"] for c in CLASS_RANGE.findall(row)} == set(CLASS_RANGE.findall(pages[MAP_PAGE]))
    assert sorted(lbl["code"] for lbl in maps[0]["labels"]) == sorted(d["code"] for d in districts)
