"""Emails the service could not send (core/outbox.py), for NRU administrators: what each was,
to whom, how often it was tried and why it failed, and a way to send it again once the mail
server is mended. Anyone else signed in gets 404."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from core.errors import ApplicationError
from core.outbox import email_retry, emails_failed, emails_waiting, max_attempts
from partnerships.models import Role
from partnerships.selectors import user_has_role

from .dashboard_views import NruOnlyMixin

SHOWN = 100


class FailedEmailListView(NruOnlyMixin, TemplateView):
    template_name = "reporting/emails_failed.html"
    roles = (Role.NRU_ADMIN,)

    def get_context_data(self, **kwargs):
        failed = emails_failed()
        return super().get_context_data(
            emails=list(failed[:SHOWN]), failed_count=failed.count(), shown=SHOWN,
            waiting_count=emails_waiting().count(), max_attempts=max_attempts(), **kwargs,
        )


class FailedEmailRetryView(NruOnlyMixin, View):
    roles = (Role.NRU_ADMIN,)

    def post(self, request, pk: int):
        try:
            email = email_retry(email_id=pk)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"“{email.subject}” will be sent again.")
        return redirect("reporting:emails-failed")


def failed_emails_panel(request) -> dict | None:
    """The home page's note for NRU administrators, while some emails could not be sent."""
    if not request.user.is_authenticated or not user_has_role(request.user, Role.NRU_ADMIN):
        return None
    count = emails_failed().count()
    return {"count": count} if count else None
