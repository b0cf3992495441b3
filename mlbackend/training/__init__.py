"""Training core (pure PyTorch, no Django): the Celery task calls `train`."""

from mlbackend.training.config import Progress, TrainConfig, TrainingCancelled, lr_at
from mlbackend.training.launch import launch_distributed
from mlbackend.training.loop import TrainResult, train

__all__ = [
    "Progress",
    "TrainConfig",
    "TrainResult",
    "TrainingCancelled",
    "launch_distributed",
    "lr_at",
    "train",
]
