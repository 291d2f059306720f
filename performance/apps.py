from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = "Targets and progress"
