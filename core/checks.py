"""System checks of core's settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def training_clock_refused_in_production(app_configs=None, **kwargs):
    """`check --deploy` refuses a training clock with DEBUG off, unless it is explicitly allowed
    (a training or demonstration deployment that runs like production)."""
    if (getattr(settings, "TRAINING_CLOCK", False) and not settings.DEBUG
            and not getattr(settings, "TRAINING_CLOCK_ALLOWED_IN_PRODUCTION", False)):
        return [Error(
            "TRAINING_CLOCK is on with DEBUG off: the service would run on a stored training "
            "date instead of the real one.",
            hint="Turn TRAINING_CLOCK off, or for a training or demonstration deployment set "
                 "TRAINING_CLOCK_ALLOWED_IN_PRODUCTION=1.",
            id="core.E001",
        )]
    return []
