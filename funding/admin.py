from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    Allocation,
    FinancialYear,
    Fund,
    PolicyChange,
    RecomputeRequest,
    ReconcileRun,
    RegionalBudget,
    ReleaseEntry,
    ReleasePolicy,
)


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(FinancialYear)
class FinancialYearAdmin(admin.ModelAdmin):
    list_display = ["label", "starts_on", "ends_on"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "fund", "year", "amount_pence", "provenance", "source"]
    list_filter = ["fund", "year", "provenance", "partnership__local_authority__region"]
    search_fields = ["partnership__name"]
    list_select_related = ["partnership", "fund", "year", "source"]


@admin.register(RegionalBudget)
class RegionalBudgetAdmin(ReadOnlyAdmin):
    list_display = ["region", "fund", "year", "amount_pence", "provenance", "source"]


@admin.register(ReleasePolicy)
class ReleasePolicyAdmin(ReadOnlyAdmin):
    list_display = ["fund", "year", "governing_cycle", "fraction_accredited", "fraction_deferred",
                    "fraction_undecided"]


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdmin):
    list_display = ["policy", "changed_by", "changed_at", "reason"]


@admin.register(ReleaseEntry)
class ReleaseEntryAdmin(ReadOnlyAdmin):
    list_display = ["allocation", "amount_pence", "cause", "created_at"]
    list_filter = ["cause", "allocation__fund", "allocation__year"]
    list_select_related = ["allocation__partnership", "allocation__fund", "allocation__year"]


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "allocations_checked", "drift_count", "repaired"]


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnlyAdmin):
    """The outbox is written by services and settled by the funding worker."""

    list_display = ["partnership", "cause", "cause_id", "requested_at", "completed_at", "attempts"]
    list_filter = ["cause", "completed_at"]
    list_select_related = ["partnership"]
