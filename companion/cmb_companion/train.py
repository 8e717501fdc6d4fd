"""Full fine-tuning: AdamW with warmup and linear decay, gradient accumulation and clipping, bf16
autocast on CUDA (fp32 on CPU), length-grouped dynamic padding, seeded everything, evaluation on
the dev split each epoch with early stopping, checkpoints that make `--resume` continue exactly
where a crash, a kill -9 or a cancel left off, and an exported Hugging Face folder at the end.

Resume is exact because nothing that decides the next step lives outside the checkpoint: the
data order of an epoch is a pure function of (seed, epoch), the position in it is the optimizer
step count, and the checkpoint holds the weights, AdamW's moments, the step and the RNG state
as it was at the start of that step (dropout draws come from it). On the CPU an interrupted and
resumed run gives bit-for-bit the figures of an uninterrupted one (a test checks it).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import __version__
from .checkpoint import build_model, open_model_folder
from .data import IGNORE, Split, TrainingData, check_against_model, collate, length_grouped_batches, read_training_data, sorted_batches
from .device import bf16_autocast_available, is_out_of_memory, select_device
from .errors import CompanionError, OutOfMemory
from .export import encoder_fingerprint, export_folder
from .metrics import classification_metrics, entity_metrics
from .models import EncoderWithHead
from .protocol import Events

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.pt"
BEST_FILE = "best.safetensors"
STATE_VERSION = 1


@dataclass
class TrainArgs:
    data: str
    model: str
    out: str
    epochs: int = 3
    lr: float = 5e-5
    batch: int = 16
    grad_accum: int = 1
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    seed: int = 42
    device: str = "auto"
    layers_trainable: Optional[int] = None
    patience: int = 3
    save_every_steps: int = 0
    save_every_minutes: float = 10.0
    log_every: int = 10
    eval_batch: int = 0
    resume: bool = False
    keep_checkpoint: bool = False
    threads: int = 0

    # settings that decide the result: a resumed run must use the same ones
    DETERMINING = ("epochs", "lr", "batch", "grad_accum", "warmup", "weight_decay", "max_grad_norm", "seed", "layers_trainable", "patience")


class Interrupted(Exception):
    pass


@dataclass
class Progress:
    """Everything besides tensors that the checkpoint carries."""
    step: int = 0
    history: List[Dict[str, Any]] = field(default_factory=list)  # one entry per finished epoch
    best_f1: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped_early: bool = False
    finished: bool = False
    epoch_loss_sum: float = 0.0
    epoch_loss_steps: int = 0


def _check_args(a: TrainArgs) -> None:
    positive = {"epochs": a.epochs, "batch": a.batch, "grad_accum": a.grad_accum, "patience": a.patience, "log_every": a.log_every}
    for k, v in positive.items():
        if v < 1:
            raise CompanionError(f"--{k.replace('_', '-')} must be at least 1 (got {v}).")
    if not (a.lr > 0 and math.isfinite(a.lr)):
        raise CompanionError(f"--lr must be a positive number (got {a.lr}).")
    if not (0 <= a.warmup):
        raise CompanionError(f"--warmup must be a fraction of the steps (0 to 1) or a step count (got {a.warmup}).")
    if a.layers_trainable is not None and a.layers_trainable < 0:
        raise CompanionError(f"--layers-trainable must be 0 or more (got {a.layers_trainable}).")
    if a.max_grad_norm <= 0 or a.weight_decay < 0 or a.save_every_steps < 0 or a.save_every_minutes < 0:
        raise CompanionError("--max-grad-norm must be positive; --weight-decay, --save-every-steps and --save-every-minutes must not be negative.")


def _starts_empty(out: str, ckpt_dir: str) -> bool:
    """An empty folder, or one a run left before its first checkpoint landed (only temporary files)."""
    entries = os.listdir(out)
    if not entries:
        return True
    return entries == [CHECKPOINT_DIR] and all(f.endswith(".partial") for f in os.listdir(ckpt_dir))


def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _lr_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """transformers' get_linear_schedule_with_warmup, evaluated at the step about to be taken."""
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def _freeze(model: EncoderWithHead, k: Optional[int]) -> None:
    """--layers-trainable K: embeddings and all but the top K layers stay as they are."""
    if k is None:
        return
    for p in model.embeddings_module().parameters():
        p.requires_grad_(False)
    layers = model.encoder_layers()
    for layer in layers[: max(0, len(layers) - k)]:
        for p in layer.parameters():
            p.requires_grad_(False)


