"""Sign-in throttling: per account and address, and per address across accounts.

django-axes counts failed sign-ins in AccessAttempt rows (one per username, address and user
agent) and locks when the largest count over AXES_LOCKOUT_PARAMETERS reaches the single
AXES_FAILURE_LIMIT. That is kept for an account at an address (username and address, 5 by
default). Password spraying (a few guesses at each of many usernames from one address) never
reaches 5 for any one username, so this handler adds a second, higher limit: failures from one
address across every username (AXES_ADDRESS_FAILURE_LIMIT, 20 by default) lock that address for
everyone. Both count failures within AXES_COOLOFF_TIME of now; the lockout page is the same
(core.views.sign_in_locked_out). Why the account limit is not counted across addresses:
docs/adr/0014-request-limits-and-throttling.md.

Both counts are taken in one aggregate query per check (the lock check before a sign-in and the
check after a failure), not one query each.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum


class AccountAndAddressHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler with the per-address limit added."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures axes compares with AXES_FAILURE_LIMIT (both to lock after a failure and
        to refuse a sign-in while locked): the account's own count, or at least the limit once
        the address has reached its own limit."""
        account, address = failure_counts(self, request, credentials)
        if address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account


def failure_counts(handler: AxesDatabaseHandler, request, credentials) -> tuple[int, int]:
    """(the largest count over AXES_LOCKOUT_PARAMETERS as axes takes it, the failed sign-ins
    from the request's address whatever username each tried), in one query."""
    per_parameters = list(handler.get_user_attempts(request, credentials))
    address = getattr(request, "axes_ip_address", None)
    wanted = Q(pk__in=[])
    sums = {}
    for n, attempts in enumerate(per_parameters):
        match = Q(pk__in=attempts.values("pk"))
        sums[f"parameters_{n}"] = Sum("failures_since_start", filter=match)
        wanted |= match
    if address:
        # The address's attempts within the cool-off, as axes' own filter counts them.
        at_address = Q(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            at_address &= Q(attempt_time__gte=get_cool_off_threshold(request))
        sums["address"] = Sum("failures_since_start", filter=at_address)
        wanted |= at_address
    if not sums:
        return 0, 0
    totals = AccessAttempt.objects.filter(wanted).aggregate(**sums)
    account = max((totals[f"parameters_{n}"] or 0 for n in range(len(per_parameters))), default=0)
    return account, totals.get("address") or 0
