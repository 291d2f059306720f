import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lsp_portal.settings")

app = Celery("lsp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _clock_read_afresh(**kwargs):
    """Each task reads the stored training date afresh (core/clock.py), as each request does."""
    from core import clock

    clock.forget()
