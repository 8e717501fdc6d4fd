"""Where training runs, and why CUDA is not there when it is asked for."""
from __future__ import annotations

from typing import Optional

import torch

from .errors import CompanionError


def cuda_unavailable_reason() -> Optional[str]:
    """None when CUDA can be used, else torch's reason in words a user can act on."""
    if torch.version.cuda is None:
        return f"this PyTorch ({torch.__version__}) was built without CUDA; install a CUDA build of PyTorch"
    try:
        if torch.cuda.is_available():
            return None
        count = torch.cuda.device_count()
    except Exception as e:  # the driver's own message says what is wrong
        return f"CUDA could not start ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
    if count == 0:
        try:
            torch.cuda.init()
        except Exception as e:
            return f"CUDA could not start ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
        return "no CUDA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)"
    return "CUDA is not available"


def select_device(requested: str) -> torch.device:
    if requested not in ("auto", "cuda", "cpu"):
        raise CompanionError(f"--device must be auto, cuda or cpu, not \"{requested}\".")
    if requested == "cpu":
        return torch.device("cpu")
    reason = cuda_unavailable_reason()
    if reason is None:
        return torch.device("cuda")
    if requested == "cuda":
        raise CompanionError(f"CUDA was requested but is not available: {reason}. Use --device cpu to train on the CPU (slow for real models).", code="no-cuda")
    return torch.device("cpu")


def bf16_autocast_available(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def is_out_of_memory(e: BaseException) -> bool:
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(e, oom_type):
        return True
    if isinstance(e, MemoryError):
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text or "Failed to allocate" in text)