def _optimizer(model: EncoderWithHead, a: TrainArgs) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # as transformers' Trainer: no weight decay on biases and norm weights
        (no_decay if n.endswith("bias") or "norm" in n.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=a.lr, betas=(0.9, 0.999), eps=1e-8)


def _rng_state(device: torch.device) -> Dict[str, Any]:
    return {"torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else []}


def _set_rng_state(state: Dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and state.get("cuda"):
        torch.cuda.set_rng_state_all(state["cuda"])


def _save_state(path: str, model: EncoderWithHead, opt: torch.optim.Optimizer, progress: Progress, rng: Dict[str, Any], args_json: str) -> None:
    tmp = f"{path}.{os.getpid()}.partial"
    state = {
        "version": STATE_VERSION,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        # torch 1.13's safe loader reads no floats: hyperparameters travel as JSON text
        "optimizer_state": opt.state_dict()["state"],
        "optimizer_groups": json.dumps(opt.state_dict()["param_groups"]),
        "rng": rng,
        "progress": json.dumps(asdict(progress)),
        "args": args_json,
    }
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _load_state(path: str) -> Dict[str, Any]:
    try:
        # weights_only: the checkpoint holds tensors and strings only, so no pickled code can run
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch < 1.13 has no weights_only; the companion requires 1.13, but say so clearly
        raise CompanionError("This PyTorch cannot load checkpoints safely (torch >= 1.13 is needed).", code="no-torch") from None
    except Exception as e:
        raise CompanionError(f"The checkpoint {path} cannot be read ({type(e).__name__}); it may be damaged. Start again without --resume into a new --out folder.", code="bad-checkpoint") from None


class _Evaluator:
    def __init__(self, data: TrainingData, device: torch.device, pad_id: int, batch: int, autocast: bool):
        self.data = data
        self.device = device
        self.pad_id = pad_id
        self.batch = batch
        self.autocast = autocast

    @torch.no_grad()
    def outputs(self, model: EncoderWithHead, split: Split) -> List[np.ndarray]:
        """float32 logits per window ([len, labels] for ner, [labels] for classify), in window order."""
        was_training = model.training
        model.eval()
        out: List[Optional[np.ndarray]] = [None] * len(split.windows)
        try:
            for idx in sorted_batches(split.lengths, self.batch):
                ids, mask, _ = collate(split, idx, self.pad_id, self.data.task, self.device)
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast) if self.device.type == "cuda" else _null():
                    _, logits = model(ids, mask)
                logits = logits.float().cpu().numpy()
                for r, i in enumerate(idx):
                    out[i] = logits[r, : len(split.windows[i])] if self.data.task == "ner" else logits[r]
        finally:
            model.train(was_training)
        return out  # type: ignore[return-value]

    def metrics(self, model: EncoderWithHead, split: Split) -> Dict[str, Any]:
        logits = self.outputs(model, split)
        labels = self.data.labels
        if self.data.task == "ner":
            true_docs: Dict[int, List[str]] = {}
            pred_docs: Dict[int, List[str]] = {}
            for i, lg in enumerate(logits):
                d = int(split.doc_index[i])
                keep = (split.labels[i] != IGNORE) & split.eval_mask[i]
                pred = lg.argmax(axis=-1)
                true_docs.setdefault(d, []).extend(labels[int(t)] for t in split.labels[i][keep])
                pred_docs.setdefault(d, []).extend(labels[int(p)] for p in pred[keep])
            docs = sorted(true_docs)
            m = entity_metrics([true_docs[d] for d in docs], [pred_docs[d] for d in docs])
            m["f1"] = m["micro"]["f1"]
            m["documents"] = len(docs)
            return m
        # classification: each window's softmax, weighted per document as the engine's classify.ts does
        docs = split.documents
        probs = np.zeros((docs, len(labels)), dtype=np.float64)
        weights = np.zeros(docs, dtype=np.float64)
        counts = np.zeros(docs, dtype=np.float64)
        truth = np.zeros(docs, dtype=np.int64)
        for i, lg in enumerate(logits):
            d = int(split.doc_index[i])
            e = np.exp(lg.astype(np.float64) - lg.max())
            p = e / e.sum()
            probs[d] += p * split.window_weight[i]
            weights[d] += split.window_weight[i]
            counts[d] += 1
            truth[d] = int(split.labels[i][0])
        for d in range(docs):
            if weights[d] > 0:
                probs[d] /= weights[d]
            else:  # a document whose windows all weigh 0: every window counts the same
                probs[d] = sum(_softmax(logits[i]) for i in np.nonzero(split.doc_index == d)[0]) / counts[d]
        pred = probs.argmax(axis=1)
        m = classification_metrics(labels, truth.tolist(), pred.tolist(), probs.tolist())
        m["f1"] = m["macro_f1"]
        m["documents"] = docs
        return m


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x.astype(np.float64) - x.max())
    return e / e.sum()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _summary(m: Dict[str, Any], task: str) -> Dict[str, Any]:
    if task == "ner":
        return {"f1": m["micro"]["f1"], "precision": m["micro"]["precision"], "recall": m["micro"]["recall"], "macro_f1": m["macro"]["f1"], "token_accuracy": m["token_accuracy"]}
    return {"f1": m["macro_f1"], "accuracy": m["accuracy"], "auroc": m["auroc"]}


