from __future__ import annotations

from django.apps import AppConfig


class VersionsConfig(AppConfig):
    """Splits, leakage checks, frozen dataset versions, exports and imports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "datasets.versions"
    label = "versions"
    verbose_name = "Dataset versions"
