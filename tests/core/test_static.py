"""The committed GOV.UK Frontend assets: complete, local and ready for the manifest storage."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

STATIC = Path(settings.BASE_DIR) / "static"


def test_every_url_in_the_govuk_css_is_a_committed_file_relative_to_it():
    css = (STATIC / "govuk" / "govuk-frontend.min.css").read_text()
    urls = set(re.findall(r"url\(([^)]+)\)", css))

    assert urls, "the CSS should refer to its fonts"
    for url in urls:
        assert url.startswith("assets/"), f"{url} is not relative to the CSS (see update-govuk-frontend.sh)"
        assert finders.find(f"govuk/{url}"), f"govuk/{url} is missing"


def test_no_template_or_stylesheet_loads_anything_from_another_site():
    for path in [*Path(settings.BASE_DIR, "templates").rglob("*.html"), *STATIC.rglob("*.css")]:
        text = path.read_text()
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", text), path
        assert not re.search(r"url\((['\"])?(https?:)?//", text), path


def test_collectstatic_with_the_production_storage_hashes_the_fonts(tmp_path, settings):
    """The manifest storage (production adds compression on top) rewrites the CSS's relative
    URLs to hashed names, and refuses files that point at a missing source map."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    css_name = next(tmp_path.glob("govuk/govuk-frontend.min.*.css")).name
    css = (tmp_path / "govuk" / css_name).read_text()
    assert re.search(r"url\(\"?assets/fonts/bold-b542beb274-v2\.[0-9a-f]{12}\.woff2\"?\)", css)
    assert next(tmp_path.glob("govuk/govuk-frontend.min.*.js"))
