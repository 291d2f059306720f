"""Passwords are stored with Argon2id at OWASP's recommended parameters (ADR 0012), and a hash
made any other way still signs its user in, once, and is then upgraded."""

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
    identify_hasher,
)
from django.urls import reverse

from lsp_portal import settings as project_settings
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("core:sign-in")


@pytest.fixture(autouse=True)
def _project_hashers(settings):
    """The suite signs in with MD5 for speed (tests/conftest.py); here, the real list."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def test_a_new_password_is_argon2id_at_owasp_parameters():
    user = UserFactory()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "x")


@pytest.mark.parametrize("old_hash", [
    lambda: PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt"),
    lambda: Argon2PasswordHasher().encode(PASSWORD, "saltsaltsalt"),
], ids=["pbkdf2", "argon2-django-defaults"])
def test_an_older_hash_signs_in_and_is_upgraded(client, old_hash):
    user = UserFactory()
    user.password = old_hash()
    user.save(update_fields=["password"])

    response = client.post(SIGN_IN, {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert identify_hasher(user.password).algorithm == "argon2"
