"""Sessions end SESSION_COOKIE_AGE seconds after they were last renewed. A request renews its
session when the last renewal is SESSION_RENEW_AFTER seconds old or more (or when the request
changed the session anyway), rather than on every request: a page view then costs no database
write, and a session still ends between SESSION_COOKIE_AGE - SESSION_RENEW_AFTER and
SESSION_COOKIE_AGE seconds after the last request.

The timeout warning (static/js/timeout-warning.js) counts down from the seconds actually left
(`request.session_seconds_left`, given to templates as `session_timeout_seconds`), and calls the
keep-alive view when someone chooses "Stay signed in", which always renews.
"""

import time

from django.conf import settings
from django.http import JsonResponse
from django.views import View

RENEWED_AT = "_renewed_at"  # epoch seconds of the session's last renewal


class SessionRenewalMiddleware:
    """After django.contrib.sessions' SessionMiddleware (which saves a modified session, and so
    moves its expiry): marks the session renewed when it is due, or already being saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = int(time.time())
        age = settings.SESSION_COOKIE_AGE
        renewed = None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            renewed = request.session.get(RENEWED_AT)
        due = renewed is None or now - renewed >= settings.SESSION_RENEW_AFTER
        request.session_seconds_left = age if due else age - (now - renewed)
        response = self.get_response(request)
        session = request.session
        if not session.is_empty() and (due or session.modified):
            session[RENEWED_AT] = now
        return response


class SessionKeepAliveView(View):
    """POST (with the CSRF token): renews the session; 200 and the seconds now left, 401 once
    signed out."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.is_authenticated:
            return JsonResponse({"signed_in": False}, status=401)
        request.session.modified = True  # saved, so renewed, whenever it was last renewed
        return JsonResponse({"signed_in": True, "expires_in": settings.SESSION_COOKIE_AGE})
