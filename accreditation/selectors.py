from django.db.models import QuerySet

from partnerships.selectors import partnership_scope_q

from .models import SelfAssessment


def assessments_visible_to(user) -> QuerySet[SelfAssessment]:
    """Self-assessments of the partnerships the user may see."""
    return SelfAssessment.objects.filter(
        partnership_scope_q(user, prefix="partnership__")
    ).select_related("partnership__local_authority__region", "cycle")
