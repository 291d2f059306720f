"""The partnership's membership pages, for its officers (who change it) and chair (who reads
it). Anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from core.errors import ApplicationError

from . import services
from .forms import MemberForm
from .models import Member, Sector
from .permissions import can_manage_members, user_is_lsp_of
from .selectors import KEY_SECTOR_GROUPS, members_missing_key_sectors, partnerships_visible_to


class PartnershipPageMixin(LoginRequiredMixin):
    """Loads `self.partnership` from the slug, for an officer or chair of it (404 otherwise);
    `manage = True` pages are for its officers only."""

    manage = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.partnership = (partnerships_visible_to(request.user)
                                .filter(slug=kwargs["slug"]).first())
            allowed = can_manage_members if self.manage else user_is_lsp_of
            if self.partnership is None or not allowed(request.user, self.partnership.pk):
                raise Http404("No such partnership")
        return super().dispatch(request, *args, **kwargs)

    def member(self, pk) -> Member:
        member = Member.objects.filter(partnership=self.partnership, pk=pk).first()
        if member is None:
            raise Http404("No such member")
        return member


class MemberListView(PartnershipPageMixin, View):
    def get(self, request, slug):
        members = sorted(Member.objects.filter(partnership=self.partnership),
                         key=lambda m: (m.role != Member.Role.CHAIR, m.organisation.lower()))
        present = {m.sector for m in members}
        sectors = [
            {"label": label, "present": bool(present & set(group)),
             "count": sum(1 for m in members if m.sector in group)}
            for _, label, group in KEY_SECTOR_GROUPS
        ]
        faith = sum(1 for m in members if m.sector == Sector.FAITH)
        return render(request, "partnerships/member_list.html", {
            "partnership": self.partnership,
            "members": members,
            "sectors": sectors,
            "faith": faith,
            "missing": members_missing_key_sectors(self.partnership),
            "can_manage": can_manage_members(request.user, self.partnership.pk),
            "has_chair": any(m.role == Member.Role.CHAIR for m in members),
        })


class MemberAddView(PartnershipPageMixin, View):
    manage = True
    template_name = "partnerships/member_form.html"

    def get(self, request, slug):
        return render(request, self.template_name, {"partnership": self.partnership,
                                                    "form": MemberForm()})

    def post(self, request, slug):
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                member = services.member_add(partnership=self.partnership, by=request.user,
                                             **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(error.extra.get("field"), error.message)
            else:
                messages.success(request, f"{member.organisation} has been added")
                return redirect("partnerships:member-list", slug=slug)
        return render(request, self.template_name, {"partnership": self.partnership, "form": form})


class MemberChangeView(PartnershipPageMixin, View):
    manage = True
    template_name = "partnerships/member_form.html"

    def get(self, request, slug, member_pk):
        member = self.member(member_pk)
        form = MemberForm(initial={"organisation": member.organisation,
                                   "representative": member.representative,
                                   "sector": member.sector, "role": member.role})
        return render(request, self.template_name,
                      {"partnership": self.partnership, "form": form, "member": member})

    def post(self, request, slug, member_pk):
        member = self.member(member_pk)
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                member = services.member_update(member=member, by=request.user, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(error.extra.get("field"), error.message)
            else:
                messages.success(request, f"{member.organisation} has been updated")
                return redirect("partnerships:member-list", slug=slug)
        return render(request, self.template_name,
                      {"partnership": self.partnership, "form": form, "member": member})


class MemberRemoveView(PartnershipPageMixin, View):
    manage = True

    def get(self, request, slug, member_pk):
        return render(request, "partnerships/member_confirm_remove.html",
                      {"partnership": self.partnership, "member": self.member(member_pk)})

    def post(self, request, slug, member_pk):
        member = Member.objects.filter(partnership=self.partnership, pk=member_pk).first()
        if member is not None:  # already removed: a repeated form, nothing more to do
            services.member_remove(member=member, by=request.user)
            messages.success(request, f"{member.organisation} has been removed")
        return redirect("partnerships:member-list", slug=slug)
