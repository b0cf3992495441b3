"""torch.distributed for `train` when launched by torchrun (pure; no Django).

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE; then `train` joins the process
group (even of one process): nccl on CUDA with one device per rank (cuda:LOCAL_RANK), gloo on
the CPU. Without them none of this is used and training is the single-process loop.

Rank 0 alone validates, selects, writes files and reports progress; the others wait for its
decision (`sync_state`), so every rank stops after the same epoch.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

T = TypeVar("T")

# Long enough for rank 0's validation and checkpoint writes while the others wait at a
# collective; a rank that dies is noticed sooner by torchrun, which then stops the others.
TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class DistContext:
    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    device: torch.device
    backend: str
    owns_group: bool  # this module initialised the process group (and destroys it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_rank() -> int:
    """This process's rank as torchrun set it (0 when not launched by torchrun)."""
    return int(os.environ.get("RANK", "0"))


def launched() -> bool:
    """Started by torchrun (or a launcher that sets the same variables)."""
    return all(name in os.environ for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))


def device_for(name: str, local_rank: int) -> torch.device:
    """A rank's device for TrainConfig.device: cpu stays cpu; auto, cuda[:N] -> cuda:local_rank."""
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if name != "auto" and not name.startswith("cuda"):
        raise ValueError(f"device must be auto, cpu or cuda[:N], got {name!r}")
    return torch.device("cuda", local_rank)


def init_from_env(device_name: str) -> DistContext:
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    device = device_for(device_name, local_rank)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group(backend, timeout=TIMEOUT)
    return DistContext(rank, world, local_rank, local_world, device, backend, owns)


def cleanup(ctx: DistContext) -> None:
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def session(device_name: str) -> Iterator[DistContext | None]:
    """The process group for one `train` call; None when not launched by torchrun."""
    if not launched():
        yield None
        return
    ctx = init_from_env(device_name)
    try:
        yield ctx
    finally:
        cleanup(ctx)


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def broadcast_object(obj: T, src: int = 0) -> T:
    """Rank `src`'s `obj` on every rank (picklable objects; a no-op without a group)."""
    if not dist.is_initialized():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def all_gather_object(obj: T) -> list[T]:
    if not dist.is_initialized():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def sync_state(state: Any, keep: Sequence[str] = ()) -> None:
    """Overwrite a dataclass instance's fields, in place, with rank 0's (a barrier too);
    the fields named in `keep` stay this rank's own."""
    values = broadcast_object(asdict(state))
    for f in fields(state):
        if f.name not in keep:
            setattr(state, f.name, values[f.name])


def wrap(model: nn.Module, ctx: DistContext) -> nn.Module:
    """DDP around the (already device-placed) model. static_graph: some models have parameters
    that never get a gradient (MONAI UNet++'s deep-supervision heads), the same ones each step."""
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, static_graph=True)


def parameter_digest(model: nn.Module) -> str:
    """sha256 over the parameters' names and bytes: equal on every rank when DDP is in sync."""
    h = hashlib.sha256()
    for name, p in model.named_parameters():
        h.update(name.encode())
        h.update(p.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
