"""python -m cmb_companion COMMAND ...

  train           fine-tune a model folder on a prepared data file (JSON-lines progress on stdout)
  logits          print a model's logits for token ids read as JSON lines (parity checks)
  make-synthetic  write a synthetic data file with a learnable task (tests, benchmarks)
  probe           print the Python, torch and numpy versions and CUDA availability as one JSON line

Exit codes: 0 done; 2 bad input or environment (one line on stderr, and for train an "error"
event); 3 out of memory; 130 interrupted by SIGINT/SIGTERM after saving a checkpoint; 1 an
unexpected failure (a bug: the last line names the exception).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from typing import List, Optional

from .errors import CompanionError

EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that refuses bad usage with one line and exit code 2 (the CLI contract)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"cmb_companion {self.prog.split()[-1]}: {message}\n")
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cmb_companion", description="Full fine-tuning companion for Clinical ModernBERT (PyTorch).")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    t = sub.add_parser("train", help="fine-tune a model folder on a prepared data file")
    t.add_argument("--data", required=True, help="data file written by the extension (companion/README.md)")
    t.add_argument("--model", required=True, help="source model folder (config.json, model.safetensors, tokenizer files)")
    t.add_argument("--out", required=True, help="output folder (new or empty; with --resume the interrupted run's)")
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=5e-5)
    t.add_argument("--batch", type=int, default=16, help="windows per micro-batch")
    t.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step")
    t.add_argument("--warmup", type=float, default=0.1, help="warmup: a fraction of all steps (< 1) or a step count")
    t.add_argument("--weight-decay", type=float, default=0.01)
    t.add_argument("--max-grad-norm", type=float, default=1.0)
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    t.add_argument("--layers-trainable", type=int, default=None, help="train only the top K encoder layers (embeddings frozen)")
    t.add_argument("--patience", type=int, default=3, help="epochs without a better dev F1 before stopping")
    t.add_argument("--save-every-steps", type=int, default=0, help="also checkpoint every N optimizer steps")
    t.add_argument("--save-every-minutes", type=float, default=10.0, help="also checkpoint every M minutes (0: never)")
    t.add_argument("--log-every", type=int, default=10, help="a step event every N steps")
    t.add_argument("--eval-batch", type=int, default=0, help="windows per evaluation batch (default: twice --batch)")
    t.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: torch decides)")
    t.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    t.add_argument("--keep-checkpoint", action="store_true", help="keep --out/checkpoint after success")

    lg = sub.add_parser("logits", help="logits for token ids: JSON lines {\"ids\": [...]} in, {\"dims\", \"logits\"} out")
    lg.add_argument("--model", required=True)
    lg.add_argument("--input", default="-", help="file of JSON lines (default: stdin)")
    lg.add_argument("--device", default="cpu", choices=["auto", "cuda", "cpu"])
    lg.add_argument("--hidden", action="store_true", help="also print last_hidden_state")

    sy = sub.add_parser("make-synthetic", help="write a synthetic data file")
    sy.add_argument("--out", required=True)
    sy.add_argument("--task", default="ner", choices=["ner", "classify"])
    sy.add_argument("--vocab", type=int, default=512)
    sy.add_argument("--seed", type=int, default=0)
    sy.add_argument("--train", type=int, default=120, help="documents")
    sy.add_argument("--dev", type=int, default=30)
    sy.add_argument("--test", type=int, default=30)
    sy.add_argument("--min-len", type=int, default=8)
    sy.add_argument("--max-len", type=int, default=32)
    sy.add_argument("--classes", type=int, default=3)

    sub.add_parser("probe", help="versions and CUDA availability as one JSON line")
    return p


def _run_train(ns: argparse.Namespace) -> int:
    from .protocol import Events
    from .train import Interrupted, TrainArgs, train
    events = Events(sys.stdout)
    fields = {k: v for k, v in vars(ns).items() if k != "command"}
    try:
        train(TrainArgs(**fields), events)
        return 0
    except Interrupted:
        events.emit("stopped", reason="interrupted", message=f"Training was interrupted; a checkpoint is saved. Continue with --resume --out {ns.out}.")
        return EXIT_INTERRUPTED
    except CompanionError as e:
        events.emit("error", message=e.message, code=e.code)
        sys.stderr.write(e.message + "\n")
        return e.exit_code
    except Exception as e:  # a bug: the event tells the extension, the traceback on stderr tells us
        traceback.print_exc()
        events.emit("error", message=f"The fine-tuning companion failed unexpectedly ({type(e).__name__}); please report it with the log.", code="internal")
        return 1


def _run_logits(ns: argparse.Namespace) -> int:
    import torch
    from .checkpoint import build_model, open_model_folder
    from .device import select_device
    device = select_device(ns.device)
    folder = open_model_folder(ns.model)
    model, _ = build_model(folder)
    model.to(device).eval()
    src = sys.stdin if ns.input == "-" else open(ns.input, encoding="utf-8", errors="replace")
    with src if src is not sys.stdin else contextlib.nullcontext(), torch.no_grad():
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                ids = json.loads(line)["ids"]
                if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and 0 <= i < model.vocab_rows for i in ids):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                raise CompanionError(f"input line {n}: expected {{\"ids\": [token ids within the vocabulary of {model.vocab_rows}]}}.") from None
            if len(ids) > folder.config.max_position_embeddings:
                raise CompanionError(f"input line {n}: {len(ids)} tokens, more than the model's {folder.config.max_position_embeddings} positions.")
            t = torch.tensor([ids], device=device)
            hidden, logits = model(t, torch.ones_like(t))
            out = {}
            if logits is not None:
                out["dims"] = list(logits.shape[1:])
                out["logits"] = logits[0].float().cpu().tolist()
            if ns.hidden or logits is None:
                out["hidden_dims"] = list(hidden.shape[1:])
                out["last_hidden_state"] = hidden[0].float().cpu().tolist()
            sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0


def _run_probe() -> int:
    import platform
    info = {"python": platform.python_version()}
    try:
        import numpy
        info["numpy"] = numpy.__version__
    except ImportError:
        info["numpy"] = None
    try:
        import torch
        from .device import cuda_unavailable_reason
        info["torch"] = torch.__version__
        reason = cuda_unavailable_reason()
        info["cuda"] = reason is None
        info["cuda_reason"] = reason
    except ImportError:
        info["torch"] = None
    sys.stdout.write(json.dumps(info) + "\n")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    ns = _parser().parse_args(argv)
    if ns.command is None:
        sys.stderr.write("cmb_companion: give a command: train, logits, make-synthetic or probe (--help lists them).\n")
        return 2
    try:
        if ns.command == "train":
            return _run_train(ns)
        if ns.command == "logits":
            return _run_logits(ns)
        if ns.command == "probe":
            return _run_probe()
        from .synthetic import make_synthetic
        make_synthetic(ns.out, ns.task, ns.vocab, ns.seed, ns.train, ns.dev, ns.test, ns.min_len, ns.max_len, ns.classes)
        return 0
    except CompanionError as e:
        sys.stderr.write(e.message + "\n")
        return e.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ModuleNotFoundError as e:
        if e.name in ("torch", "numpy"):
            sys.stderr.write(f"{e.name} is not installed for this Python ({sys.executable}); install PyTorch >= 1.13 and numpy (pip install torch numpy, or apt install python3-torch python3-numpy).\n")
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
