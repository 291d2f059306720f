"""The funding app's home-page section (registered in funding/apps.py): the money of an LSP
officer's or chair's partnerships."""

from django.urls import reverse

from core.money import pounds
from partnerships.models import PARTNERSHIP_ROLES
from partnerships.selectors import partnerships_visible_to, role_scopes, user_has_role

from .selectors import partnership_money_totals


def partnership_money_panel(request) -> dict | None:
    """Released and held of each of the user's own partnerships' allocations, in total."""
    user = request.user
    if not user.is_authenticated or not user_has_role(user, *PARTNERSHIP_ROLES):
        return None
    own, _ = role_scopes(user, partnership_roles=PARTNERSHIP_ROLES)
    lines = []
    for partnership in partnerships_visible_to(user).filter(pk__in=own).order_by("name"):
        totals = partnership_money_totals(partnership=partnership)
        if totals is not None:
            lines.append({
                "partnership": partnership,
                "released": pounds(totals.released_pence), "held": pounds(totals.held_pence),
                "total": pounds(totals.amount_pence), "owed": totals.recompute_owed,
                "href": reverse("funding:partnership-funding", args=[partnership.slug]),
            })
    return {"lines": lines} if lines else None
