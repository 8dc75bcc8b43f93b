from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mendian.core"
    label = "core"
    verbose_name = "Mendian core"
