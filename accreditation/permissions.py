"""Named permission checks for accreditation pages. Views ask these; they never compare roles
themselves. A failed check answers 404, so a URL never confirms that someone else's data exists."""

from partnerships.models import Role
from partnerships.selectors import user_has_role


def user_reviews_region(user, region) -> bool:
    """A Government Office reviewer of this region (NRU staff are not reviewers: their read-only
    view of every partnership is the national dashboard's)."""
    return user_has_role(user, Role.GO_REVIEWER, region=region)


def user_is_reviewer(user) -> bool:
    """A Government Office reviewer of at least one region."""
    return user_has_role(user, Role.GO_REVIEWER)


def user_can_review(user, assessment) -> bool:
    """May take, rate and decide this assessment: a reviewer of the partnership's region."""
    return user_reviews_region(user, assessment.partnership.local_authority.region_id)
