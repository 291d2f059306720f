"""Sessions end after SESSION_COOKIE_AGE seconds without a request (SESSION_SAVE_EVERY_REQUEST
renews the expiry on each one). The timeout warning (static/js/timeout-warning.js) calls this
view when someone chooses "Stay signed in": the request itself renews the session."""

from django.conf import settings
from django.http import JsonResponse
from django.views import View


class SessionKeepAliveView(View):
    """POST (with the CSRF token): 200 and the seconds now left; 401 once signed out."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.is_authenticated:
            return JsonResponse({"signed_in": False}, status=401)
        return JsonResponse({"signed_in": True, "expires_in": settings.SESSION_COOKIE_AGE})
