"""The read API (`/api/v1/`): the same figures as the NRU dashboard and the published decisions,
through the same selectors and the same scoping.

`/api/v1/` lists the endpoints, the schema and the documentation page. Partnerships and
allocations need an NRU analyst's or administrator's token (`Authorization: Token <key>`, made
by an NRU administrator on the service's API tokens page) or, in the browser, an NRU staff
member's session (`reporting/api_auth.py`): without either 401, as someone without an NRU role
404, as the pages answer. Decisions are open: anyone gets the cycles whose announcement date has
come, NRU staff every cycle. Amounts are whole pence; lists are paginated, 50 to a page unless
`page_size` (at most 200) says otherwise.
"""

from dataclasses import replace

from django import forms
from django.core.validators import slug_re
from django.views.generic import TemplateView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accreditation.models import Cycle
from core import clock
from core.models import Provenance
from funding.as_at import as_at_read
from partnerships.models import NATIONAL_ROLES, Region
from partnerships.selectors import partnerships_visible_to, user_has_role

from . import dashboard, dashboard_choices, published
from .api_auth import Pagination
from .dashboard_forms import DashboardFilterForm


class NruOnly(BasePermission):
    """No token: 401. A token of someone without an NRU role: 404, as the pages answer."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            raise NotAuthenticated("Send an NRU staff token (Authorization: Token <key>), or "
                                   "sign in to the service as NRU staff.")
        if not user_has_role(request.user, *NATIONAL_ROLES):
            raise NotFound()
        return True


def _is_nru(request) -> bool:
    return bool(request.user and request.user.is_authenticated
                and user_has_role(request.user, *NATIONAL_ROLES))


# --- The index ---------------------------------------------------------------------------------


class EndpointSerializer(serializers.Serializer):
    url = serializers.URLField()
    description = serializers.CharField()
    access = serializers.CharField()


class IndexSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    endpoints = serializers.DictField(child=EndpointSerializer())
    schema = serializers.URLField()
    documentation = serializers.URLField()
    page_size = serializers.IntegerField()
    max_page_size = serializers.IntegerField()


ENDPOINTS = [
    ("partnerships", "reporting_api:partnership-list",
     "Partnerships with their authority and region.", "NRU staff: token or session"),
    ("allocations", "reporting_api:allocation-list",
     "One fund and year's allocations with released, held and status.",
     "NRU staff: token or session"),
    ("decisions", "reporting_api:decision-list",
     "One cycle's published decisions with each partnership's NRF allocation.",
     "Everyone, for announced cycles; NRU staff, every cycle"),
]


class ApiIndexView(APIView):
    """What the API offers: its endpoints, its schema and its documentation page."""

    @extend_schema(responses=IndexSerializer)
    def get(self, request):
        return Response({
            "name": "LSP Portal read API", "version": "1",
            "endpoints": {key: {"url": reverse(name, request=request), "description": text,
                                "access": access} for key, name, text, access in ENDPOINTS},
            "schema": reverse("reporting_api:schema", request=request),
            "documentation": reverse("reporting_api:docs", request=request),
            "page_size": Pagination.page_size, "max_page_size": Pagination.max_page_size,
        })


# --- Partnerships -------------------------------------------------------------------------------


class PartnershipSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    authority = serializers.CharField(source="local_authority.name")
    gss_code = serializers.CharField(source="local_authority.gss_code", allow_null=True)
    region = serializers.CharField(source="local_authority.region.slug")
    accountable_body = serializers.CharField()


class PartnershipListView(ListAPIView):
    serializer_class = PartnershipSerializer
    permission_classes = [NruOnly]
    pagination_class = Pagination

    @extend_schema(parameters=[OpenApiParameter("region", str, description="A region's slug.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        partnerships = partnerships_visible_to(self.request.user).order_by("name", "pk")
        region = self.request.query_params.get("region")
        if region:
            # A slug is checked before it reaches the database (which refuses NUL characters).
            if not slug_re.fullmatch(region) or not Region.objects.filter(slug=region).exists():
                raise ValidationError({"region": ["Select a region from the list"]})
            partnerships = partnerships.filter(local_authority__region__slug=region)
        return partnerships


# --- Allocations --------------------------------------------------------------------------------


class AllocationSerializer(serializers.Serializer):
    partnership = serializers.CharField(source="partnership.slug")
    authority = serializers.CharField(source="partnership.local_authority.name")
    gss_code = serializers.CharField(source="partnership.local_authority.gss_code", allow_null=True)
    region = serializers.CharField(source="partnership.local_authority.region.slug")
    fund = serializers.SerializerMethodField()
    year = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="Funding state in the cycle shown for the fund and "
                                             "year; empty when there is no cycle.")
    amount_pence = serializers.IntegerField()
    released_pence = serializers.IntegerField()
    held_pence = serializers.IntegerField()
    provenance = serializers.ChoiceField(choices=Provenance.choices)
    source = serializers.CharField(source="source.key", allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_fund(self, allocation) -> str:
        return self.context["scope"].fund.code

    @extend_schema_field(OpenApiTypes.STR)
    def get_year(self, allocation) -> str:
        return self.context["scope"].year.label


ALLOCATION_PARAMETERS = [
    OpenApiParameter("fund", str, description="Fund code (default NRF)."),
    OpenApiParameter("year", str, description="Financial year like 2002/03 (default 2002/03, or "
                     "the fund's first year with figures). Only years with the fund's "
                     "allocations or budgets are accepted."),
    OpenApiParameter("region", str, description="A region's slug."),
    OpenApiParameter("status", str, enum=[v for v, _ in dashboard.STATUS_CHOICES]),
    OpenApiParameter("provenance", str, enum=[v for v, _ in Provenance.choices]),
    OpenApiParameter("sort", str, enum=list(dashboard.SORT_FIELDS)),
    OpenApiParameter("order", str, enum=["asc", "desc"]),
    OpenApiParameter("as_at", OpenApiTypes.DATE,
                     description="Released, held and status as they stood at the end of this "
                                 "day (YYYY-MM-DD; default today): not before the first "
                                 "financial year, not after today."),
]


class AllocationListView(ListAPIView):
    """One fund and year's allocations with released, held and status: the dashboard's table,
    as at the end of a day with `as_at`."""

    serializer_class = AllocationSerializer
    permission_classes = [NruOnly]
    pagination_class = Pagination

    @extend_schema(parameters=ALLOCATION_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def _checked(self):
        if not hasattr(self, "_request_checked"):
            params = self.request.query_params
            # Only fund-years with allocations or budgets (reporting/dashboard_choices.py).
            choice = dashboard_choices.chosen(params.get("fund", ""), params.get("year", ""))
            form = DashboardFilterForm(params, funds=choice.funds, years=choice.years,
                                       regions=list(Region.objects.all()))
            if not form.is_valid():
                raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
            fund, year = choice.fund, choice.year
            if fund is None or year is None:
                raise NotFound("No allocations for that fund and year.")
            as_at = as_at_read(params, earliest=min((y.starts_on for y in choice.years), default=None),
                               earliest_known=True)
            if as_at.error:
                raise ValidationError({"as_at": [as_at.error]})
            scope = dashboard.dashboard_scope(fund=fund, year=year)
            if as_at.past is not None:
                scope = replace(scope, as_at=as_at.past)
            self._request_checked = (scope, form)
        return self._request_checked

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scope": self._checked()[0]}

    def get_queryset(self):
        scope, form = self._checked()
        filters = dashboard.TableFilters(region=form.value("region"), status=form.value("status"),
                                         provenance=form.value("provenance"))
        return dashboard.dashboard_table(scope, filters=filters,
                                         sort=form.value("sort", dashboard.DEFAULT_SORT),
                                         descending=form.value("order") == "desc")


# --- Decisions ----------------------------------------------------------------------------------


class DecisionSerializer(serializers.Serializer):
    cycle = serializers.SerializerMethodField()
    announcement_date = serializers.SerializerMethodField()
    partnership = serializers.CharField(source="slug")
    authority = serializers.CharField(source="local_authority.name")
    gss_code = serializers.CharField(source="local_authority.gss_code", allow_null=True)
    region = serializers.CharField(source="local_authority.region.slug")
    decision = serializers.CharField()
    decided_on = serializers.DateField(allow_null=True, help_text="The date of the decision in "
                                       "force (the reviewer's date, as on its letter).")
    review_date = serializers.DateField(allow_null=True)
    nrf_allocation_pence = serializers.IntegerField(source="nrf_pence", allow_null=True)
    provenance = serializers.CharField(source="nrf_provenance", allow_null=True)
    source = serializers.CharField(source="nrf_source", allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_cycle(self, partnership) -> str:
        return self.context["cycle"].name

    @extend_schema_field(OpenApiTypes.DATE)
    def get_announcement_date(self, partnership):
        return self.context["cycle"].announcement_date


class CycleChoice(forms.Form):
    cycle = forms.IntegerField(required=False, min_value=1900, max_value=2999,
                               error_messages={"invalid": "Give the cycle as its first year, "
                                                          "like 2002"})


class DecisionListView(ListAPIView):
    """One cycle's decisions with each partnership's NRF allocation for the year. Without an NRU
    token only cycles whose announcement date has come exist."""

    serializer_class = DecisionSerializer
    pagination_class = Pagination

    @extend_schema(parameters=[OpenApiParameter(
        "cycle", {"type": "integer", "minimum": 1900, "maximum": 2999},
        description="The cycle's first year, like 2002 (default: the latest).")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def _cycle(self) -> Cycle:
        if not hasattr(self, "_chosen_cycle"):
            form = CycleChoice(self.request.query_params)
            if not form.is_valid():
                raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
            cycles = (Cycle.objects.order_by("-year_start") if _is_nru(self.request)
                      else published.published_cycles(today=clock.today()))
            wanted = form.cleaned_data["cycle"]
            cycle = (cycles.filter(year_start=wanted) if wanted else cycles).first()
            if cycle is None:
                raise NotFound("No published decisions for that cycle.")
            self._chosen_cycle = cycle
        return self._chosen_cycle

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "cycle": self._cycle()}

    def get_queryset(self):
        return published.published_decisions(self._cycle())


# --- Documentation ------------------------------------------------------------------------------


class ApiDocsView(TemplateView):
    """The API described from its own OpenAPI schema, as a GOV.UK page (no JavaScript)."""

    template_name = "reporting/api_docs.html"

    def get_context_data(self, **kwargs):
        from drf_spectacular.generators import SchemaGenerator

        context = super().get_context_data(**kwargs)
        schema = SchemaGenerator(patterns=None).get_schema(request=None, public=True)
        endpoints = []
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                endpoints.append({
                    "method": method.upper(), "path": path,
                    "summary": operation.get("description", "").strip(),
                    "parameters": operation.get("parameters", []),
                    "auth": "tokenAuth" in str(operation.get("security", "")),
                })
        context.update(schema=schema, endpoints=endpoints, page_size=Pagination.page_size,
                       max_page_size=Pagination.max_page_size)
        return context
