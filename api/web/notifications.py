"""E-mail digest pages: the user's preferences (/account/notifications) and the unsubscribe link
(/unsubscribe/{token}, no login: the token is the credential, geo/digest/tokens.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Conn
from api.security import Principal, client_ip
from api.web.common import PageUser, error_page, render
from api.web.forms import FormUser
from geo import clock
from geo.auth.secrets import signing_keys
from geo.digest.items import digest_lines
from geo.digest.prefs import (
    FREQUENCIES,
    WEEKDAYS,
    PreferenceError,
    get_preferences,
    save_preferences,
    unsubscribe,
)
from geo.digest.tokens import read_token

router = APIRouter(include_in_schema=False)

PATH = "/account/notifications"


def _page(request: Request, conn, principal: Principal, form: dict, *, error: str | None = None,
          saved: bool = False, status_code: int = 200) -> HTMLResponse:
    prefs = get_preferences(conn, principal.username)
    today = clock.today()
    return render(request, "notifications.html", {
        "form": form, "error": error, "saved": saved, "frequencies": FREQUENCIES, "weekdays": WEEKDAYS,
        "sent_on": prefs.sent_on if prefs else None, "smtp_configured": bool(request.app.state.settings.mail.smtp_url),
        # What a digest would hold today: the same lines the mail carries (counts and links only).
        "lines": digest_lines(conn, principal, today), "today": today, "zone": clock.zone_abbreviation(),
    }, status_code=status_code)


@router.get(PATH, response_class=HTMLResponse)
def notifications_page(request: Request, conn: Conn, principal: PageUser, saved: bool = False):
    prefs = get_preferences(conn, principal.username)
    form = {"email": prefs.email or "", "frequency": prefs.frequency, "weekday": prefs.weekday}
    return _page(request, conn, principal, form, saved=saved)


@router.post(PATH, response_class=HTMLResponse)
def save_notifications(
    request: Request, conn: Conn, principal: FormUser,
    email: Annotated[str, Form()] = "", frequency: Annotated[str, Form(max_length=20)] = "off",
    weekday: Annotated[str, Form(max_length=2)] = "1",
):
    form = {"email": email, "frequency": frequency, "weekday": int(weekday) if weekday.isdigit() else 1}
    try:
        save_preferences(conn, principal.audit_fields(), email, frequency, weekday)
    except PreferenceError as exc:
        return _page(request, conn, principal, form, error=str(exc), status_code=400)
    return RedirectResponse(f"{PATH}?saved=true", status_code=status.HTTP_303_SEE_OTHER)


def _unsubscribe_user(request: Request, token: str) -> int | None:
    return read_token(signing_keys(request.app.state.settings), token)


def _bad_link(request: Request) -> HTMLResponse:
    return error_page(request, 404, "Tautan tidak berlaku",
                      "Tautan berhenti berlangganan ini tidak dikenal (unknown unsubscribe link).")


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request):
    """A confirm button only: mail scanners open links, and a GET must change nothing."""
    if _unsubscribe_user(request, token) is None:
        return _bad_link(request)
    return render(request, "unsubscribe.html", {"token": token, "done": False})


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_confirm(token: str, request: Request, conn: Conn):
    """The page's button, and mail programs' one-click unsubscribe (RFC 8058: a POST with
    List-Unsubscribe=One-Click and no cookie). No CSRF token: the unguessable link is the proof,
    and all it can do is turn digests off."""
    user_id = _unsubscribe_user(request, token)
    if user_id is None or unsubscribe(conn, user_id, client_ip(request)) is None:
        return _bad_link(request)
    return render(request, "unsubscribe.html", {"token": token, "done": True})
