"""The Celery app: queues `cpu` (ingestion, exports) and `gpu` (training, inference).

All settings come from Django settings under the CELERY_ namespace (config/settings/base.py).
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("nervemark")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue has its own direct exchange and routing key, so a task routed to `gpu` is never
# also delivered to `cpu` workers.
app.conf.task_queues = (
    Queue("cpu", Exchange("cpu", type="direct"), routing_key="cpu"),
    Queue("gpu", Exchange("gpu", type="direct"), routing_key="gpu"),
)
# Item assignment, as `conf.<name> = ...` does at runtime: Settings reads these two through
# properties that fall back to task_default_queue.
app.conf["task_default_exchange"] = "cpu"
app.conf["task_default_routing_key"] = "cpu"
app.autodiscover_tasks()
