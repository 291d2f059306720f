from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check of the training clock)
        from .models import Provenance
        from .registry import navigation_register, tag_colours_register

        navigation_register("Home", "core:home", order=0)
        # The provenance of a figure.
        tag_colours_register({
            Provenance.PUBLISHED: "green",
            Provenance.DERIVED: "blue",
            Provenance.ILLUSTRATIVE: "yellow",
        })
