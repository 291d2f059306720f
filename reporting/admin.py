from django.contrib import admin
from rest_framework_api_key.models import APIKey

from core.admin import ReadOnlyAdmin

from .models import AnnouncedDecision, Announcement, ApiToken, ApiTokenUse

# The library's own key model is not what the API accepts (reporting.ApiToken is): a key made
# there would not work, so it is not offered. Tokens are made on the service's API tokens page.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Made, listed and revoked on /nru/api-tokens/ (reporting/api_tokens.py); read-only here."""

    list_display = ["name", "prefix", "created_by", "created", "expiry_date", "last_used_at",
                    "revoked"]
    list_select_related = ["created_by"]
    exclude = ["hashed_key"]


@admin.register(ApiTokenUse)
class ApiTokenUseAdmin(ReadOnlyAdmin):
    list_display = ["token", "used_at", "method", "path"]
    list_select_related = ["token"]


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
