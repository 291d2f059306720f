from django.conf import settings

from . import clock


def service(request):
    return {
        "service_name": "LSP Portal",
        # What is left of the session, as the timeout warning counts it (core/session.py).
        "session_timeout_seconds": getattr(request, "session_seconds_left",
                                           settings.SESSION_COOKIE_AGE),
        "session_lifetime_seconds": settings.SESSION_COOKIE_AGE,
        "session_renew_after_seconds": settings.SESSION_RENEW_AFTER,
        # The banner on every page of a training service (base.html); None in production.
        "training_today": clock.today() if clock.training() else None,
    }
