"""The bench-only CPU timing header (core.middleware.CpuTimingMiddleware): present with
BENCH_CPU_HEADER, absent without it (the default)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_no_header_by_default(settings):
    assert settings.BENCH_CPU_HEADER is False
    response = Client().get(reverse("core:sign-in"))
    assert response.status_code == 200
    assert "Server-Timing" not in response.headers


def test_header_gives_the_requests_cpu_and_django_milliseconds_under_the_bench_setting(settings):
    settings.BENCH_CPU_HEADER = True
    client = Client()  # a new client loads the middleware with the setting
    for url in (reverse("core:sign-in"), reverse("core:home")):  # a page, and a redirect
        response = client.get(url)
        match = re.fullmatch(r"cpu;dur=(\d+\.\d), app;dur=(\d+\.\d)",
                             response.headers["Server-Timing"])
        assert match, response.headers["Server-Timing"]
        cpu, in_django = float(match[1]), float(match[2])
        assert 0 <= cpu < 60_000
        assert in_django > 0
        assert cpu <= in_django + 1  # one thread's CPU fits in the time it took (both rounded)
