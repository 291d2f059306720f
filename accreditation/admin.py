from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    AccreditationEvent,
    AreaOfConcern,
    ConcernResponse,
    Cycle,
    Decision,
    DeferralResponse,
    Requirement,
    SelfAssessment,
    StakeholderView,
)


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "opens_on", "submission_deadline", "announcement_date"]
    inlines = [RequirementInline]


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "cycle", "order", "is_core", "wording_status"]
    list_filter = ["cycle", "is_core"]


class EventInline(admin.TabularInline):
    model = AccreditationEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "actor_label", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "cycle", "status", "funding_state", "review_round", "review_date"]
    list_filter = ["cycle", "status", "funding_state", "partnership__local_authority__region"]
    search_fields = ["partnership__name"]
    list_select_related = ["partnership", "cycle"]
    inlines = [EventInline]


class ConcernInline(admin.TabularInline):
    model = AreaOfConcern
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "outcome", "review_round", "decided_on", "review_date"]
    list_filter = ["outcome", "assessment__cycle"]
    inlines = [ConcernInline]


@admin.register(AccreditationEvent)
class AccreditationEventAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "from_status", "to_status", "actor_label", "at"]
    list_filter = ["to_status"]


@admin.register(StakeholderView)
class StakeholderViewAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "organisation", "sector", "stance", "given_on"]


class ConcernResponseInline(admin.StackedInline):
    model = ConcernResponse
    extra = 0
    can_delete = False
    fields = ["concern", "progress", "version", "updated_by", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DeferralResponse)
class DeferralResponseAdmin(ReadOnlyAdmin):
    """Responses to deferrals, written and signed off only through the partnership's pages."""

    list_display = ["assessment", "review_round", "sign_off_requested_at", "signed_off_by",
                    "signed_off_at"]
    list_filter = ["review_round", "assessment__cycle"]
    list_select_related = ["assessment__partnership", "assessment__cycle", "signed_off_by"]
    inlines = [ConcernResponseInline]
