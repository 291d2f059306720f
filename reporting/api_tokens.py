"""API tokens: issuing, revoking and recording the use of the API's read tokens, and reading
them (docs/adr/0022-api-tokens-managed-in-the-service.md).

Only NRU administrators see or manage tokens. A key is `<8-character prefix>.<32-character
secret>`, made and hashed by djangorestframework-api-key; only the hash is stored, so the key is
returned once, by `api_token_create`, and never again.
"""

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from core import clock
from core.errors import ApplicationError
from partnerships.models import NATIONAL_ROLES, Role
from partnerships.selectors import user_has_role

from .models import ApiToken, ApiTokenUse

VALIDITY_DAYS = (30, 90, 180, 365)
"""How long a new token may be valid for: the choices on the page, a year at most."""

KEY_FORM = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}")
NAME_MAX = ApiToken._meta.get_field("name").max_length or 50


class TokenRefused(Exception):
    """Why a key given to the API is refused, written for the person who sent it."""


# --- Reads ------------------------------------------------------------------------------------


def api_tokens_visible_to(user) -> QuerySet[ApiToken]:
    """Every token, newest first, for an NRU administrator; nothing for anyone else."""
    if not user.is_authenticated or not user_has_role(user, Role.NRU_ADMIN):
        return ApiToken.objects.none()
    return (ApiToken.objects.select_related("created_by", "revoked_by")
            .annotate(use_count=Count("uses")).order_by("-created", "prefix"))


def api_token_recent_uses(token: ApiToken, *, limit: int = 20) -> list[ApiTokenUse]:
    return list(token.uses.all()[:limit])


def api_token_for_key(key: str) -> ApiToken:
    """The token a key belongs to, if it may be used now; otherwise TokenRefused saying why."""
    if not KEY_FORM.fullmatch(key):
        raise TokenRefused(
            "The token is malformed: send the key exactly as it was shown when the token was "
            "made, as `Authorization: Token <key>` (tokens made before the service issued its own "
            "are no longer accepted).")
    prefix = key.partition(".")[0]
    token = ApiToken.objects.select_related("created_by").filter(prefix=prefix).first()
    if token is None or not token.is_valid(key):
        raise TokenRefused("The token is not recognised: check the key, or ask an NRU "
                           "administrator for a new token.")
    if token.revoked:
        raise TokenRefused(f"The token “{token.name}” was revoked on "
                           f"{timezone.localtime(token.revoked_at):%-d %B %Y}: ask an NRU "
                           "administrator for a new token.")
    now = clock.now()
    if token.expiry_date <= now:
        raise TokenRefused(f"The token “{token.name}” expired on "
                           f"{timezone.localtime(token.expiry_date):%-d %B %Y at %H:%M}: ask an NRU "
                           "administrator for a new token.")
    creator = token.created_by
    if not creator.is_active or not user_has_role(creator, *NATIONAL_ROLES):
        raise TokenRefused(f"The token “{token.name}” was made by someone who no longer holds an "
                           "NRU role: ask an NRU administrator for a new token.")
    return token


# --- Writes -----------------------------------------------------------------------------------


def api_token_create(*, name: str, valid_days: int, created_by) -> tuple[ApiToken, str]:
    """A new token and its key (shown once: only its hash is kept)."""
    name = name.strip()
    if not name:
        raise ApplicationError("Enter a name for the token")
    if len(name) > NAME_MAX:
        raise ApplicationError(f"The name must be {NAME_MAX} characters or fewer")
    if valid_days not in VALIDITY_DAYS:
        raise ApplicationError("Select how long the token is valid for")
    if not user_has_role(created_by, Role.NRU_ADMIN):
        raise ApplicationError("Only NRU administrators can make API tokens")
    now = clock.now()
    with transaction.atomic():
        return ApiToken.objects.create_key(name=name, created=now, created_by=created_by,
                                           expiry_date=now + timedelta(days=valid_days))


def api_token_revoke(*, prefix: str, revoked_by) -> ApiToken:
    """Revoke a token: from now on requests with it are refused. It cannot be undone."""
    if not user_has_role(revoked_by, Role.NRU_ADMIN):
        raise ApplicationError("Only NRU administrators can revoke API tokens")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
        if token is None:
            raise ApplicationError("There is no such token")
        if token.revoked:
            raise ApplicationError(f"The token “{token.name}” was already revoked")
        token.revoked = True
        token.revoked_at = clock.now()
        token.revoked_by = revoked_by
        token.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    return token


def api_token_use_record(*, token: ApiToken, method: str, path: str) -> ApiTokenUse:
    """Record that a request was answered for a token, and when it was last used."""
    now = clock.now()
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return ApiTokenUse.objects.create(token=token, used_at=now, method=method[:10],
                                          path=path[:300])
