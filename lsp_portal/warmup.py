"""Everything a web process would otherwise do on its first requests, done once before it takes
any: every URLconf and view module imported, and every template compiled.

gunicorn loads the application in its master process (`preload_app`, deploy/gunicorn.conf.py)
and calls `warm_up()` there before forking the workers, so each worker starts with the imports
and the compiled templates (Django's cached template loader) already in memory, shared with the
master until written. Without it, a worker's first request of each page paid for compiling that
page's templates and importing its views (up to 350 ms of CPU in the load run, bench/README.md),
and with four workers those first requests were a page's slowest.

Nothing here touches the database, the broker or any other service: the master must not hold a
connection that its forked workers would share (the `post_fork` hook closes any database
connection all the same).
"""

import importlib
import logging
import time
from datetime import date
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import caches
from django.core.validators import validate_email
from django.template import TemplateSyntaxError, engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver
from django.utils import formats, translation
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")
# Imported inside the functions that need them (so that commands and tests that never write a
# letter or a workbook do not pay for them): WeasyPrint for letters, openpyxl for workbooks.
HEAVY_MODULES = ("weasyprint", "openpyxl")


def _template_names(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*")
                  if path.suffix in TEMPLATE_SUFFIXES and path.is_file())


def _celery_imports() -> None:
    """What a process's first task sent would import: every task module (the app finalized) and
    the broker's transport (a connection made and let go, never connected: the sockets are the
    workers' own, opened after the fork). Without it, the first write of each worker that sends
    a task spent about 130 ms of CPU importing (bench/README.md)."""
    from lsp_portal.celery import app

    app.tasks  # noqa: B018 -- finalizes the app: imports every task module
    connection = app.connection_for_write()
    connection.transport  # noqa: B018 -- imports the transport; no I/O until it is used
    connection.release()


# What the models' metadata computes on a process's first query of each model and keeps: the
# relation graph between every model, the field maps and the column lists.
MODEL_METADATA = ("fields_map", "related_objects", "concrete_fields", "local_concrete_fields",
                  "db_returning_fields", "_forward_fields_map", "_property_names",
                  "_non_pk_concrete_field_names", "managers", "base_manager", "default_manager")


# Settings naming what a library imports only when first used.
IMPORTED_ON_FIRST_USE = ("MESSAGE_STORAGE", "SESSION_SERIALIZER", "AXES_HANDLER",
                        "AXES_CLIENT_IP_CALLABLE", "AXES_LOCKOUT_CALLABLE")


def _first_use() -> None:
    """What a process's first requests would otherwise compute once and keep (none of it reads
    the database). Without it a worker's first sign-in cost about 87 ms of CPU against 27 ms
    for the next ones, and the first page of each kind some milliseconds more (bench/README.md):
    - the password hasher's library (argon2-cffi and its C bindings), imported on first use (one
      hash made: about 20 ms, once, in the master);
    - the email address validator's patterns (Django compiles them on first use; the domain
      pattern alone took over 30 ms) that the sign-in form checks every address against;
    - the template engines' context processors, imported on the first page rendered;
    - the site language's translation catalogues and date formats, loaded on the first date
      shown;
    - every model's metadata (above);
    - the cache backends' modules, imported when a cache is first used;
    - what the settings name for a library to import on first use: the message storage, the
      session serializer, and django-axes's handler, client address function and locked-out
      view."""
    make_password("warm-up")
    validate_email("warm-up@example.org")
    for engine in engines.all():
        if isinstance(engine, DjangoTemplates):
            engine.engine.template_context_processors  # noqa: B018
    with translation.override(settings.LANGUAGE_CODE):
        formats.date_format(date(2002, 4, 1))
        formats.date_format(date(2002, 4, 1), "SHORT_DATE_FORMAT")
        formats.number_format(1234567, force_grouping=True)
    for model in apps.get_models(include_auto_created=True):
        model._meta.get_fields()
        for name in MODEL_METADATA:
            getattr(model._meta, name)
    for alias in settings.CACHES:
        importlib.import_module(caches.settings[alias]["BACKEND"].rpartition(".")[0])
    for name in IMPORTED_ON_FIRST_USE:
        if isinstance(getattr(settings, name, None), str):
            import_string(getattr(settings, name))


def warm_up() -> dict[str, int]:
    """Import every view (through the URLconf), the heavy libraries some of them import when
    first used and what sending a first task imports, and compile every template the template
    engines can find; return what was done. A template that does not compile on its own (a
    third party's fragment that needs a context library this project lacks) is left to be
    compiled, or refused, when a page asks for it, as without a warm-up."""
    started = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 -- imports every urls module and, through it, every view
    resolver.reverse_dict  # noqa: B018 -- the reverse lookups every page's links use
    for module in HEAVY_MODULES:
        importlib.import_module(module)
    _celery_imports()
    _first_use()
    compiled = skipped = 0
    for engine in engines.all():
        seen: set[str] = set()
        for directory in engine.template_dirs:
            for name in _template_names(Path(directory)):
                if name in seen:  # the first directory's template wins, as for a page
                    continue
                seen.add(name)
                try:
                    engine.get_template(name)
                except (TemplateSyntaxError, UnicodeDecodeError):
                    skipped += 1
                else:
                    compiled += 1
    done = {"templates": compiled, "skipped": skipped,
            "milliseconds": round((time.perf_counter() - started) * 1000)}
    logger.info("warmed up: %(templates)d templates compiled (%(skipped)d skipped) in "
                "%(milliseconds)d ms", done)
    return done