def train(a: TrainArgs, events: Events) -> Dict[str, Any]:
    """Runs (or resumes) a fine-tune; returns the done event's fields. Raises CompanionError,
    OutOfMemory or Interrupted (after saving a checkpoint)."""
    t_start = time.time()
    _check_args(a)
    ckpt_dir = os.path.join(a.out, CHECKPOINT_DIR)
    state_path = os.path.join(ckpt_dir, STATE_FILE)
    best_path = os.path.join(ckpt_dir, BEST_FILE)
    if a.resume:
        if not os.path.isfile(state_path):
            raise CompanionError(f"There is nothing to resume in {a.out} (no {CHECKPOINT_DIR}/{STATE_FILE}); start without --resume.")
    elif os.path.isdir(a.out) and not _starts_empty(a.out, ckpt_dir):
        hint = " It holds an unfinished run: add --resume to continue it." if os.path.isfile(state_path) else ""
        raise CompanionError(f"The output folder {a.out} is not empty; choose a new --out folder.{hint}")
    if a.threads:
        torch.set_num_threads(a.threads)
    device = select_device(a.device)
    autocast = bf16_autocast_available(device)
    data = read_training_data(a.data)
    folder = open_model_folder(a.model)
    head = "token" if data.task == "ner" else "sequence"
    _seed_everything(a.seed)
    model, fresh = build_model(folder, head=head, labels=data.labels, seed=a.seed)
    check_against_model(data, model.vocab_rows, folder.config.max_position_embeddings)
    pad_id = data.pad_token_id if data.pad_token_id is not None else folder.config.pad_token_id
    fingerprint = encoder_fingerprint(folder)
    data_sha = _file_sha256(a.data)
    for w in data.warnings:
        events.emit("info", message=f"Note: {w}.")
    if data.metadata.get("model_fingerprint") and data.metadata["model_fingerprint"] != fingerprint:
        events.emit("info", message="Note: the data file was prepared for a different model folder (fingerprint differs); token ids may not match this tokenizer.")
    _freeze(model, a.layers_trainable)
    model.to(device)
    model.train()
    opt = _optimizer(model, a)
    args_record = {k: v for k, v in asdict(a).items()}
    determining = {k: args_record[k] for k in TrainArgs.DETERMINING}
    determining.update({"data_sha256": data_sha, "model_fingerprint": fingerprint, "task": data.task})
    args_json = json.dumps(determining, sort_keys=True)

    train_split = data.splits["train"]
    n_batches = math.ceil(len(train_split.windows) / a.batch)
    steps_per_epoch = math.ceil(n_batches / a.grad_accum)
    total_steps = steps_per_epoch * a.epochs
    warmup_steps = int(a.warmup) if a.warmup >= 1 else int(math.ceil(a.warmup * total_steps))
    progress = Progress()
    if a.resume:
        state = _load_state(state_path)
        if state.get("version") != STATE_VERSION:
            raise CompanionError(f"The checkpoint in {a.out} was written by another version of the companion; start again into a new --out folder.", code="bad-checkpoint")
        saved = json.loads(state["args"])
        diffs = [k for k in sorted(set(saved) | set(determining)) if saved.get(k) != determining.get(k)]
        if diffs:
            k = diffs[0]
            what = {"data_sha256": "the data file", "model_fingerprint": "the model folder", "task": "the task"}.get(k)
            raise CompanionError(f"--resume needs the settings of the interrupted run, but {what or '--' + k.replace('_', '-')} differs ({'changed' if what else f'{saved.get(k)} then, {determining.get(k)} now'}); rerun with the same settings or start a new --out folder.")
        model.load_state_dict({k: v.to(device) for k, v in state["model"].items()})
        opt.load_state_dict({"state": state["optimizer_state"], "param_groups": json.loads(state["optimizer_groups"])})
        progress = Progress(**json.loads(state["progress"]))
        _set_rng_state(state["rng"], device)
        events.emit("info", message=f"Resuming at step {progress.step} of {total_steps} (epoch {len(progress.history) + 1 if not progress.finished else len(progress.history)}).", step=progress.step)
    else:
        os.makedirs(ckpt_dir, exist_ok=True)

    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    sizes = {name: {"windows": len(s.windows), "documents": s.documents, "tokens": s.tokens} for name, s in data.splits.items()}
    events.emit("info", message=f"Fine-tuning {folder.config.model_type} ({params / 1e6:.1f}M parameters, {trainable / 1e6:.1f}M trainable) for {data.task} on {device.type}" + (" with bf16 autocast" if autocast else " in float32") + ".",
                device=str(device), precision="bf16-autocast" if autocast else "fp32", parameters=params, trainable=trainable, splits=sizes,
                total_steps=total_steps, steps_per_epoch=steps_per_epoch, new_head_tensors=fresh, torch=torch.__version__)
    evaluator = _Evaluator(data, device, pad_id, a.eval_batch or a.batch * 2, autocast)
    trainable_params = [p for p in model.parameters() if p.requires_grad]

    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def save(rng: Dict[str, Any]) -> None:
        _save_state(state_path, model, opt, progress, rng, args_json)
        events.emit("checkpoint", step=progress.step, epochs_done=len(progress.history), path=state_path)

    last_save = time.time()
    try:
        step_times: List[float] = []
        log_loss, log_steps, log_tokens, log_t0 = 0.0, 0, 0, time.time()
        while not progress.finished:
            epoch = len(progress.history)  # 0-based epoch being run
            epoch_end = (epoch + 1) * steps_per_epoch
            batches = length_grouped_batches(train_split.lengths, a.batch, np.random.default_rng([a.seed, epoch]))
            while progress.step < epoch_end:
                rng_at_step = _rng_state(device)
                k = progress.step - epoch * steps_per_epoch
                group = batches[k * a.grad_accum:(k + 1) * a.grad_accum]
                t0 = time.time()
                opt.zero_grad(set_to_none=True)
                denom = sum(int((train_split.labels[i] != IGNORE).sum()) for b in group for i in b) if data.task == "ner" else sum(len(b) for b in group)
                loss_total, tokens = 0.0, 0
                interrupted = False
                for b in group:
                    if stop["signal"] is not None:
                        interrupted = True
                        break
                    ids, mask, labels = collate(train_split, b, pad_id, data.task, device)
                    try:
                        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast) if device.type == "cuda" else _null():
                            _, logits = model(ids, mask)
                        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE, reduction="sum") / max(1, denom)
                        loss.backward()
                    except Exception as e:
                        if is_out_of_memory(e):
                            raise OutOfMemory(f"Out of memory on {device.type} with batches of {a.batch} windows of up to {int(mask.shape[1])} tokens; lower --batch (e.g. {max(1, a.batch // 2)}) and raise --grad-accum to keep the effective batch, or prepare shorter windows.") from None
                        raise
                    loss_total += float(loss)
                    tokens += int(mask.sum())
                if interrupted:
                    # the step is not taken: the checkpoint is the state before it, RNG included
                    opt.zero_grad(set_to_none=True)
                    save(rng_at_step)
                    raise Interrupted()
                if a.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_(trainable_params, a.max_grad_norm)
                lr = a.lr * _lr_factor(progress.step, warmup_steps, total_steps)
                for g in opt.param_groups:
                    g["lr"] = lr
                opt.step()
                progress.step += 1
                progress.epoch_loss_sum += loss_total
                progress.epoch_loss_steps += 1
                step_times.append(time.time() - t0)
                log_loss += loss_total
                log_steps += 1
                log_tokens += tokens
                if progress.step % a.log_every == 0 or progress.step == epoch_end or progress.step == 1:
                    elapsed = max(1e-9, time.time() - log_t0)
                    recent = step_times[-50:]
                    events.emit("step", step=progress.step, epoch=epoch + 1, loss=log_loss / log_steps, lr=lr,
                                tokens_per_s=log_tokens / elapsed, eta_s=(total_steps - progress.step) * (sum(recent) / len(recent)),
                                total_steps=total_steps)
                    log_loss, log_steps, log_tokens, log_t0 = 0.0, 0, 0, time.time()
                due_steps = a.save_every_steps and progress.step % a.save_every_steps == 0
                due_time = a.save_every_minutes and time.time() - last_save >= a.save_every_minutes * 60
                if (due_steps or due_time) and progress.step < epoch_end:
                    save(_rng_state(device))
                    last_save = time.time()
                if stop["signal"] is not None:
                    save(_rng_state(device))
                    raise Interrupted()
            # the epoch's steps are done: evaluate on dev, remember the best weights, maybe stop
            entry: Dict[str, Any] = {"epoch": epoch + 1, "step": progress.step,
                                     "train_loss": progress.epoch_loss_sum / max(1, progress.epoch_loss_steps)}
            if "dev" in data.splits:
                try:
                    m = evaluator.metrics(model, data.splits["dev"])
                except Exception as e:
                    if is_out_of_memory(e):
                        raise OutOfMemory(f"Out of memory on {device.type} while evaluating batches of {evaluator.batch} windows; lower --eval-batch.") from None
                    raise
                entry["dev"] = _summary(m, data.task)
                improved = m["f1"] > progress.best_f1
                if improved:
                    progress.best_f1, progress.best_epoch, progress.bad_epochs = m["f1"], epoch + 1, 0
                    write_safetensors_best(best_path, model)
                else:
                    progress.bad_epochs += 1
                events.emit("eval", split="dev", epoch=epoch + 1, step=progress.step, f1=m["f1"], best=improved, metrics=m)
                if progress.bad_epochs >= a.patience and epoch + 1 < a.epochs:
                    progress.stopped_early = True
            progress.history.append(entry)
            progress.epoch_loss_sum, progress.epoch_loss_steps = 0.0, 0
            progress.finished = progress.stopped_early or len(progress.history) >= a.epochs
            save(_rng_state(device))
            last_save = time.time()
            if stop["signal"] is not None and not progress.finished:
                raise Interrupted()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)

    # the result: the best dev epoch's weights (the last epoch's without a dev split)
    if "dev" in data.splits and os.path.isfile(best_path):
        from .safetensors_io import read_safetensors
        best = read_safetensors(best_path)
        model.load_state_dict({n: best.tensor(n).to(device) for n in best.names()})
    figures: Dict[str, Any] = {}
    for name in ("dev", "test"):
        if name in data.splits:
            figures[name] = evaluator.metrics(model, data.splits[name])
            events.emit("eval", split=name, epoch=progress.best_epoch or len(progress.history), step=progress.step, f1=figures[name]["f1"], best=True, metrics=figures[name], final=True)
    extra = {"version": __version__, "task": data.task, "source_model": os.path.abspath(a.model), "source_fingerprint": fingerprint,
             "data_sha256": data_sha, "dataset_fingerprint": data.metadata.get("dataset_fingerprint")}
    metrics = {
        "task": data.task, "labels": data.labels, "best_epoch": progress.best_epoch or len(progress.history),
        "epochs_run": len(progress.history), "stopped_early": progress.stopped_early, "steps": progress.step,
        **figures, "history": progress.history, "splits": sizes, "seed": a.seed, "device": str(device),
        "precision": "bf16-autocast" if autocast else "fp32", "torch_version": torch.__version__, **{"source": extra},
    }
    training_args = {**args_record, "total_steps": total_steps, "warmup_steps": warmup_steps, "steps_per_epoch": steps_per_epoch,
                     "pad_token_id": pad_id, "companion_version": __version__}
    export_folder(a.out, folder, model, data.labels, metrics, training_args, extra)
    if not a.keep_checkpoint:
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    done = {"out": os.path.abspath(a.out), "best_epoch": metrics["best_epoch"], "epochs_run": metrics["epochs_run"],
            "stopped_early": progress.stopped_early, "steps": progress.step, "seconds": time.time() - t_start,
            "metrics": {k: _summary(v, data.task) for k, v in figures.items()}}
    events.emit("done", **done)
    return done


def write_safetensors_best(path: str, model: EncoderWithHead) -> None:
    from .safetensors_io import write_safetensors
    write_safetensors(path, {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()})
