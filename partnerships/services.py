from django.db import transaction

from core.errors import ApplicationError

from .models import Member, Partnership, Role, RoleAssignment, Sector


def role_assign(*, user, role: str, partnership=None, region=None) -> RoleAssignment:
    assignment, _ = RoleAssignment.objects.get_or_create(
        user=user, role=role, partnership=partnership, region=region
    )
    return assignment


def _member_checked(*, partnership: Partnership, organisation: str, representative: str,
                    sector: str, role: str, member: Member | None = None) -> dict:
    organisation = (organisation or "").strip()
    representative = (representative or "").strip()
    if not organisation:
        raise ApplicationError("Enter the name of the organisation", extra={"field": "organisation"})
    if len(organisation) > 200:
        raise ApplicationError("The organisation's name must be 200 characters or fewer",
                               extra={"field": "organisation"})
    if len(representative) > 150:
        raise ApplicationError("The representative's name must be 150 characters or fewer",
                               extra={"field": "representative"})
    if sector not in Sector.values:
        raise ApplicationError("Select the organisation's sector", extra={"field": "sector"})
    if role not in Member.Role.values:
        raise ApplicationError("Select whether the organisation chairs the partnership",
                               extra={"field": "role"})
    others = Member.objects.filter(partnership=partnership)
    if member is not None:
        others = others.exclude(pk=member.pk)
    if others.filter(organisation__iexact=organisation).exists():
        raise ApplicationError(f"{organisation} is already a member of the partnership",
                               extra={"field": "organisation"})
    chair = others.filter(role=Member.Role.CHAIR).first() if role == Member.Role.CHAIR else None
    if chair is not None:
        raise ApplicationError(
            f"{chair.organisation} already chairs the partnership: change its role to member first",
            extra={"field": "role"},
        )
    return {"organisation": organisation, "representative": representative, "sector": sector,
            "role": role}


@transaction.atomic
def member_add(*, partnership: Partnership, by, organisation: str, sector: str,
               representative: str = "", role: str = Member.Role.MEMBER) -> Member:
    """Add an organisation to the partnership. At most one member chairs it."""
    Partnership.objects.select_for_update().get(pk=partnership.pk)
    fields = _member_checked(partnership=partnership, organisation=organisation,
                             representative=representative, sector=sector, role=role)
    return Member.objects.create(partnership=partnership, **fields)


@transaction.atomic
def member_update(*, member: Member, by, organisation: str, sector: str,
                  representative: str = "", role: str = Member.Role.MEMBER) -> Member:
    Partnership.objects.select_for_update().get(pk=member.partnership_id)
    current = Member.objects.filter(pk=member.pk).first()
    if current is None:
        raise ApplicationError("This member has been removed from the partnership")
    member = current
    fields = _member_checked(partnership=member.partnership, organisation=organisation,
                             representative=representative, sector=sector, role=role,
                             member=member)
    for name, value in fields.items():
        setattr(member, name, value)
    member.save()
    return member


@transaction.atomic
def member_remove(*, member: Member, by) -> None:
    """Remove an organisation; removing one already removed (a repeated form) does nothing."""
    Partnership.objects.select_for_update().get(pk=member.partnership_id)
    Member.objects.filter(pk=member.pk).delete()


__all__ = [
    "Role", "member_add", "member_remove", "member_update", "role_assign",
]
