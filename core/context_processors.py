from django.conf import settings


def service(request):
    return {
        "service_name": "LSP Portal",
        "session_timeout_seconds": settings.SESSION_COOKIE_AGE,
    }
