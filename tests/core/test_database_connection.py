"""The service's own PostgreSQL connections (lsp_portal/settings.py, ADR 0027)."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_services_connections_run_without_postgresqls_jit_compiler(require_postgresql):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
