from __future__ import annotations

from django.apps import AppConfig


class MlbackendConfig(AppConfig):
    name = "mlbackend"
    verbose_name = "Models and training"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from datasets.signals import frames_extracted

        frames_extracted.connect(_preannotate_new_frames, dispatch_uid="mlbackend.preannotate")


def _preannotate_new_frames(sender: object, *, video_id: int, **kwargs: object) -> None:
    """New frames while the project has an active model: its pre-annotation drafts them."""
    from mlbackend.services.preannotation import preannotate_new_frames

    preannotate_new_frames(video_id=video_id)
