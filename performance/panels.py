"""The performance app's home-page section (registered in performance/apps.py): an LSP officer's
or chair's targets with a progress return due."""

from django.db.models import Prefetch
from django.urls import reverse

from partnerships.models import PARTNERSHIP_ROLES
from partnerships.selectors import role_scopes, user_has_role

from . import rules
from .models import ProgressReturn
from .selectors import targets_visible_to
from .services import current_financial_year


def returns_due_panel(request) -> dict | None:
    """Each target of the user's own partnerships that has a year, up to the current financial
    year (by the service's clock), without a progress return: the latest such year first."""
    user = request.user
    if not user.is_authenticated or not user_has_role(user, *PARTNERSHIP_ROLES):
        return None
    own, _ = role_scopes(user, partnership_roles=PARTNERSHIP_ROLES)
    current = current_financial_year()
    due = []
    for target in (targets_visible_to(user).filter(partnership_id__in=own)
                   .prefetch_related(Prefetch("returns", queryset=ProgressReturn.objects.only(
                       "target_id", "year")))
                   .order_by("partnership__local_authority__name", "title")):
        taken = {r.year for r in target.returns.all()}
        missing = [y for y in target.return_years() if y <= current and y not in taken]
        if missing:
            due.append({"target": target, "year": rules.year_label(missing[-1]),
                        "count": len(missing),
                        "href": reverse("performance:return-add", args=[target.pk])})
    if not due:
        return None
    return {"due": due}
