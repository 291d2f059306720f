"""Named permission checks for the targets pages. A failed check answers 404."""

from partnerships.models import PARTNERSHIP_ROLES
from partnerships.selectors import is_national, user_has_role


def can_edit_targets(user, partnership) -> bool:
    """Add and change targets and progress returns: an officer or the chair of the partnership
    (`partnership` may be an id). Government Office reviewers and NRU staff only read them."""
    return user_has_role(user, *PARTNERSHIP_ROLES, partnership=partnership)


def can_see_national_progress(user) -> bool:
    """The national counts by theme and region: NRU staff."""
    return is_national(user)
