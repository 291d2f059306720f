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
from pathlib import Path

from django.template import TemplateSyntaxError, engines
from django.urls import get_resolver

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
