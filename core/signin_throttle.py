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
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class AccountAndAddressHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler with the per-address limit added."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures axes compares with AXES_FAILURE_LIMIT (both to lock after a failure and
        to refuse a sign-in while locked): the account's own count, or at least the limit once
        the address has reached its own limit."""
        account = super().get_failures(request, credentials)
        if address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account


def address_failures(request) -> int:
    """Failed sign-ins from the request's address, whatever username each tried."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
