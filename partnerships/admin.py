from django.contrib import admin

from .models import LocalAuthority, Member, Partnership, Region, RoleAssignment


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "region", "is_nrf_area", "membership_evidence"]
    list_filter = ["region", "is_nrf_area", "membership_evidence"]
    search_fields = ["name", "gss_code"]


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "local_authority", "accountable_body"]
    list_filter = ["local_authority__region"]
    search_fields = ["name", "local_authority__name"]
    list_select_related = ["local_authority"]
    inlines = [MemberInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "partnership", "region"]
    list_filter = ["role", "region"]
    search_fields = ["user__email", "partnership__name"]
    autocomplete_fields = ["user", "partnership"]
    list_select_related = ["user", "partnership", "region"]
