from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    """Reference and demo data: the loaders behind `load_reference_data` and `load_demo`. It sits
    above every other app and has no models of its own."""

    name = "reference"
    verbose_name = "Reference and demo data"
