"""/admin/users: province-wide admins list, create and change users, disable and enable them, make
one-time password links, and manage each user's API tokens (geo/auth/accounts.py holds the rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Conn
from api.security import forget_principals
from api.web.admin_forms import choices, no_store, refuse_non_manager
from api.web.common import PageUser, error_page, render
from api.web.forms import FormUser
from geo.auth import accounts, api_tokens, audit
from geo.auth.passwords import PasswordCheckBusy, verify_password
from geo.auth.users import ROLES, get_user

router = APIRouter(include_in_schema=False)

UserId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ROLE_CHOICES = (("viewer", "Peninjau: melihat data tanpa data pribadi"),
                ("analyst", "Analis: melihat data termasuk data pribadi, ekspor, laporan"),
                ("editor", "Editor: seperti analis, juga impor dan koreksi data"),
                ("admin", "Admin: seperti editor, juga mengelola pengguna dan jejak audit"))
DONE = {"updated": "Perubahan disimpan.", "disabled": "Akun dinonaktifkan; sesi dan tokennya berakhir.",
        "enabled": "Akun diaktifkan kembali.", "revoked": "Token API dicabut."}


def link_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/reset/{token}"


def _scope(scope: str, regencies: list[str]) -> list[str] | None:
    if scope == "province":
        return None
    if not regencies:
        raise accounts.AccountError("pilih minimal satu kabupaten/kota, atau seluruh provinsi "
                                    "(choose at least one regency, or the whole province)")
    return regencies


def _form_page(request: Request, conn, principal, status_code: int = 200, **ctx) -> HTMLResponse:
    defaults = {"error": None, "values": {"username": "", "role": "viewer", "agency": principal.agency,
                                          "scope": "regencies", "regencies": []}}
    return render(request, "admin_user_form.html", {**defaults, **choices(conn), "role_choices": ROLE_CHOICES, **ctx},
                  status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, conn: Conn, principal: PageUser):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    return render(request, "admin_users.html", {"accounts": accounts.list_accounts(conn), **choices(conn)})


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, conn: Conn, principal: PageUser):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    return _form_page(request, conn, principal)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request, conn: Conn, principal: FormUser,
    username: Annotated[str, Form(max_length=100)] = "", role: Annotated[str, Form(max_length=20)] = "",
    agency: Annotated[str, Form(max_length=40)] = "", scope: Annotated[str, Form(max_length=20)] = "regencies",
    regencies: Annotated[list[str] | None, Form()] = None,
):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    values = {"username": username, "role": role, "agency": agency, "scope": scope, "regencies": regencies or []}
    try:
        account, token = accounts.create(conn, principal, username, role, agency, _scope(scope, regencies or []))
    except accounts.AccountError as exc:
        return _form_page(request, conn, principal, 400, error=str(exc), values=values)
    return no_store(render(request, "admin_link.html", {
        "account": account, "link": link_url(request, token), "purpose": "first", **choices(conn)}, status_code=201))


def _user_or_404(request: Request, conn, user_id: int):
    account = accounts.account(conn, user_id)
    if account is None:
        return None, error_page(request, 404, "Pengguna tidak ditemukan", f"Tidak ada pengguna dengan id {user_id}.")
    return account, None


def _user_page(request: Request, conn, principal, account: dict, status_code: int = 200, **ctx) -> HTMLResponse:
    values = {"username": account["username"], "role": account["role"], "agency": account["agency"],
              "scope": "province" if account["regencies"] is None else "regencies",
              "regencies": list(account["regencies"] or [])}
    return render(request, "admin_user_form.html", {
        "account": account, "values": values, "error": None, "token_error": None,
        "tokens": api_tokens.list_tokens(conn, account["username"]), "role_choices": ROLE_CHOICES,
        "done": DONE.get(request.query_params.get("done", "")), "is_self": account["username"] == principal.username,
        **choices(conn), **ctx}, status_code=status_code)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: UserId, request: Request, conn: Conn, principal: PageUser):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    account, missing = _user_or_404(request, conn, user_id)
    return missing or _user_page(request, conn, principal, account)


def _back(user_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def change_user(
    user_id: UserId, request: Request, conn: Conn, principal: FormUser,
    role: Annotated[str, Form(max_length=20)] = "", agency: Annotated[str, Form(max_length=40)] = "",
    scope: Annotated[str, Form(max_length=20)] = "regencies", regencies: Annotated[list[str] | None, Form()] = None,
):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    account, missing = _user_or_404(request, conn, user_id)
    if missing:
        return missing
    try:
        accounts.change(conn, principal, user_id, role, agency, _scope(scope, regencies or []))
    except accounts.AccountError as exc:
        return _user_page(request, conn, principal, account, 400, error=str(exc))
    forget_principals(request)
    return _back(user_id, "updated")


def _set_enabled(user_id: int, request: Request, conn, principal, enabled: bool):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    account, missing = _user_or_404(request, conn, user_id)
    if missing:
        return missing
    try:
        accounts.set_enabled(conn, principal, user_id, enabled)
    except accounts.AccountError as exc:
        return _user_page(request, conn, principal, account, 400, error=str(exc))
    forget_principals(request)
    return _back(user_id, "enabled" if enabled else "disabled")


@router.post("/admin/users/{user_id}/disable", response_class=HTMLResponse)
def disable_user(user_id: UserId, request: Request, conn: Conn, principal: FormUser):
    return _set_enabled(user_id, request, conn, principal, False)


@router.post("/admin/users/{user_id}/enable", response_class=HTMLResponse)
def enable_user(user_id: UserId, request: Request, conn: Conn, principal: FormUser):
    return _set_enabled(user_id, request, conn, principal, True)


@router.post("/admin/users/{user_id}/reset", response_class=HTMLResponse)
def reset_link(user_id: UserId, request: Request, conn: Conn, principal: FormUser):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    account, missing = _user_or_404(request, conn, user_id)
    if missing:
        return missing
    try:
        _, token = accounts.reset_link(conn, principal, user_id)
    except accounts.AccountError as exc:
        return _user_page(request, conn, principal, account, 400, error=str(exc))
    return no_store(render(request, "admin_link.html", {
        "account": accounts.account(conn, user_id), "link": link_url(request, token), "purpose": "reset",
        **choices(conn)}))


def confirm_password(request: Request, conn, principal, password: str) -> str | None:
    """The signed-in user's own password, asked again before a token is made (a script running in
    the browser holds the session, not the password: docs/SECURITY.md). An error message or None."""
    if not password:
        return "Kata sandi Anda diperlukan untuk membuat token API (your password is required)."
    user = get_user(conn, principal.username)
    try:
        valid = user is not None and verify_password(password, user.password_hash, request.app.state.hashing)
    except PasswordCheckBusy:
        return "Server sibuk, coba lagi sebentar lagi (server busy, try again)."
    if not valid:
        audit.record(conn, "api_token.create", **principal.audit_fields(), outcome="denied",
                     detail={"reason": "wrong password"})
        return "Kata sandi Anda salah (wrong password)."
    return None


@router.post("/admin/users/{user_id}/tokens", response_class=HTMLResponse)
def create_token(
    user_id: UserId, request: Request, conn: Conn, principal: FormUser,
    name: Annotated[str, Form(max_length=200)] = "", days: Annotated[int, Form(ge=1, le=accounts.MAX_TOKEN_DAYS)] = 90,
    password: Annotated[str, Form(max_length=1024)] = "",
):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    account, missing = _user_or_404(request, conn, user_id)
    if missing:
        return missing
    if (error := confirm_password(request, conn, principal, password)) is not None:
        return _user_page(request, conn, principal, account, 403, token_error=error)
    try:
        token_id, token = accounts.issue_token(conn, principal, account["username"], name, days)
    except accounts.AccountError as exc:
        return _user_page(request, conn, principal, account, 400, token_error=str(exc))
    return no_store(_user_page(request, conn, principal, account, 201, new_token=token, new_token_id=token_id))


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(user_id: UserId, token_id: UserId, request: Request, conn: Conn, principal: FormUser):
    if (refused := refuse_non_manager(request, principal)) is not None:
        return refused
    account, missing = _user_or_404(request, conn, user_id)
    if missing:
        return missing
    if not accounts.revoke_token(conn, principal, token_id, account["username"]):
        return error_page(request, 404, "Token tidak ditemukan", f"Tidak ada token API dengan id {token_id}.")
    forget_principals(request)
    return _back(user_id, "revoked")


assert {r for r, _ in ROLE_CHOICES} == set(ROLES)
