"""Pure PyTorch models for NerveMark (no Django imports below this package)."""

from datasets.layout import IGNORE_INDEX
from mlbackend.nn.config import ARCHITECTURES, ModelConfig, model_config
from mlbackend.nn.improved_unet import ImprovedUNet
from mlbackend.nn.losses import DiceCELoss, FocalLoss, SoftDiceLoss
from mlbackend.nn.registry import PAD_MULTIPLE, build_model, count_parameters
from mlbackend.nn.serialization import load_model, save_weights

__all__ = [
    "ARCHITECTURES",
    "IGNORE_INDEX",
    "PAD_MULTIPLE",
    "DiceCELoss",
    "FocalLoss",
    "ImprovedUNet",
    "ModelConfig",
    "SoftDiceLoss",
    "build_model",
    "count_parameters",
    "load_model",
    "model_config",
    "save_weights",
]
