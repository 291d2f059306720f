"""Who may see what. Views never build their own scope filters: they call these."""

from django.db.models import Q, QuerySet

from .models import NATIONAL_ROLES, Member, Partnership, Role, RoleAssignment, Sector


def _assignments(user) -> list[RoleAssignment]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_role_assignments_cache", None)
    if cached is None:
        # With their scopes' names, for the home page's list of roles (`role_assignments_of`).
        cached = list(RoleAssignment.objects.filter(user=user).select_related(
            "partnership__local_authority__region", "region"))
        user._role_assignments_cache = cached
    return cached


def user_roles(user) -> set[str]:
    return {a.role for a in _assignments(user)}


def user_has_role(user, *roles: str, partnership=None, region=None) -> bool:
    """True when the user holds one of `roles`, scoped to the partnership / region if given."""
    for a in _assignments(user):
        if a.role not in roles:
            continue
        if a.role in NATIONAL_ROLES:
            return True
        if partnership is not None and a.partnership_id == getattr(partnership, "pk", partnership):
            return True
        if region is not None and a.region_id == getattr(region, "pk", region):
            return True
        if partnership is None and region is None:
            return True
    return False


def is_national(user) -> bool:
    return bool(user_roles(user) & set(NATIONAL_ROLES))


def role_scopes(user, *, partnership_roles=(), region_roles=()) -> tuple[set[int], set[int]]:
    """The ids of the partnerships the user holds one of `partnership_roles` for, and of the
    regions it holds one of `region_roles` for."""
    assignments = _assignments(user)
    return ({a.partnership_id for a in assignments if a.role in partnership_roles and a.partnership_id},
            {a.region_id for a in assignments if a.role in region_roles and a.region_id})


def partnership_scope_q(user, *, prefix: str = "") -> Q:
    """A Q over partnerships (or, with prefix 'partnership__', anything tied to one) that the
    user may see. Nothing for anonymous users or users without roles."""
    if is_national(user):
        return Q()
    partnership_ids = {a.partnership_id for a in _assignments(user) if a.partnership_id}
    region_ids = {a.region_id for a in _assignments(user) if a.region_id}
    q = Q(**{f"{prefix}pk__in": partnership_ids})  # empty set: matches nothing
    if region_ids:
        q |= Q(**{f"{prefix}local_authority__region_id__in": region_ids})
    return q


def partnerships_visible_to(user) -> QuerySet[Partnership]:
    return (
        Partnership.objects.filter(partnership_scope_q(user))
        .select_related("local_authority__region")
        .order_by("name")
    )


def role_assignments_of(user) -> list[RoleAssignment]:
    """The user's own roles with their scopes, in the order of `Role` (officer first)."""
    order = {role: n for n, role in enumerate(Role.values)}
    return sorted(_assignments(user),
                  key=lambda a: (order[a.role], str(a.partnership or a.region or "")))


# The key players an LSP must involve (accreditation requirement "Inclusive of all key players"),
# each met by a member of any of the sectors listed. Faith groups count towards none of them.
KEY_SECTOR_GROUPS = (
    ("public", "public", (Sector.PUBLIC,)),
    ("private", "private or business", (Sector.PRIVATE, Sector.BUSINESS)),
    ("community", "community", (Sector.COMMUNITY,)),
    ("voluntary", "voluntary", (Sector.VOLUNTARY,)),
)


def key_sectors_missing(present: set[str]) -> list[str]:
    """The key sectors (as shown to people, e.g. 'private or business') that none of the
    `present` sectors meets."""
    return [label for _, label, sectors in KEY_SECTOR_GROUPS if not present & set(sectors)]


def members_missing_key_sectors(partnership) -> list[str]:
    """The key sectors with no member in the partnership."""
    return key_sectors_missing(
        set(Member.objects.filter(partnership=partnership).values_list("sector", flat=True)))
