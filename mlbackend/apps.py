from __future__ import annotations

from django.apps import AppConfig


class MlbackendConfig(AppConfig):
    name = "mlbackend"
    verbose_name = "Models and training"
    default_auto_field = "django.db.models.BigAutoField"
