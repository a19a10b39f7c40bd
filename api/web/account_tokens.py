"""/account/tokens: every user's own API tokens: list, create (shown once; the password is asked
again, as for a cookie session on POST /api/auth/api-tokens), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Conn
from api.security import forget_principals
from api.web.admin_forms import no_store
from api.web.admin_users import confirm_password
from api.web.common import PageUser, error_page, render
from api.web.forms import FormUser
from geo.auth import accounts, api_tokens

router = APIRouter(include_in_schema=False)
ACTION = "/account/tokens"


def _page(request: Request, conn, principal, status_code: int = 200, **ctx) -> HTMLResponse:
    return render(request, "account_tokens.html", {
        "owner": principal.username, "token_action": ACTION, "tokens": api_tokens.list_tokens(conn, principal.username),
        "new_token": None, "token_error": None, "revoked": request.query_params.get("done") == "revoked", **ctx},
        status_code=status_code)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, conn: Conn, principal: PageUser):
    return _page(request, conn, principal)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, conn: Conn, principal: FormUser,
    name: Annotated[str, Form(max_length=200)] = "", days: Annotated[int, Form(ge=1, le=accounts.MAX_TOKEN_DAYS)] = 90,
    password: Annotated[str, Form(max_length=1024)] = "",
):
    if (error := confirm_password(request, conn, principal, password)) is not None:
        return _page(request, conn, principal, 403, token_error=error)
    try:
        token_id, token = accounts.issue_token(conn, principal, principal.username, name, days)
    except accounts.AccountError as exc:
        return _page(request, conn, principal, 400, token_error=str(exc))
    return no_store(_page(request, conn, principal, 201, new_token=token, new_token_id=token_id))


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(token_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, conn: Conn, principal: FormUser):
    # Only the user's own: another user's token answers as absent.
    if not accounts.revoke_token(conn, principal, token_id, principal.username):
        return error_page(request, 404, "Token tidak ditemukan", f"Tidak ada token API dengan id {token_id}.")
    forget_principals(request)
    return RedirectResponse(f"{ACTION}?done=revoked", status_code=status.HTTP_303_SEE_OTHER)
