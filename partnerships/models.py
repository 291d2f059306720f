from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import Provenance, TimeStampedModel


class Region(models.Model):
    """One of the nine Government Office regions."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def government_office(self) -> str:
        return f"Government Office for {self.name}" if self.name != "London" else (
            "Government Office for London"
        )


class MembershipEvidence(models.TextChoices):
    NAMED = "A", "Named in an NRF table"
    INDIRECT = "B", "Indirect evidence"
    UNCONFIRMED = "C", "Not yet confirmed by a source"


class LocalAuthority(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    gss_code = models.CharField(
        "GSS code (2018)", max_length=9, unique=True, null=True, blank=True,
        help_text="Empty for districts abolished in 2009.",
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="authorities")
    is_nrf_area = models.BooleanField("NRF area", default=True)
    membership_evidence = models.CharField(
        max_length=1, choices=MembershipEvidence.choices, default=MembershipEvidence.NAMED
    )
    membership_sources = models.ManyToManyField("core.Source", blank=True)
    provenance = models.CharField(
        max_length=20, choices=Provenance.choices, default=Provenance.PUBLISHED
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self):
        return self.name


class Partnership(TimeStampedModel):
    """The Local Strategic Partnership of one local authority area."""

    local_authority = models.OneToOneField(
        LocalAuthority, on_delete=models.PROTECT, related_name="partnership"
    )
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=100, unique=True)
    accountable_body = models.CharField(max_length=150)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def region(self) -> Region:
        return self.local_authority.region


class Sector(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"
    BUSINESS = "business", "Business"
    COMMUNITY = "community", "Community"
    VOLUNTARY = "voluntary", "Voluntary"
    FAITH = "faith", "Faith"


class Member(TimeStampedModel):
    """An organisation sitting on the partnership."""

    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="members")
    organisation = models.CharField(max_length=200)
    representative = models.CharField(max_length=150, blank=True)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["partnership", "-role", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership"], condition=Q(role="chair"), name="member_one_chair"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_sector_display()})"


class Role(models.TextChoices):
    LSP_OFFICER = "lsp_officer", "LSP officer"
    LSP_CHAIR = "lsp_chair", "LSP chair"
    GO_REVIEWER = "go_reviewer", "Government Office reviewer"
    NRU_ANALYST = "nru_analyst", "NRU analyst"
    NRU_ADMIN = "nru_admin", "NRU administrator"


PARTNERSHIP_ROLES = (Role.LSP_OFFICER, Role.LSP_CHAIR)
REGION_ROLES = (Role.GO_REVIEWER,)
NATIONAL_ROLES = (Role.NRU_ANALYST, Role.NRU_ADMIN)


class RoleAssignment(TimeStampedModel):
    """What a user may do, and where: a partnership, a region, or the whole country."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.CASCADE, related_name="role_assignments"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.CASCADE, related_name="role_assignments"
    )

    class Meta:
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(role__in=PARTNERSHIP_ROLES, partnership__isnull=False, region__isnull=True)
                    | Q(role__in=REGION_ROLES, partnership__isnull=True, region__isnull=False)
                    | Q(role__in=NATIONAL_ROLES, partnership__isnull=True, region__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "partnership", "region"],
                name="role_assignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        scope = self.partnership or self.region or "national"
        return f"{self.user} — {self.get_role_display()} ({scope})"
