"""GET /api/attention: what needs attention in the user's regencies and for the user's agency.

Computed per request (never cached: the answer depends on the user's scope, role and agency and on
the day), in one statement plus the discrepancies' own look-up. No personal data for anyone; viewers
get counts only (geo/attention.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.blocking import blocking
from api.deps import Conn
from api.security import CurrentUser
from geo import clock
from geo.attention import attention_items

router = APIRouter(tags=["attention"])


@router.get("/attention", summary="What needs attention (Perlu perhatian) in the user's scope and agency")
async def attention(principal: CurrentUser, conn: Conn) -> dict:
    """`items`: one per kind (`kind`, Indonesian `label`, `count`, `unit`, `severity` high|medium|low,
    `link` to the page listing the records), zeros included; `records` (`id`, `name`, `date`, `link`)
    for roles other than viewer when an item has at most 5 of them. `today`: the province's day counted on."""
    today = clock.today()
    items = await blocking(attention_items, conn, principal, today)
    return {"today": today.isoformat(), "items": [item.as_dict() for item in items]}
