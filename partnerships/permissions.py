"""Named permission checks for partnership pages. A failed check answers 404."""

from .models import PARTNERSHIP_ROLES, Role
from .selectors import user_has_role


def user_is_lsp_of(user, partnership) -> bool:
    """An officer or the chair of this partnership (`partnership` may be an id)."""
    return user_has_role(user, *PARTNERSHIP_ROLES, partnership=partnership)


def can_manage_members(user, partnership) -> bool:
    """Add, change and remove the partnership's members: its officers."""
    return user_has_role(user, Role.LSP_OFFICER, partnership=partnership)
