"""The partnerships app's home-page panel (registered in partnerships/apps.py)."""

from .models import RoleAssignment
from .selectors import role_assignments_of


def roles_panel(request) -> dict:
    """Who the user is here: each role with its scope (an empty list: no role yet)."""
    return {
        "roles": [
            {"role": a.get_role_display(), "scope": _scope_text(a)}
            for a in role_assignments_of(request.user)
        ],
    }


def _scope_text(assignment: RoleAssignment) -> str:
    if assignment.partnership_id:
        partnership = assignment.partnership
        return f"{partnership.name} ({partnership.region.name})"
    if assignment.region_id:
        return assignment.region.government_office
    # The role_scope_matches_role constraint leaves only the national roles here.
    return "National: every partnership and region"
