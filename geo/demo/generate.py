"""Build the synthetic dataset as column tables (numpy/pandas, vectorised): companies, their work
sites, workers, inspections and the two agencies' disagreements. No database here: the districts
come in as plain data and points are drawn later by PostGIS (geo/demo/write.py).

Deterministic: the same size, seed, today and districts give the same tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo.demo import profile as P


@dataclass(frozen=True)
class Size:
    companies: int = P.DEFAULT_COMPANIES
    workers: int = P.DEFAULT_WORKERS
    inspections: int = P.DEFAULT_INSPECTIONS
    foreign_nationals: int = P.DEFAULT_FOREIGN_NATIONALS  # besides the workers (geo/demo/foreign.py)
    lodgings: int = P.DEFAULT_LODGINGS
    lodging_stays: int = P.DEFAULT_LODGING_STAYS
    activities: int = P.DEFAULT_ACTIVITIES


@dataclass(frozen=True)
class District:
    code: str
    regency: str
    name: str
    area_km2: float


@dataclass
class Dataset:
    companies: pd.DataFrame    # one row per company; `district_code` is where its point must fall
    workers: pd.DataFrame      # `company` = row index into companies
    inspections: pd.DataFrame
    sites: pd.DataFrame        # company -> district of its separate work site


def apportion(total: int, weights) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (largest remainder: exact sum)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = w / w.sum() * total
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    # Stable order so ties resolve the same way every run.
    out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _band_days(rng: np.random.Generator, bands, n: int) -> np.ndarray:
    """Days from today, drawn per band (expired / within 30 / within 90 / later)."""
    which = rng.choice(len(bands), size=n, p=np.array([b[0] for b in bands]) / sum(b[0] for b in bands))
    lo = np.array([b[1] for b in bands])[which]
    hi = np.array([b[2] for b in bands])[which]
    return lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)


def _area_choice(rng, districts: list[District], n: int, exclude: str | None = None) -> np.ndarray:
    pool = [d for d in districts if d.code != exclude] or districts
    p = np.array([d.area_km2 for d in pool])
    return np.array([d.code for d in pool], dtype=object)[rng.choice(len(pool), size=n, p=p / p.sum())]


def _companies(rng, n: int, districts: dict[str, list[District]], names: dict[str, str]) -> pd.DataFrame:
    regencies = [r for r in P.REGENCIES if districts.get(r.code)]
    per_regency = apportion(n, [r.company_share for r in regencies])
    parts = []
    for reg, k in zip(regencies, per_regency, strict=True):
        sectors = list(reg.sectors)
        counts = apportion(int(k), [reg.sectors[s] for s in sectors])
        sector = np.repeat(np.array(sectors, dtype=object), counts)
        district = _area_choice(rng, districts[reg.code], len(sector))
        town = np.zeros(len(sector), dtype=bool)
        for s in sectors:  # profile order: a set's order changes with PYTHONHASHSEED, and the draws with it
            m = sector == s
            fixed = P.SECTOR_DISTRICTS.get((reg.code, s))
            if fixed:
                district[m] = np.array(fixed, dtype=object)[rng.integers(0, len(fixed), int(m.sum()))]
            elif s in P.TOWN_SECTORS:
                in_town = m & (rng.random(len(sector)) < 0.85)
                district[in_town] = reg.capital
                town[in_town] = True
        parts.append(pd.DataFrame({"regency_code": reg.code, "sector": sector, "district_code": district,
                                   "town": town, "worker_share": reg.worker_share}))
    df = pd.concat(parts, ignore_index=True)
    # Numbering by shuffled order, so numbers do not betray the regency.
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    width = max(3, len(str(n)))
    num = np.arange(1, n + 1)
    suffix = np.array(P.NAME_SUFFIX, dtype=object)[rng.integers(0, len(P.NAME_SUFFIX), n)]
    word = df["sector"].map(P.NAME_WORD).to_numpy()
    df["name"] = [f"PT Contoh {w} {s} {i:0{width}d}" for w, s, i in zip(word, suffix, num, strict=True)]
    df["nib"] = [f"99{i:011d}" for i in num]  # 13 digits, '99' marks demo data
    df["kbli"] = df["sector"].map(P.KBLI)
    dname = {d.code: d.name for ds in districts.values() for d in ds}
    street = rng.integers(1, 250, n)
    df["address"] = [f"Jl. Contoh Raya No. {s}, Kec. {dname[d]}, {names[r]}" for s, d, r in
                     zip(street, df["district_code"], df["regency_code"], strict=True)]
    df["rptka_days"] = _band_days(rng, P.RPTKA_BANDS, n)
    df["status"] = "active"
    # A few companies declare another regency than the one their point lies in.
    df["declared_regency"] = df["regency_code"]
    df["declared_district"] = df["district_code"]
    k = min(n, max(2, round(n * P.LOCATION_MISMATCH_SHARE))) if n >= 10 else 0
    codes = np.array([r.code for r in regencies], dtype=object)
    for i in rng.choice(n, size=k, replace=False):
        others = codes[codes != df.at[i, "regency_code"]]
        df.at[i, "declared_regency"] = others[rng.integers(0, len(others))]
        df.at[i, "declared_district"] = None
    return df


def _workforce(rng, companies: pd.DataFrame, total: int) -> np.ndarray:
    """Workers per company: regency totals as profiled, split by sector size with some noise."""
    counts = np.zeros(len(companies), dtype=np.int64)
    regs = companies.groupby("regency_code", sort=True)
    shares = regs["worker_share"].first()
    per_regency = dict(zip(shares.index, apportion(total, shares.to_numpy()), strict=True))
    for code, idx in regs.indices.items():
        w = companies["sector"].iloc[idx].map(P.SECTOR_WORKFORCE).to_numpy() * rng.lognormal(0, 0.5, len(idx))
        r = per_regency[code]
        base = 1 if r >= len(idx) else 0
        counts[idx] = base + apportion(r - base * len(idx), w)
    return counts


def _workers(rng, companies: pd.DataFrame, counts: np.ndarray, today: date) -> pd.DataFrame:
    company = np.repeat(np.arange(len(companies)), counts)
    n = len(company)
    sector = companies["sector"].to_numpy()[company]
    nationality = np.empty(n, dtype=object)
    level = _pick(rng, P.LEVEL_SHARES, n)
    position = np.empty(n, dtype=object)
    for s in np.unique(sector):
        m = sector == s
        nationality[m] = _pick(rng, P.SECTOR_NATIONALITY[s], int(m.sum()))
    for lv in P.LEVEL_SHARES:
        for s in np.unique(sector):
            m = (level == lv) & (sector == s)
            titles = P.PROFESSIONALS[s] if lv == "profesional" else P.POSITIONS[lv]
            position[m] = np.array(titles, dtype=object)[rng.integers(0, len(titles), int(m.sum()))]
    width = max(5, len(str(n)))
    num = np.arange(1, n + 1)
    permit = _band_days(rng, P.PERMIT_BANDS, n)
    nib_num = companies["nib"].str[-5:].to_numpy()[company]
    return pd.DataFrame({
        "company": company,
        "full_name": [f"Demo Pekerja {i:0{width}d}" for i in num],
        "passport_number": [f"DM{i:08d}" for i in num],  # fake: 'DM' + serial, never a real format
        "nationality": nationality,
        "sex": np.where(rng.random(n) < P.MALE_SHARE, "L", "P"),
        "position": position,
        "position_level": level,
        "rptka_number": [f"RPTKA-DEMO-{c}/{today.year}" for c in nib_num],
        "permit_days": permit,
        "itas_number": [f"ITASDEMO{i:08d}" for i in num],
        # A stay permit rarely outlasts the work permit it rests on.
        "itas_days": permit - rng.integers(0, 45, n),
        "at_site": np.zeros(n, dtype=bool),
        "status": np.where(rng.random(n) < 0.02, "departed", "active"),
    })


def _sites(rng, companies: pd.DataFrame, workers: pd.DataFrame, districts) -> pd.DataFrame:
    """Field-sector companies with a mine/plantation/plant in another district of the regency."""
    field = companies["sector"].isin(P.FIELD_SECTORS).to_numpy() & (rng.random(len(companies)) < P.FIELD_SITE_COMPANY_SHARE)
    idx = np.flatnonzero(field)
    site = np.empty(len(idx), dtype=object)
    regency = companies["regency_code"].to_numpy()[idx]
    hq = companies["district_code"].to_numpy()[idx]
    for code in np.unique(regency):
        m = regency == code
        pick = _area_choice(rng, districts[code], int(m.sum()))
        # Redraw where the site fell in the head office's district; a few stubborn ones keep it.
        for _ in range(5):
            same = pick == hq[m]
            if not same.any():
                break
            pick[same] = _area_choice(rng, districts[code], int(same.sum()))
        site[m] = pick
    has_site = np.zeros(len(companies), dtype=bool)
    has_site[idx] = True
    workers["at_site"] = has_site[workers["company"].to_numpy()] & (rng.random(len(workers)) < P.FIELD_SITE_WORKER_SHARE)
    return pd.DataFrame({"company": idx, "district_code": site})


def _inspections(rng, companies: pd.DataFrame, counts: np.ndarray, n: int) -> pd.DataFrame:
    if n == 0 or len(companies) == 0:
        return pd.DataFrame(columns=["company", "days_ago", "team", "finding", "notes", "follow_up", "status"])
    p = (counts + 1) / (counts + 1).sum()  # bigger employers are visited more often
    company = rng.choice(len(companies), size=n, p=p)
    days_ago = rng.integers(1, P.INSPECTION_DAYS + 1, n)
    teams = [t for t, _ in P.TEAMS]
    team = rng.choice(len(teams), size=n, p=np.array([w for _, w in P.TEAMS]) / sum(w for _, w in P.TEAMS))
    # (company, date, team) is unique: move clashing visits a day earlier until none clash.
    for _ in range(10_000):
        key = pd.DataFrame({"c": company, "d": days_ago, "t": team})
        dup = key.duplicated().to_numpy()
        if not dup.any():
            break
        days_ago[dup] += 1
    finding = _pick(rng, P.FINDING_SHARES, n)
    mismatched = (companies["declared_regency"] != companies["regency_code"]).to_numpy()
    # A company that declared the wrong regency was caught at its latest visit.
    latest = pd.DataFrame({"c": company, "d": days_ago}).groupby("c")["d"].idxmin()
    caught = latest[mismatched[latest.index]].to_numpy()
    finding[caught] = "location_mismatch"
    notes = np.array([P.FINDING_TEXT[f][0] for f in finding], dtype=object)
    pick = rng.random(n)
    follow = np.array([P.FINDING_TEXT[f][1][int(x * len(P.FINDING_TEXT[f][1]))] for f, x in zip(finding, pick, strict=True)],
                      dtype=object)
    status = np.where(finding == "none", "closed",
                      np.where(days_ago > 120, np.where(rng.random(n) < 0.85, "closed", "in_progress"),
                               np.where(rng.random(n) < 0.5, "open", "in_progress")))
    return pd.DataFrame({
        "company": company, "days_ago": days_ago,
        "team": ["{" + ",".join(teams[t]) + "}" for t in team],
        "finding": finding, "notes": notes, "follow_up": follow, "status": status,
    })


def _discrepancies(rng, companies: pd.DataFrame, workers: pd.DataFrame, counts: np.ndarray) -> None:
    """Where Disnakertrans' file disagrees with Imigrasi's: fewer workers listed (e.g. 27 vs 12),
    an old address, an old RPTKA date, a worker under another employer's NIB."""
    n = len(companies)
    companies["dn_workers"] = counts.copy()  # workers Disnakertrans lists
    companies["dn_address"] = companies["address"]
    companies["dn_rptka_days"] = companies["rptka_days"]
    workers["dn_listed"] = True
    workers["dn_company"] = workers["company"]
    if n < 4:
        return
    first_row = np.concatenate([[0], np.cumsum(counts)[:-1]])  # workers are grouped by company
    k = max(1, round(n * P.DISCREPANCY_SHARE))
    order = rng.permutation(n)
    big = order[counts[order] >= 5]
    # The headline case first: the employer whose workforce is closest to 27.
    under: list[int] = []
    if len(big):
        first = int(big[np.argmin(np.abs(counts[big] - 27))])
        under = [first, *[int(c) for c in big[big != first][: k - 1]]]
    taken = set(under)
    rest = [int(c) for c in order if c not in taken]
    moved_addr, old_rptka, rest = rest[:k], rest[k:2 * k], rest[2 * k:]
    dn_listed = workers["dn_listed"].to_numpy().copy()
    for c in under:
        listed = round(counts[c] * 0.45)
        companies.at[c, "dn_workers"] = listed
        dn_listed[first_row[c] + listed:first_row[c] + counts[c]] = False
    workers["dn_listed"] = dn_listed
    companies.loc[moved_addr, "dn_address"] = [f"Jl. Contoh Lama No. {i}" for i in rng.integers(1, 99, len(moved_addr))]
    companies.loc[old_rptka, "dn_rptka_days"] = companies.loc[old_rptka, "rptka_days"] - 365
    # A worker Disnakertrans still files under another company.
    dn_company = workers["dn_company"].to_numpy().copy()
    for c in [c for c in rest if counts[c] >= 2][:k]:
        dn_company[first_row[c] + counts[c] - 1] = (c + 1) % n
    workers["dn_company"] = dn_company

def generate(size: Size, seed: int, today: date, districts: list[District],
             regency_names: dict[str, str]) -> Dataset:
    """The whole dataset for a given size, seed and date (points excepted: see write.py)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    by_regency: dict[str, list[District]] = {}
    for d in sorted(districts, key=lambda d: d.code):
        if d.regency not in P.EXCLUDED_REGENCIES:
            by_regency.setdefault(d.regency, []).append(d)
    companies = _companies(rng, size.companies, by_regency, regency_names)
    counts = _workforce(rng, companies, size.workers)
    workers = _workers(rng, companies, counts, today)
    sites = _sites(rng, companies, workers, by_regency)
    inspections = _inspections(rng, companies, counts, size.inspections)
    _discrepancies(rng, companies, workers, counts)
    return Dataset(companies, workers, inspections, sites)
