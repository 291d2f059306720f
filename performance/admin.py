from django.contrib import admin

from .models import FloorTarget, ProgressReturn, Target


@admin.register(FloorTarget)
class FloorTargetAdmin(admin.ModelAdmin):
    """NRU administrators maintain the national list here. A floor target in use cannot be
    deleted (targets protect it): untick "offered to partnerships" to retire it instead."""

    list_display = ["wording", "theme", "department", "spending_review", "is_current"]
    list_filter = ["theme", "is_current", "spending_review"]
    search_fields = ["wording", "department"]
    list_select_related = ["source"]
    autocomplete_fields = ["source"]


class ProgressReturnInline(admin.TabularInline):
    """Read-only: returns are written, and judged, by the partnership's officers (services)."""

    model = ProgressReturn
    extra = 0
    fields = ["year", "actual", "rag", "commentary", "recorded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """Read-only: targets belong to partnerships and change through their pages."""

    list_display = ["title", "partnership", "theme", "kind", "baseline_year", "target_year"]
    list_filter = ["theme", "kind", "partnership__local_authority__region"]
    search_fields = ["title", "partnership__name", "indicator"]
    list_select_related = ["partnership"]
    inlines = [ProgressReturnInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
