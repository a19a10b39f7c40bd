"""The foreign nationals of the synthetic province besides its workers (issue 17), as column tables:
persons, their stays, lodgings and their guests, monitoring activities. Built on the companies and
workers of generate.py (families live by their worker's company, investors by theirs, workers on a
business trip stay at lodgings); the villages come in as plain data, points are drawn by PostGIS
(geo/demo/write_foreign.py).

Deterministic: its own random stream from the seed, so adding it changed none of the companies,
workers or inspections of a seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo.demo import profile as P
from geo.demo.generate import _pick, apportion

_STREAM = 17  # the issue number: a stream of its own beside the workers'
_STREETS = ("Melati", "Anggrek", "Kenanga", "Cempaka", "Mawar", "Flamboyan", "Tingang", "Kahayan",
            "Mentaya", "Sisingamangaraja", "Yos Sudarso", "Tjilik Riwut")


@dataclass(frozen=True)
class Village:
    code: str
    district: str
    area_km2: float
    town: str | None  # the named town (profile.TOWNS) whose centre it lies near, if any


@dataclass
class ForeignDataset:
    persons: pd.DataFrame      # persons other than the workers (workers get theirs from a trigger)
    stays: pd.DataFrame        # by passport+nationality; village_code None = by the anchor company
    lodgings: pd.DataFrame
    guests: pd.DataFrame       # lodging stays: lodging idx, passport+nationality, days
    activities: pd.DataFrame
    targets: pd.DataFrame      # activity idx -> company idx


def _choose(rng, keys, weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=w / w.sum())]


def _uniform(rng, lo, hi) -> np.ndarray:
    """Integers in [lo, hi] (arrays)."""
    lo, hi = np.asarray(lo), np.asarray(hi)
    return lo + np.floor(rng.random(lo.shape) * (hi - lo + 1)).astype(np.int64)


class _Places:
    """Villages by district and by town, drawn from uniformly (a town's villages) or by area."""

    def __init__(self, villages: list[Village]):
        self.by_district: dict[str, list[Village]] = {}
        self.by_town: dict[str, list[Village]] = {}
        for v in sorted(villages, key=lambda v: v.code):
            self.by_district.setdefault(v.district, []).append(v)
            if v.town:
                self.by_town.setdefault(v.town, []).append(v)

    def has(self, kind: str, where: str) -> bool:
        return bool((self.by_town if kind == "town" else self.by_district).get(where))

    def draw(self, rng, kind: str, where: str, n: int) -> np.ndarray:
        pool = (self.by_town if kind == "town" else self.by_district)[where]
        if kind == "town":
            return np.array([v.code for v in pool], dtype=object)[rng.integers(0, len(pool), n)]
        area = np.array([v.area_km2 for v in pool])
        return np.array([v.code for v in pool], dtype=object)[rng.choice(len(pool), size=n, p=area / area.sum())]


def _residences(rng, places: _Places, purpose: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A village for every person whose purpose places them by town or district (else None:
    placed by their sponsor company), the flag of those placed by a company, the town (its
    reported points are drawn near the town centre)."""
    village = np.full(len(purpose), None, dtype=object)
    town = np.full(len(purpose), None, dtype=object)
    by_company = np.zeros(len(purpose), dtype=bool)
    for p in np.unique(purpose):
        m = np.flatnonzero(purpose == p)
        spots = [s for s in P.PURPOSE_PLACES.get(p, ()) if s[0] == "company" or places.has(s[0], s[1])]
        if not spots:  # the boundaries lack every place profiled: any town
            spots = [("town", t, 1.0) for t in sorted(places.by_town)]
        which = rng.choice(len(spots), size=len(m), p=np.array([s[2] for s in spots]) / sum(s[2] for s in spots))
        for k, (kind, where, _) in enumerate(spots):
            mk = m[which == k]
            if kind == "company":
                by_company[mk] = True
            elif len(mk):
                village[mk] = places.draw(rng, kind, where, len(mk))
                if kind == "town":
                    town[mk] = where
    return village, by_company, town


def _families(rng, workers: pd.DataFrame, companies: pd.DataFrame, n: int) -> np.ndarray:
    """The worker (row index) each of `n` dependants belongs to: one in every regency with active
    workers first (its most senior one), the rest drawn by position level, at most FAMILY_MAX each."""
    active = np.flatnonzero(workers["status"].to_numpy() == "active")
    if n <= 0 or not len(active):
        return np.zeros(0, dtype=np.int64)
    regency = companies["regency_code"].to_numpy()[workers["company"].to_numpy()[active]]
    rank = {lv: i for i, lv in enumerate(("direktur", "komisaris", "manajer", "konsultan", "profesional"))}
    level = workers["position_level"].to_numpy()[active]
    first = [int(active[np.flatnonzero(regency == r)[np.argmin([rank[lv] for lv in level[regency == r]])]])
             for r in np.unique(regency)][:n]
    weight = np.array([P.FAMILY_WEIGHT[lv] for lv in level], dtype=float)
    chosen = np.array(first, dtype=np.int64)
    for _ in range(20):  # draw the shortfall, drop who would exceed FAMILY_MAX, again
        short = n - len(chosen)
        if short <= 0:
            break
        draw = active[rng.choice(len(active), size=short, p=weight / weight.sum())]
        both = np.concatenate([chosen, draw])
        rank_in = pd.Series(both).groupby(both).cumcount().to_numpy()
        chosen = both[rank_in < P.FAMILY_MAX]
    return np.sort(chosen[:n], kind="stable")


def _birth(rng, today: date, lo, hi) -> np.ndarray:
    age_days = _uniform(rng, np.asarray(lo) * 365, np.asarray(hi) * 365 + 364)
    return np.datetime64(today) - age_days.astype("timedelta64[D]")


def _stay_persons(rng, size_n: int, data, places: _Places, today: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    companies, workers = data.companies, data.workers
    purposes = list(P.PURPOSE_SHARES)
    counts = dict(zip(purposes, apportion(size_n, [P.PURPOSE_SHARES[p] for p in purposes]), strict=True))
    of_worker = _families(rng, workers, companies, counts["keluarga"])
    counts["keluarga"] = len(of_worker)
    purpose = np.repeat(np.array(purposes, dtype=object), [counts[p] for p in purposes])
    n = len(purpose)
    fam = purpose == "keluarga"
    worker = np.full(n, -1, dtype=np.int64)
    worker[fam] = of_worker

    # Families: the spouse first (the other sex), then children; the worker's nationality and company.
    w_sex = workers["sex"].to_numpy()
    order_in_family = pd.Series(worker[fam]).groupby(pd.Series(worker[fam])).cumcount().to_numpy()
    sex = np.where(rng.random(n) < np.array([P.PURPOSE_MALE.get(p, 0.5) for p in purpose]), "L", "P")
    spouse = np.zeros(n, dtype=bool)
    spouse[np.flatnonzero(fam)[order_in_family == 0]] = True
    sex[spouse] = np.where(w_sex[worker[spouse]] == "L", "P", "L")
    nationality = np.empty(n, dtype=object)
    nationality[fam] = workers["nationality"].to_numpy()[worker[fam]]
    sponsor = np.full(n, -1, dtype=np.int64)
    sponsor[fam] = workers["company"].to_numpy()[worker[fam]]
    inv = purpose == "investasi"
    if inv.any() and len(companies):
        sponsor[inv] = rng.integers(0, len(companies), int(inv.sum()))
        sectors = companies["sector"].to_numpy()[sponsor[inv]]
        nationality[inv] = [_pick(rng, P.SECTOR_NATIONALITY[s], 1)[0] for s in sectors]
    elif inv.any():  # no companies to invest in: an investor without one is 'lainnya'
        purpose[inv] = "lainnya"
    for p in np.unique(purpose):
        m = (purpose == p) & pd.isna(nationality)
        if m.any():
            nationality[m] = _pick(rng, P.PURPOSE_NATIONALITY[p], int(m.sum()))

    lo = np.array([P.PURPOSE_AGE.get(p, (25, 55))[0] for p in purpose])
    hi = np.array([P.PURPOSE_AGE.get(p, (25, 55))[1] for p in purpose])
    lo[spouse], hi[spouse] = 25, 55
    child = fam & ~spouse
    lo[child], hi[child] = 1, 17
    birth = _birth(rng, today, lo, hi)

    permit = np.empty(n, dtype=object)
    for p in np.unique(purpose):
        m = purpose == p
        permit[m] = _pick(rng, P.PURPOSE_PERMITS[p], int(m.sum()))
    start = -_uniform(rng, np.zeros(n, dtype=np.int64), np.array([P.PERMIT_START_DAYS[t] for t in permit]))
    until = start + np.array([P.PERMIT_DAYS[t] for t in permit]) - 1
    # A dependant's ITAS ends with the worker's.
    has_w = worker >= 0
    until[has_w] = np.maximum(start[has_w] + 30, workers["itas_days"].to_numpy()[worker[has_w]])

    village, by_company, town = _residences(rng, places, purpose)
    sponsor_name = np.full(n, None, dtype=object)
    for p in np.unique(purpose):
        names = P.PURPOSE_SPONSORS.get(p)
        m = (purpose == p) & (sponsor < 0)
        if names and m.any():
            sponsor_name[m] = np.array(names, dtype=object)[rng.integers(0, len(names), int(m.sum()))]

    width = 5
    num = np.arange(1, n + 1)
    persons = pd.DataFrame({
        "passport_number": [f"DN{i:08d}" for i in num],  # fake: 'DN' + serial, beside the workers' 'DM'
        # WNA (warga negara asing), not words of the texts: redaction masks every name part of 4+ letters.
        "nationality": nationality, "full_name": [f"Demo WNA {i:0{width}d}" for i in num],
        "sex": sex, "birth_date": pd.to_datetime(birth).date,
    })
    stays = pd.DataFrame({
        "passport_number": persons["passport_number"], "nationality": nationality,
        "permit_type": permit,
        "permit_number": [None if P.PERMIT_PREFIX[t] is None else f"{P.PERMIT_PREFIX[t]}F{i:06d}"
                          for t, i in zip(permit, num, strict=True)],
        "from_days": start, "until_days": until, "purpose": purpose,
        "sponsor_company": sponsor, "sponsor_name": sponsor_name,
        "street": np.array(_STREETS, dtype=object)[rng.integers(0, len(_STREETS), n)],
        "house": rng.integers(1, 200, n),
        "village_code": village, "town": town, "anchor": np.where(by_company, "hq", None), "anchor_company": sponsor,
        "worker": worker, "reported_point": rng.random(n) < P.RESIDENCE_POINT_SHARE,
    })
    return persons, stays


def _worker_stays(rng, data) -> pd.DataFrame:
    """Imigrasi's stay record of some workers: their ITAS, at a mess by the work site or office."""
    w = data.workers
    pick = np.flatnonzero((w["status"].to_numpy() == "active") & (rng.random(len(w)) < P.WORKER_STAY_SHARE))
    k = len(pick)
    return pd.DataFrame({
        "passport_number": w["passport_number"].to_numpy()[pick], "nationality": w["nationality"].to_numpy()[pick],
        "permit_type": "itas", "permit_number": w["itas_number"].to_numpy()[pick],
        "from_days": pd.array([pd.NA] * k, dtype="Int64"),  # from their arrival (the write knows it)
        "until_days": w["itas_days"].to_numpy()[pick], "purpose": "bekerja",
        "sponsor_company": w["company"].to_numpy()[pick], "sponsor_name": None,
        "street": np.array(_STREETS, dtype=object)[rng.integers(0, len(_STREETS), k)],
        "house": rng.integers(1, 200, k), "village_code": None, "town": None,
        "anchor": np.where(w["at_site"].to_numpy()[pick], "site", "hq"),
        "anchor_company": w["company"].to_numpy()[pick], "worker": pick,
        "reported_point": rng.random(k) < P.RESIDENCE_POINT_SHARE,
    })


def _lodgings(rng, n: int, places: _Places) -> pd.DataFrame:
    towns = [t for t in P.LODGING_TOWNS if places.has("town", t)]
    if n <= 0 or not towns:
        return pd.DataFrame(columns=["name", "town", "regency", "village_code", "street", "house", "reported_point"])
    per_town = apportion(n, [P.LODGING_TOWNS[t] for t in towns])
    town = np.repeat(np.array(towns, dtype=object), per_town)
    village = np.empty(n, dtype=object)
    for t in towns:
        m = town == t
        village[m] = places.draw(rng, "town", t, int(m.sum()))
    kind = np.array(P.LODGING_KINDS, dtype=object)[rng.integers(0, len(P.LODGING_KINDS), n)]
    word = np.array(P.NAME_SUFFIX, dtype=object)[rng.integers(0, len(P.NAME_SUFFIX), n)]
    return pd.DataFrame({
        "name": [f"{k} Contoh {w} {i:02d}" for k, w, i in zip(kind, word, range(1, n + 1), strict=True)],
        "town": town, "regency": [P.TOWNS[t][0] for t in town], "village_code": village,
        "street": np.array(_STREETS, dtype=object)[rng.integers(0, len(_STREETS), n)],
        "house": rng.integers(1, 300, n), "reported_point": rng.random(n) < P.LODGING_POINT_SHARE,
    })


def _lodging_for(rng, lodgings: pd.DataFrame, regencies: np.ndarray, home_share: float) -> np.ndarray:
    """A lodging per guest: one in the guest's regency with `home_share` when there is one, else
    one in Palangka Raya (the airport and the provincial offices)."""
    by_regency = {r: np.flatnonzero(lodgings["regency"].to_numpy() == r) for r in np.unique(lodgings["regency"])}
    capital = by_regency.get("62.71", np.arange(len(lodgings)))
    out = np.empty(len(regencies), dtype=np.int64)
    home = rng.random(len(regencies)) < home_share
    for i, r in enumerate(regencies):
        pool = by_regency.get(r) if home[i] and r in by_regency else capital
        out[i] = pool[rng.integers(0, len(pool))]
    return out


def _guests(rng, n: int, lodgings: pd.DataFrame, persons: pd.DataFrame, stays: pd.DataFrame, data,
            district_of: dict[str, str], first_visitor: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lodging stays: persons with a stay (first nights, visits), workers on a business trip, and
    visitors known only from the lodgings' reports (new persons)."""
    cols = ["lodging", "passport_number", "nationality", "check_in_days", "nights", "open", "worker"]
    if n <= 0 or not len(lodgings):
        return pd.DataFrame(columns=cols), persons.iloc[0:0]
    kinds = list(P.GUEST_SHARES)
    n_stay, n_worker, n_visitor = apportion(n, [P.GUEST_SHARES[k] for k in kinds])
    parts = []
    companies, workers = data.companies, data.workers
    # Persons with a stay: at a lodging in their regency soon after their permit began.
    own = stays[stays["worker"] < 0].reset_index(drop=True)
    if len(own) and n_stay:
        w = own["purpose"].map(P.GUEST_PURPOSE_WEIGHT).fillna(1).to_numpy()
        pick = rng.choice(len(own), size=min(int(n_stay), len(own)), replace=False, p=w / w.sum())
        s = own.iloc[pick]
        regency = np.array([_regency_of(v, c, companies, district_of) for v, c in
                            zip(s["village_code"], s["anchor_company"], strict=True)], dtype=object)
        since = s["from_days"].to_numpy(dtype=np.int64)
        # Their first nights, or for those here long before the reports began, a later trip.
        check_in = np.where(since < -P.GUEST_DAYS, -rng.integers(0, P.GUEST_DAYS, len(s)),
                            np.minimum(since + rng.integers(0, 3, len(s)), 0))
        parts.append(pd.DataFrame({
            "lodging": _lodging_for(rng, lodgings, regency, 0.8), "passport_number": s["passport_number"].to_numpy(),
            "nationality": s["nationality"].to_numpy(), "check_in_days": check_in,
            "nights": np.where(s["purpose"].to_numpy() == "wisata", rng.integers(2, 6, len(s)), rng.integers(1, 5, len(s))),
            "worker": -1,
        }))
    # Workers on a business trip (the write clamps the check-in to after their arrival).
    active = np.flatnonzero(workers["status"].to_numpy() == "active")
    if len(active) and n_worker:
        pick = active[rng.integers(0, len(active), int(n_worker))]
        regency = companies["regency_code"].to_numpy()[workers["company"].to_numpy()[pick]]
        parts.append(pd.DataFrame({
            "lodging": _lodging_for(rng, lodgings, regency, 0.6),
            "passport_number": workers["passport_number"].to_numpy()[pick],
            "nationality": workers["nationality"].to_numpy()[pick],
            "check_in_days": -np.floor(P.GUEST_DAYS * rng.random(len(pick)) ** 1.3).astype(np.int64),
            "nights": rng.integers(1, 5, len(pick)), "worker": pick,
        }))
    # Visitors only the lodgings report: one or two visits each.
    visits = rng.integers(1, 3, max(1, int(n_visitor) * 2 // 3))
    visits = visits[np.cumsum(visits) <= n_visitor] if n_visitor else visits[:0]
    k = len(visits)
    num = np.arange(first_visitor, first_visitor + k)
    visitors = pd.DataFrame({
        "passport_number": [f"DN{i:08d}" for i in num], "nationality": _pick(rng, P.VISITOR_NATIONALITY, k),
        "full_name": [f"Demo WNA {i:05d}" for i in num],
        "sex": np.where(rng.random(k) < 0.6, "L", "P"), "birth_date": None,
    })
    if k:
        who = np.repeat(np.arange(k), visits)
        towns = list(P.LODGING_TOWNS)
        lw = lodgings["town"].map({t: P.LODGING_TOWNS[t] for t in towns}).to_numpy(dtype=float)
        parts.append(pd.DataFrame({
            "lodging": rng.choice(len(lodgings), size=len(who), p=lw / lw.sum()),
            "passport_number": visitors["passport_number"].to_numpy()[who],
            "nationality": visitors["nationality"].to_numpy()[who],
            "check_in_days": -np.floor(P.GUEST_DAYS * rng.random(len(who)) ** 1.3).astype(np.int64),
            "nights": rng.integers(1, 7, len(who)), "worker": -1,
        }))
    guests = pd.concat(parts, ignore_index=True)
    guests["open"] = rng.random(len(guests)) < P.OPEN_CHECKOUT_SHARE
    guests = guests.drop_duplicates(["lodging", "passport_number", "nationality", "check_in_days"]).reset_index(drop=True)
    return guests[cols], visitors


def _regency_of(village, company, companies: pd.DataFrame, district_of: dict[str, str]) -> str:
    if not pd.isna(village):
        return district_of[village][:5]
    return companies["regency_code"].iat[int(company)]


def _activities(rng, n: int, data, stays: pd.DataFrame, district_of: dict[str, str],
                person_names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tim PORA's and the regency teams' activities, where the companies and foreign nationals are;
    field activities name companies (by NIB in the targets table) and sometimes a person."""
    cols = ["days_ago", "kind", "district_code", "agencies", "targets", "findings", "follow_up", "agency"]
    companies = data.companies
    if n <= 0 or not len(companies):
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=["activity", "company"])
    placed = stays["village_code"].dropna().map(district_of)
    weight = (companies["district_code"].value_counts().astype(float)
              .add(placed.value_counts().astype(float) * 0.5, fill_value=0).sort_index())
    kind = _pick(rng, P.ACTIVITY_KINDS, n)
    district = _choose(rng, list(weight.index), weight.to_numpy(), n)
    capitals = {r.code: r.capital for r in P.REGENCIES}
    meeting = np.isin(kind, ["rapat", "sosialisasi"])
    district[meeting] = [capitals.get(d[:5], d) for d in district[meeting]]
    team = np.empty(n, dtype=object)
    for k in P.ACTIVITY_TEAMS:
        m = kind == k
        teams = P.ACTIVITY_TEAMS[k]
        t = rng.choice(len(teams), size=int(m.sum()), p=np.array([w for _, w in teams]) / sum(w for _, w in teams))
        team[m] = ["{" + ",".join(teams[i][0]) + "}" for i in t]
    days_ago = rng.integers(1, P.ACTIVITY_DAYS + 1, n)
    for _ in range(10_000):  # (date, kind, district, team) is unique: move clashes a day earlier
        dup = pd.DataFrame({"d": days_ago, "k": kind, "s": district, "t": team}).duplicated().to_numpy()
        if not dup.any():
            break
        days_ago[dup] += 1
    texts = [P.ACTIVITY_TEXT[k] for k in kind]
    picked = [t[int(x * len(t))] for t, x in zip(texts, rng.random(n), strict=True)]
    findings = np.array([f for f, _ in picked], dtype=object)
    follow = np.array([u[int(x * len(u))] for (_, u), x in zip(picked, rng.random(n), strict=True)], dtype=object)
    reporter = [P.ACTIVITY_REPORTER[k] if P.ACTIVITY_REPORTER[k] in t else t[1:].split(",")[0]
                for k, t in zip(kind, team, strict=True)]

    by_district = companies.groupby("district_code").indices
    by_regency = companies.groupby("regency_code").indices
    residents = stays.dropna(subset=["village_code"])
    resident_by_district = residents.groupby(residents["village_code"].map(district_of))["passport_number"].apply(list)
    names = companies["name"].to_numpy()
    targets_rows, texts_out = [], []
    for i in range(n):
        pool = by_district.get(district[i])
        if pool is None or kind[i] == "sosialisasi":
            pool = by_regency.get(district[i][:5], np.zeros(0, dtype=np.int64))
        chosen: list[int] = []
        if kind[i] != "rapat" and len(pool):
            chosen = sorted(int(c) for c in rng.choice(pool, size=min(len(pool), int(rng.integers(1, P.ACTIVITY_TARGETS_MAX + 1))),
                                                       replace=False))
        targets_rows += [(i, c) for c in chosen]
        words = [str(names[c]) for c in chosen]
        people = resident_by_district.get(district[i], [])
        if kind[i] == "pengawasan_lapangan" and people and rng.random() < 0.4:
            words.append(person_names[people[int(rng.integers(0, len(people)))]])  # personal: masked on read
        texts_out.append("; ".join(words) or None)
    activities = pd.DataFrame({
        "days_ago": days_ago, "kind": kind, "district_code": district, "agencies": team, "targets": texts_out,
        "findings": findings, "follow_up": follow, "agency": reporter,
    })
    return activities[cols], pd.DataFrame(targets_rows, columns=["activity", "company"])


def generate_foreign(size, seed: int, today: date, data, villages: list[Village]) -> ForeignDataset:
    """Persons, stays, lodgings, guests and activities for `data` (generate.py's dataset)."""
    rng = np.random.Generator(np.random.PCG64([seed, _STREAM]))
    places = _Places([v for v in villages if v.district[:5] not in P.EXCLUDED_REGENCIES])
    district_of = {v.code: v.district for v in villages}
    persons, stays = _stay_persons(rng, size.foreign_nationals, data, places, today)
    stays = pd.concat([stays, _worker_stays(rng, data)], ignore_index=True)
    lodgings = _lodgings(rng, size.lodgings, places)
    guests, visitors = _guests(rng, size.lodging_stays, lodgings, persons, stays, data, district_of,
                               len(persons) + 1)
    persons = pd.concat([persons, visitors], ignore_index=True)
    names = dict(zip(persons["passport_number"], persons["full_name"], strict=True))
    activities, targets = _activities(rng, size.activities, data, stays[stays["worker"] < 0], district_of, names)
    return ForeignDataset(persons, stays, lodgings, guests, activities, targets)
