"""What the admin and account pages share: the choices of the user form, who may manage users, and
answers never stored by a browser or proxy (they show one-time links and tokens). Not a router."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.security import Principal
from api.web.common import ROLE_LABEL, TEMPLATES, error_page
from geo import clock
from geo.auth.accounts import may_manage
from geo.db import transaction

# When a user last logged in, a token was made or last used: '5 Desember 2026 14:07 WIB'.
TEMPLATES.env.filters.setdefault("stamp", clock.stamp)
TEMPLATES.env.filters.setdefault("role_label", lambda role: ROLE_LABEL.get(role, role))


def no_store(response: HTMLResponse) -> HTMLResponse:
    """A page holding a one-time link or a token: kept by no cache, and no back button shows it again."""
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse_non_manager(request: Request, principal: Principal) -> HTMLResponse | None:
    """403 for anyone but a province-wide admin (accounts.may_manage), with the reason."""
    if principal.role != "admin":
        return error_page(request, 403, "Akses ditolak", "Halaman ini hanya untuk admin (admins only).")
    if not may_manage(principal):
        return error_page(request, 403, "Akses ditolak",
                          "Pengguna hanya dikelola oleh admin tingkat provinsi (province-wide admins only).")
    return None


def choices(conn) -> dict:
    """The agencies and the province's regencies, for the user form."""
    with transaction(conn) as cur:
        cur.execute("SELECT code, name FROM agencies ORDER BY code")
        agencies = cur.fetchall()
        cur.execute("SELECT code, name FROM boundaries WHERE level = 'regency' AND parent_code = %s ORDER BY code",
                    (clock.province(),))
        regencies = cur.fetchall()
    return {"agencies": agencies, "regencies": regencies, "regency_names": dict(regencies)}
