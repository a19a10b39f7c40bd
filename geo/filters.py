"""The monitoring filters shared by the API, maps, statistics, exports and reports.

One definition, so "sector=pertambangan_batubara&permit_status=expired" means the same on a map, in
a statistic and in a PDF. Filters compile to SQL fragments with bound parameters only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from geo import clock
from geo.db import Connection, transaction

# The sector list is fixed by migrations (a new sector comes with a deployment and a restart), so
# each process reads it once per database instead of once per filtered request.
_SECTORS: dict[str, frozenset[str]] = {}


def _sector_codes(conn: Connection) -> frozenset[str]:
    codes = _SECTORS.get(conn.dsn)
    if codes is None:
        with transaction(conn) as cur:
            cur.execute("SELECT code FROM sectors")
            codes = _SECTORS[conn.dsn] = frozenset(code for (code,) in cur.fetchall())
    return codes

PERMIT_STATUSES = ("valid", "expiring", "expired")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_REGENCY = re.compile(r"^\d{2}\.\d{2}$")
_DISTRICT = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_SECTOR = re.compile(r"^[a-z_]{2,40}$")


class FilterError(ValueError):
    """A filter value that cannot be right; the message names the parameter and the value."""


@dataclass(frozen=True)
class MonitoringFilter:
    sector: tuple[str, ...] = ()
    nationality: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    permit_status: str | None = None  # of the company's RPTKA: valid | expiring (<= 90 days) | expired
    regency_code: str | None = None
    district_code: str | None = None
    period_start: date | None = None  # on the RPTKA validity date (companies) / inspection date
    period_end: date | None = None
    # The regencies the asking user may see (None = whole province). Not a user-chosen filter:
    # set from the Principal, so every query built from a filter is scoped automatically.
    scope: tuple[str, ...] | None = None
    today: date | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for value in self.sector:
            if not _SECTOR.match(value):
                raise FilterError(f"sector: {value!r} is not a sector code")
        for value in self.nationality:
            if not _ISO2.match(value):
                raise FilterError(f"nationality: {value!r} is not an ISO 3166-1 alpha-2 code (e.g. CN, MY)")
        if self.permit_status is not None and self.permit_status not in PERMIT_STATUSES:
            raise FilterError(f"permit_status: {self.permit_status!r} is not one of {', '.join(PERMIT_STATUSES)}")
        if self.regency_code is not None and not _REGENCY.match(self.regency_code):
            raise FilterError(f"regency_code: {self.regency_code!r} is not a regency code (e.g. 62.71)")
        if self.district_code is not None and not _DISTRICT.match(self.district_code):
            raise FilterError(f"district_code: {self.district_code!r} is not a district code (e.g. 62.71.01)")
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise FilterError(f"period: start {self.period_start} is after end {self.period_end}")

    def scoped(self, regencies: tuple[str, ...] | None) -> MonitoringFilter:
        return replace(self, scope=regencies)

    def validation_reads_database(self, conn: Connection) -> bool:
        """Whether validate_against will query (region codes, or sector codes not yet cached)."""
        return (self.regency_code is not None or self.district_code is not None
                or (bool(self.sector) and conn.dsn not in _SECTORS))

    def validate_against(self, conn: Connection) -> None:
        """Unknown codes are errors (400), not empty results: a typo must not look like 'no workers'."""
        if self.sector:
            known = _sector_codes(conn)
            for value in self.sector:
                if value not in known:
                    raise FilterError(f"sector: unknown sector {value!r}")
        if self.regency_code is None and self.district_code is None:
            return
        with transaction(conn) as cur:
            for param, code in (("regency_code", self.regency_code), ("district_code", self.district_code)):
                if code is not None:
                    cur.execute("SELECT 1 FROM boundaries WHERE code = %s", (code,))
                    if cur.fetchone() is None:
                        raise FilterError(f"{param}: unknown region {code!r}")

    # --- SQL ------------------------------------------------------------------------------------
    def company_where(self, c: str = "c", w: str = "w") -> tuple[str, list]:
        """WHERE conditions on companies alias `c` (and a correlated sub-query on workers for
        nationality). Returns ("TRUE" or "cond AND cond ...", params)."""
        _check_alias(c, w)
        conds, params = self.place_conditions(c)
        if self.sector:
            conds.append(f"{c}.sector = ANY(%s)")
            params.append(list(self.sector))
        if self.permit_status:
            conds.append(f"permit_status({c}.rptka_valid_until, %s) = %s")
            params += [self.today or clock.today(), self.permit_status]
        if self.period_start:
            conds.append(f"{c}.rptka_valid_until >= %s")
            params.append(self.period_start)
        if self.period_end:
            conds.append(f"{c}.rptka_valid_until <= %s")
            params.append(self.period_end)
        if self.nationality:
            conds.append(
                # Aliases are code constants (checked below), never request values.
                f"EXISTS (SELECT 1 FROM foreign_workers {w} WHERE {w}.company_id = {c}.id "  # noqa: S608
                f"AND {w}.status = 'active' AND {w}.nationality = ANY(%s))"
            )
            params.append(list(self.nationality))
        return (" AND ".join(conds) or "TRUE"), params

    def place_conditions(self, a: str) -> tuple[list[str], list]:
        """Conditions on the regency_code / district_code columns of alias `a`: the user's scope and
        the chosen regency and district (companies, and what foreign nationals' records are placed by)."""
        _check_alias(a)
        conds: list[str] = []
        params: list = []
        if self.scope is not None:
            conds.append(f"{a}.regency_code = ANY(%s)")
            params.append(list(self.scope))
        if self.regency_code:
            conds.append(f"{a}.regency_code = %s")
            params.append(self.regency_code)
        if self.district_code:
            conds.append(f"{a}.district_code = %s")
            params.append(self.district_code)
        return conds, params

    def worker_where(self, w: str = "w") -> tuple[str, list]:
        """Extra conditions on workers alias `w` of companies already filtered by company_where:
        which workers count (active ones, of the chosen nationalities)."""
        _check_alias(w)
        conds = [f"{w}.status = 'active'"]
        params: list = []
        if self.nationality:
            conds.append(f"{w}.nationality = ANY(%s)")
            params.append(list(self.nationality))
        return " AND ".join(conds), params

    def as_query(self) -> dict[str, str]:
        """The user-chosen part as URL query parameters (for links, report footers, shared views)."""
        out: dict[str, str] = {}
        if self.sector:
            out["sector"] = ",".join(self.sector)
        if self.nationality:
            out["nationality"] = ",".join(self.nationality)
        for key in ("permit_status", "regency_code", "district_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.period_start or self.period_end:
            out["datetime"] = f"{self.period_start or '..'}/{self.period_end or '..'}"
        return out


def _check_alias(*aliases: str) -> None:
    for alias in aliases:
        if not alias.isidentifier():
            raise ValueError(f"not an SQL alias: {alias!r}")


def parse_csv_param(value: str | None, upper: bool = False) -> tuple[str, ...]:
    if not value:
        return ()
    items = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    return tuple(v.upper() for v in items) if upper else items


def parse_nationalities(value: str | None) -> tuple[str, ...]:
    """Codes or names as people type them ('CN', 'cn', 'Tiongkok', 'China', 'RRT') -> ISO codes."""
    from geo.labels import nationality_code  # CLDR tables: loaded on the first nationality filter

    codes = []
    for item in parse_csv_param(value):
        code = nationality_code(item)
        if code is None:
            raise FilterError(f"nationality: {item[:40]!r} bukan nama negara atau kode ISO 3166-1 yang dikenal "
                              "(not a known country name or ISO 3166-1 code, e.g. CN, MY, Tiongkok)")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def parse_datetime_interval(value: str | None) -> tuple[date | None, date | None]:
    """OGC `datetime`: a date, or an interval `start/end` with `..` or empty for open ends."""
    if not value:
        return None, None

    def one(text: str) -> date | None:
        text = text.strip()
        if text in ("", ".."):
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise FilterError(f"datetime: {text!r} is not a date (YYYY-MM-DD)") from None

    if "/" in value:
        start, _, end = value.partition("/")
        return one(start), one(end)
    day = one(value)
    return day, day


def from_params(
    sector: str | None = None,
    nationality: str | None = None,
    permit_status: str | None = None,
    regency_code: str | None = None,
    district_code: str | None = None,
    datetime: str | None = None,
) -> MonitoringFilter:
    """Build a filter from query-string values (comma-separated lists allowed)."""
    start, end = parse_datetime_interval(datetime)
    return MonitoringFilter(
        sector=parse_csv_param(sector),
        nationality=parse_nationalities(nationality),
        permit_status=permit_status or None,
        regency_code=regency_code or None,
        district_code=district_code or None,
        period_start=start,
        period_end=end,
    )
