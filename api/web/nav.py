"""The navigation bar's links: one entry per page, with the roles that may open it. A page's module adds
its entry here; base.html shows a user only the links of their role (the page itself still checks)."""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"admin", "editor", "analyst", "viewer"})


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # Bahasa Indonesia
    roles: frozenset[str] = ALL_ROLES
    group: str = "main"  # "main": on the bar; "account": in the menu under the user's name
    province_wide: bool = False  # only for users without a regional scope (user management, audit)


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("/", "Beranda"),
    NavItem("/maps/province", "Peta"),
    NavItem("/attention", "Perlu perhatian"),
    NavItem("/meetings", "Rapat"),  # every role reads; who may write: geo/meetings/store.py
    NavItem("/discrepancies", "Selisih data"),
    NavItem("/agency", "Instansi"),
    NavItem("/imports", "Impor", frozenset({"admin", "editor"})),
    NavItem("/exports", "Ekspor"),
    NavItem("/admin/users", "Pengguna", frozenset({"admin"}), province_wide=True),
    NavItem("/audit", "Audit", frozenset({"admin"}), province_wide=True),
    NavItem("/account/notifications", "Notifikasi", group="account"),
    NavItem("/account/tokens", "Token API", group="account"),
    NavItem("/account/password", "Ubah kata sandi", group="account"),
)


def nav_for(principal, group: str = "main") -> list[NavItem]:
    """The links of `group` the signed-in principal (or None) may open."""
    if principal is None:
        return []
    return [item for item in NAV_ITEMS if principal.role in item.roles and item.group == group
            and not (item.province_wide and principal.regencies is not None)]


def nav_active(path: str) -> str | None:
    """The link a page belongs to: the longest matching prefix ('/' only for the home page itself)."""
    if path == "/":
        return "/"
    matches = [item.path for item in NAV_ITEMS if item.path != "/" and
               (path == item.path or path.startswith(item.path.rstrip("/") + "/"))]
    if path.startswith("/maps/"):
        matches.append("/maps/province")
    return max(matches, key=len) if matches else None
