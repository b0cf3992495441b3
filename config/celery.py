"""The Celery app: queues `cpu` (ingestion, exports) and `gpu` (training, inference).

All settings come from Django settings under the CELERY_ namespace (config/settings/base.py).
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("nervemark")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("cpu"), Queue("gpu"))
app.autodiscover_tasks()
