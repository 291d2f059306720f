"""The training date page: an NRU administrator moves a training service's date forward.

The date and its rules are core's (core/clock.py, core/training.py); who may move it is decided
here, with the other NRU administrators' pages. In a service on the real date (TRAINING_CLOCK
off) the page does not exist: 404 for everyone.
"""

from datetime import timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from core import clock
from core.errors import ApplicationError
from core.forms import GovukDateField
from core.models import TrainingDateMove
from core.training import training_date_move
from partnerships.models import Role

from .dashboard_views import NruOnlyMixin

HISTORY_SHOWN = 20


def _long(day) -> str:
    return f"{day:%-d %B %Y}"


class TrainingDateForm(forms.Form):
    to = GovukDateField(what="the new date", label="Move to", require_all_fields=False)

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        example = current + timedelta(days=27)
        self.fields["to"].help_text = (f"A date after {_long(current)}. For example, "
                                       f"{example.day} {example.month} {example.year}")
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's own <form>
        self.helper.layout = Layout(
            Field("to", context={"legend_size": Size.for_legend(Size.MEDIUM)}),
            Button("submit", "Move the date forward"),
        )

    def clean_to(self):
        to = self.cleaned_data["to"]
        if to and to <= self.current:
            raise ValidationError(f"The new date must be after {_long(self.current)}: the "
                                  "training date only moves forward")
        return to


class TrainingDateView(NruOnlyMixin, View):
    roles = (Role.NRU_ADMIN,)
    template_name = "reporting/training_date.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not clock.training():
            raise Http404("This service runs on the real date")
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form):
        return render(request, self.template_name, {
            "form": form, "current": form.current,
            "moves": list(TrainingDateMove.objects.select_related("by")[:HISTORY_SHOWN]),
        })

    def get(self, request):
        return self._render(request, TrainingDateForm(current=clock.today()))

    def post(self, request):
        form = TrainingDateForm(request.POST, current=clock.today())
        if not form.is_valid():
            return self._render(request, form)
        try:
            move = training_date_move(to=form.cleaned_data["to"], by=request.user)
        except ApplicationError as error:
            form.add_error("to", error.message)
            return self._render(request, form)
        messages.success(request, f"Today in this training service is now {_long(move.to_date)}. "
                                  "Everyone using it is on the new date.")
        return redirect("reporting:training-date")
