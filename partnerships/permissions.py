"""Named permission checks for partnership pages. A failed check answers 404."""

from collections.abc import Callable

from .models import PARTNERSHIP_ROLES, Role
from .selectors import user_has_role, user_roles


def user_is_lsp_of(user, partnership) -> bool:
    """An officer or the chair of this partnership (`partnership` may be an id)."""
    return user_has_role(user, *PARTNERSHIP_ROLES, partnership=partnership)


def can_manage_members(user, partnership) -> bool:
    """Add, change and remove the partnership's members: its officers."""
    return user_has_role(user, Role.LSP_OFFICER, partnership=partnership)


def holds_any_role(*roles: str) -> Callable[..., bool]:
    """A check for core's registries (who sees a navigation entry): does the user hold any of
    `roles`, in any scope? The roles are read once per request (`selectors._assignments`)."""
    wanted = frozenset(roles)

    def check(user) -> bool:
        return bool(user_roles(user) & wanted)

    return check
