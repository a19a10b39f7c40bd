"""Request bodies of the edit endpoints: strict (unknown fields refused), every value validated.

`...Patch` models: every field optional, only the fields sent are changed (null clears a nullable
field). `...Put` models: the whole editable record; fields left out of a PUT become null.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Regency = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}$")]
District = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}\.\d{2}$")]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="the version you read (alternative to If-Match)")]
RecordRef = Annotated[int, Field(ge=1, le=2**63 - 1)]
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Point(Strict):
    """WGS84 longitude/latitude; roughly Indonesia (the database then checks the district)."""

    lon: float = Field(ge=94, le=142)
    lat: float = Field(ge=-12, le=7)


class CompanyPatch(Strict):
    version: Version | None = None
    nib: Annotated[str, StringConstraints(pattern=r"^\d{13}$")] | None = None
    name: Text | None = None
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")] | None = None
    kbli: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    location: Point | None = None
    declared_regency: Regency | None = None
    declared_district: District | None = None
    rptka_valid_until: Day | None = None
    status: Literal["active", "inactive", "closed"] | None = None


class CompanyPut(CompanyPatch):
    nib: Annotated[str, StringConstraints(pattern=r"^\d{13}$")]
    name: Text
    sector: Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]
    location: Point
    status: Literal["active", "inactive", "closed"]


class WorkerPatch(Strict):
    version: Version | None = None
    company_id: RecordRef | None = None
    full_name: Text | None = None
    passport_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5,20}$")] | None = None
    nationality: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    sex: Literal["L", "P"] | None = None
    position: Text | None = None
    position_level: Literal["direktur", "komisaris", "manajer", "profesional", "konsultan"] | None = None
    rptka_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    permit_valid_until: Day | None = None
    itas_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9./-]{3,40}$")] | None = None
    itas_valid_until: Day | None = None
    work_site: Point | None = None
    status: Literal["active", "departed", "deported"] | None = None


class WorkerPut(WorkerPatch):
    company_id: RecordRef
    full_name: Text
    passport_number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5,20}$")]
    nationality: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    position: Text
    position_level: Literal["direktur", "komisaris", "manajer", "profesional", "konsultan"]
    status: Literal["active", "departed", "deported"]


Agency = Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]


class InspectionPatch(Strict):
    version: Version | None = None
    company_id: RecordRef | None = None
    inspected_on: Day | None = None
    team: Annotated[list[Agency], Field(min_length=1, max_length=10)] | None = None
    finding: Literal["none", "expired_permit", "position_mismatch", "location_mismatch", "no_permit", "other"] | None = None
    notes: LongText | None = None
    follow_up: LongText | None = None
    status: Literal["open", "in_progress", "closed"] | None = None

    @field_validator("team")
    @classmethod
    def _sorted_team(cls, team: list[str] | None) -> list[str] | None:
        # Stored sorted and unique, so the same team always has the same key.
        return sorted(set(team)) if team is not None else None


class InspectionPut(InspectionPatch):
    company_id: RecordRef
    inspected_on: Day
    team: Annotated[list[Agency], Field(min_length=1, max_length=10)]
    finding: Literal["none", "expired_permit", "position_mismatch", "location_mismatch", "no_permit", "other"]
    status: Literal["open", "in_progress", "closed"]


# Fields that may not be cleared with null in a PATCH (NOT NULL columns).
REQUIRED = {
    "company": {"nib", "name", "sector", "location", "status"},
    "worker": {"company_id", "full_name", "passport_number", "nationality", "position", "position_level", "status"},
    "inspection": {"company_id", "inspected_on", "team", "finding", "status"},
}
