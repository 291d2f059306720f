from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AnnouncedDecision, Announcement


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    """What was announced: taken once by `reporting.announcements`, never changed."""

    list_display = ["cycle", "announced_on", "recorded_at", "accredited", "deferred", "undecided",
                    "allocation_pence", "released_pence", "held_pence"]
    list_select_related = ["cycle"]


@admin.register(AnnouncedDecision)
class AnnouncedDecisionAdmin(ReadOnlyAdmin):
    list_display = ["announcement", "authority", "status", "review_date", "allocation_pence",
                    "released_pence", "held_pence"]
    list_filter = ["announcement", "status", "region"]
    search_fields = ["authority", "partnership_name"]
    list_select_related = ["announcement__cycle"]
