from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerships"

    def ready(self):
        from core.registry import home_panel_register

        from .panels import roles_panel

        home_panel_register("partnerships.roles", template="partnerships/includes/home_roles.html",
                            context=roles_panel, order=100)
