"""This app's parts of the partnerships app's membership page (registered in
accreditation/apps.py): the link back to the self-assessment the membership task belongs to, and
under a missing-sector warning, where to say how a draft addresses the gap. The membership page
renders them with `{% panels %}`; partnerships does not know accreditation exists."""

from .models import SelfAssessment, Status
from .selectors import assessments_visible_to

MEMBER_LIST_BACK = "partnerships.member_list.back"
MEMBER_LIST_MISSING_SECTORS = "partnerships.member_list.missing_sectors"


def _current_assessment(request, partnership) -> SelfAssessment | None:
    """The self-assessment the membership task belongs to: the newest the partnership has.
    Read once per page (both panels ask)."""
    cache = request.__dict__.setdefault("_membership_assessment", {})
    if partnership.pk not in cache:
        cache[partnership.pk] = (assessments_visible_to(request.user)
                                 .filter(partnership=partnership)
                                 .order_by("-cycle__year_start").first())
    return cache[partnership.pk]


def member_list_back(request, *, partnership) -> dict:
    return {"assessment": _current_assessment(request, partnership)}


def member_list_missing_sectors(request, *, partnership) -> dict | None:
    assessment = _current_assessment(request, partnership)
    if assessment is None or assessment.status != Status.DRAFT:
        return None
    return {"assessment": assessment}
