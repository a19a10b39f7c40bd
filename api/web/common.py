"""What every HTML page shares: templates, the logged-in user (or a redirect to /login), the CSRF
cookie, safe redirect targets and error pages. Not a router."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.deps import Conn
from api.middleware import html_csp
from api.security import CSRF_COOKIE, Principal, current_user
from api.web.nav import nav_active, nav_for
from geo import clock, formatting, labels
from geo.maps.csp import InlineScripts

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
# What a person reads, as the reports print it: names for codes (geo.labels), dates and numbers (geo.formatting).
TEMPLATES.env.filters.update(long_date=formatting.long_date, number=formatting.number,
                             nationality=labels.nationality, team=labels.team,
                             label=lambda code, table: labels.name(getattr(labels, table), code))
TEMPLATES.env.globals["nationality_choices"] = labels.nationality_choices

ROLE_LABEL = {"admin": "Admin", "editor": "Editor", "analyst": "Analis", "viewer": "Peninjau"}
PERMIT_LABEL = labels.PERMIT_STATUS


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def login_redirect(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(safe_next(path), safe="")


def page_user(request: Request, conn: Conn) -> Principal:
    """The logged-in user; without credentials the browser is sent to the login page."""
    try:
        return current_user(request, conn)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise HTTPException(status.HTTP_303_SEE_OTHER, "perlu masuk",
                                headers={"Location": login_redirect(request)}) from exc
        raise


PageUser = Annotated[Principal, Depends(page_user)]


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one that render() sets."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def render(request: Request, template: str, context: dict, status_code: int = 200) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    scripts = InlineScripts()
    ctx = {
        "user": principal, "role_label": ROLE_LABEL.get(principal.role) if principal else None,
        "nav_items": nav_for(principal), "nav_account": nav_for(principal, "account"), "nav_active": nav_active(request.url.path),
        "csrf_token": csrf_token(request), "permit_label": PERMIT_LABEL,
        # 'Data per ...' in the footer of every signed-in page: the province's time (geo.clock).
        "data_as_of": clock.stamp(clock.as_of()) if principal else None,
        # {{ inline_script(text) }}: the only way a template writes an inline script; its hash goes
        # into this page's Content-Security-Policy (scripts without one are refused).
        "inline_script": lambda source: Markup(scripts.element(source)), **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)
    if scripts.hashes:
        response.headers["Content-Security-Policy"] = html_csp(request.app.state.settings.maps.tile_origins(), scripts.hashes)
    if getattr(request.state, "new_csrf", None):
        settings = request.app.state.settings
        # Readable by the page's scripts (they echo it in X-CSRF-Token), hence not HttpOnly.
        response.set_cookie(CSRF_COOKIE, request.state.new_csrf, httponly=False, samesite="lax",
                            secure=settings.auth.cookie_secure, path="/")
    return response


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


def current_quarter(today: date | None = None) -> str:
    day = today or clock.today()
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
