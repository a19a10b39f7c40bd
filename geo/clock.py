"""One clock for every page, API answer, report and export: "now" and "today" in the province's own
time zone (WIB, WITA or WIT), never the server's.

A permit that ends on 5 December is expired on 6 December in Palangka Raya from 00:00 WIB, which is
17:00 UTC on the 5th: a server (or a database) running on UTC would count it as valid for another seven
hours, so the home page and the PDF made in the same minute would disagree. Every count that depends
on the day takes it from `today()` here (as a bound parameter, not the database's CURRENT_DATE), and
every output prints `stamp(as_of())`: "data per 5 Desember 2026 14:07 WIB".
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from geo.formatting import long_date
from geo.settings import BoundarySettings

# Indonesia's three time zones (Keppres 41/1987) by the 2-digit province code (Kepmendagri).
_ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_PROVINCES = {
    # Sumatra, Java, West and Central Kalimantan
    **dict.fromkeys(("11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
                     "31", "32", "33", "34", "35", "36", "61", "62"), "WIB"),
    # Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi
    **dict.fromkeys(("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"), "WITA"),
    # Maluku and Papua
    **dict.fromkeys(("81", "82", "91", "92", "93", "94", "95", "96"), "WIT"),
}
_province = BoundarySettings.model_fields["home_province"].default  # until an entry point says (use_province)


class ClockError(ValueError):
    """A moment given from outside (SOURCE_DATE_EPOCH) that is not one."""


def zone_abbreviation(code: str | None = None) -> str:
    """'WIB', 'WITA' or 'WIT' for a region code (its first two digits: the province); default the
    province Pantau covers (PANTAU_PROVINCE)."""
    province = (code or _province)[:2]
    try:
        return _PROVINCES[province]
    except KeyError:
        raise ValueError(f"province: {province!r} is not an Indonesian province code") from None


@lru_cache(maxsize=8)
def _zone(abbreviation: str) -> ZoneInfo:
    return ZoneInfo(_ZONES[abbreviation])


def zone(code: str | None = None) -> ZoneInfo:
    return _zone(zone_abbreviation(code))


def now(code: str | None = None) -> datetime:
    """The current moment in the province's zone (aware), to the second."""
    return datetime.now(zone(code)).replace(microsecond=0)


def today(code: str | None = None) -> date:
    """The province's calendar day: the day permit states, '12 months' and quarters are counted on."""
    return now(code).date()


def as_of(code: str | None = None) -> datetime:
    """The moment an output's figures are read, to the minute: what 'data per' prints."""
    return now(code).replace(second=0)


def source_date() -> datetime | None:
    """SOURCE_DATE_EPOCH (the reproducible-builds convention: seconds since 1970), as the moment a
    command-line report is made instead of now; None when unset. Never read by the server."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), zone()).replace(second=0)
    except (ValueError, OverflowError, OSError):
        raise ClockError(f"SOURCE_DATE_EPOCH: {value[:20]!r} is not a number of seconds since 1970") from None


def stamp(moment: datetime) -> str:
    """'5 Desember 2026 14:07 WIB' (a naive moment is taken as the province's time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    abbreviation = next((a for a, name in _ZONES.items() if str(moment.tzinfo) == name), None)
    if abbreviation is None:  # another zone (e.g. UTC from a database value): show it in the province's
        moment = moment.astimezone(zone())
        abbreviation = zone_abbreviation()
    return f"{long_date(moment)} {moment:%H:%M} {abbreviation}"


def iso(moment: datetime) -> str:
    """ISO 8601 with the offset, for API fields and headers: '2026-12-05T14:07:00+07:00'."""
    return moment.isoformat(timespec="seconds")


_header: tuple[int, bytes] = (0, b"")


def header_now() -> bytes:
    """iso(now()) as header bytes, made once per second: it goes on every API answer."""
    global _header
    second = int(time.time())
    if _header[0] != second:
        _header = (second, iso(datetime.fromtimestamp(second, zone())).encode())
    return _header[1]


def session_options() -> str:
    """libpq `options` that make a database session count CURRENT_DATE and timestamp→date casts in
    the province's zone too (the database server's own TimeZone may be UTC)."""
    return f"-c TimeZone={_ZONES[zone_abbreviation()]}"


def use_province(code: str) -> None:
    """The province this process covers (Settings.boundaries.home_province, PANTAU_PROVINCE): set by
    each entry point (create_app, the CLI, the import and report child processes) from the settings
    it was given. One per process: the clock is."""
    global _province, _header
    zone_abbreviation(code)  # an unknown province is refused here, not on the first request
    _province, _header = code, (0, b"")


def province() -> str:
    """E.g. '62': the province page, the province map and the reports are of this province."""
    return _province
