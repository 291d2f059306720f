"""gunicorn's worker model for the portal, in one place: the Dockerfile, docker-compose.yml, the
README and the load test (bench/load/servers.sh) all start gunicorn with `-c
deploy/gunicorn.conf.py` (docs/adr/0019-gunicorn-worker-model.md says why these values).

Sync workers, five of them (2 x CPUs + 1 on the 2-CPU server, measured). GUNICORN_WORKERS,
GUNICORN_WORKER_CLASS and GUNICORN_THREADS override them for a measurement (the ADR's
comparison of worker models); a change of the decision is a change here. Options given on the
command line (the load test's bind address and timeouts) win over this file.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "5"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# The application is loaded once, in the master, and warmed up there (every view imported, every
# template compiled: lsp_portal/warmup.py) before the workers are forked, so that no worker's
# first requests pay for it. The master holds no connection; post_fork closes any all the same.
preload_app = True


def when_ready(server):
    from lsp_portal.warmup import warm_up

    done = warm_up()
    server.log.info("warmed up before forking: %(templates)d templates in %(milliseconds)d ms", done)


def post_fork(server, worker):
    from django.db import connections

    connections.close_all()
