"""The API tokens pages: NRU administrators make, list and revoke the read API's tokens. Anyone
else signed in gets 404. A new token's key is shown once, on the answer to the form that made
it, and never stored in clear (reporting/api_tokens.py)."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from core import clock
from core.errors import ApplicationError
from partnerships.models import Role

from .api_tokens import (
    NAME_MAX,
    VALIDITY_DAYS,
    api_token_create,
    api_token_recent_uses,
    api_token_revoke,
    api_tokens_visible_to,
)
from .dashboard_views import NruOnlyMixin


def _days(days: int) -> str:
    return "1 year" if days == 365 else f"{days} days"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=NAME_MAX,
        help_text="Who or what will use it, for example “ONS quarterly extract”. "
                  f"{NAME_MAX} characters at most.",
        error_messages={"required": "Enter a name for the token",
                        "max_length": f"The name must be {NAME_MAX} characters or fewer"})
    valid_days = forms.TypedChoiceField(
        label="Valid for", coerce=int, widget=forms.RadioSelect,
        choices=[(d, _days(d)) for d in VALIDITY_DAYS],
        error_messages={"required": "Select how long the token is valid for",
                        "invalid_choice": "Select how long the token is valid for"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("name"), Field.radios("valid_days", legend_size=Size.SMALL),
            Button("submit", "Make the token"))


class ApiTokenListView(NruOnlyMixin, TemplateView):
    template_name = "reporting/api_tokens.html"
    roles = (Role.NRU_ADMIN,)

    def get_context_data(self, **kwargs):
        now = clock.now()
        tokens = list(api_tokens_visible_to(self.request.user))
        for token in tokens:
            token.state = token.state_at(now)
        return super().get_context_data(tokens=tokens, **kwargs)


class ApiTokenCreateView(NruOnlyMixin, View):
    roles = (Role.NRU_ADMIN,)
    template_name = "reporting/api_token_new.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ApiTokenForm()})

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = api_token_create(name=form.cleaned_data["name"],
                                              valid_days=form.cleaned_data["valid_days"],
                                              created_by=request.user)
            except ApplicationError as error:
                form.add_error("name", error.message)
            else:
                # The key is in this answer only (never in a redirect, a message or the session).
                return render(request, "reporting/api_token_made.html", {"token": token, "key": key})
        return render(request, self.template_name, {"form": form})


class ApiTokenRevokeView(NruOnlyMixin, View):
    roles = (Role.NRU_ADMIN,)

    def _token(self, request, prefix: str):
        token = api_tokens_visible_to(request.user).filter(prefix=prefix).first()
        if token is None:
            raise Http404("No such token")
        return token

    def get(self, request, prefix: str):
        token = self._token(request, prefix)
        return render(request, "reporting/api_token_revoke.html", {
            "token": token, "state": token.state_at(clock.now()),
            "uses": api_token_recent_uses(token)})

    def post(self, request, prefix: str):
        token = self._token(request, prefix)
        try:
            api_token_revoke(prefix=token.prefix, revoked_by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The token “{token.name}” is revoked: requests with it are "
                                      "refused from now on.")
        return redirect("reporting:api-tokens")
