"""`launch_distributed`: `train` on several GPUs, as a torchrun child process (pure; no Django).

The same arguments and result as `train`, plus `nproc`. The child is
`python -m torch.distributed.run --standalone --nproc_per_node N -m mlbackend train ...`
(a free rendezvous port per launch, so several jobs can share a machine). Its rank 0 appends
each `Progress` as one line of JSON to OUT/progress.jsonl; this process tails that file and
calls `on_progress` here, in the caller's process. Raising from `on_progress` (e.g.
TrainingCancelled) stops the child (SIGTERM, then SIGKILL to its process group) and re-raises;
the last epoch's checkpoint is kept, so `resume=True` continues from it. The child's output
goes to OUT/torchrun.log; a failed child raises RuntimeError with the log's tail.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlbackend.training.config import Progress, TrainConfig
from mlbackend.training.loop import ProgressCallback, TrainResult

PROGRESS_FILE = "progress.jsonl"
LOG_FILE = "torchrun.log"
CONFIG_FILE = "launch_config.json"


def torchrun_command(train_args: Sequence[str], nproc: int) -> list[str]:
    """argv for `torchrun --standalone --nproc_per_node nproc -m mlbackend train *train_args`."""
    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, got {nproc!r}")
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "mlbackend",
        "train",
        *train_args,
    ]


def launch_distributed(
    config: TrainConfig,
    data: str | Path,
    out_dir: str | Path,
    nproc: int,
    on_progress: ProgressCallback | None = None,
    *,
    resume: bool = False,
    threads: int | None = None,
    env: Mapping[str, str] | None = None,
    poll_s: float = 0.5,
    stop_timeout_s: float = 30.0,
) -> TrainResult:
    """Run `train(config, data, out_dir, ...)` on `nproc` ranks (one per visible GPU; CPU ranks
    use gloo). `threads`: torch threads per rank; `env`: the child's environment (default:
    this process's, CUDA_VISIBLE_DEVICES included)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG_FILE).write_text(json.dumps(config.to_dict(), indent=2))
    progress = out / PROGRESS_FILE
    progress.unlink(missing_ok=True)  # events of an earlier, interrupted launch
    args = ["--data", str(data), "--out", str(out), "--config", str(out / CONFIG_FILE)]
    args += ["--progress-file", str(progress), "--quiet"]
    args += ["--resume"] if resume else []
    args += ["--threads", str(threads)] if threads else []
    notify = on_progress or (lambda _p: None)
    with (out / LOG_FILE).open("ab") as log:
        child = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            torchrun_command(args, nproc),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group, so that _stop reaches the ranks
        )
    tail = _Tail(progress)
    try:
        while True:
            code = child.poll()
            for event in tail.read():
                notify(event)
            if code is not None:
                break
            time.sleep(poll_s)
    except BaseException:
        _stop(child, stop_timeout_s)
        raise
    if code != 0:
        raise RuntimeError(f"torchrun exited with status {code}: {_log_tail(out / LOG_FILE)}")
    return read_result(out)


def read_result(out_dir: str | Path) -> TrainResult:
    """The TrainResult a finished run left in out_dir (result.json + history.json)."""
    out = Path(out_dir)
    summary = json.loads((out / "result.json").read_text())
    history = json.loads((out / "history.json").read_text())
    return TrainResult(**{**summary, "weights": Path(summary["weights"]), "history": history})


class _Tail:
    """Complete lines appended to a file since the last read, as Progress events."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.partial = path, 0, b""

    def read(self) -> list[Progress]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        self.offset += len(chunk)
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        return [Progress.from_json(line.decode()) for line in lines if line.strip()]


def _stop(child: subprocess.Popen[bytes], timeout_s: float) -> None:
    """SIGTERM to torchrun's process group (torchrun and its ranks), SIGKILL after timeout_s.
    Signalled only while torchrun is unreaped, so its group id cannot name another group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if child.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout_s)


def _log_tail(path: Path, chars: int = 2000) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-chars:].strip() or "(no output)"
