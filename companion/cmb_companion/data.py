"""The training data file the extension writes (format "cmb-finetune-data", version 1).

A safetensors file: the extension has already tokenized, windowed and aligned the labels, so
this module only validates and batches tensors. Layout (companion/README.md is the reference):

    __metadata__  format "cmb-finetune-data", version "1", task "ner" | "classify",
                  id2label (a JSON array of label names; index = label id), and optionally
                  pad_token_id, max_tokens, model_fingerprint, dataset_fingerprint (strings)
    SPLIT.input_ids     I32 [tokens]   every window's token ids, concatenated
    SPLIT.lengths       I32 [windows]  tokens per window (they sum to len(input_ids))
    SPLIT.labels        I32 [tokens] for ner (-100: not scored), [windows] for classify
    SPLIT.doc_index     I32 [windows]  optional: the document of each window (0-based,
                                       non-decreasing); default one document per window
    SPLIT.eval_mask     U8  [tokens]   optional, ner: 1 where this window's prediction for the
                                       token is the one evaluated (overlapping windows); default 1
    SPLIT.window_weight F32 [windows]  optional, classify: the window's weight in its document's
                                       probabilities; default 1

SPLIT is train (required), dev and test (optional).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
import torch

from .errors import CompanionError
from .safetensors_io import SafetensorsFile, read_safetensors

FORMAT = "cmb-finetune-data"
VERSION = "1"
SPLITS = ("train", "dev", "test")
IGNORE = -100
_FIELDS = {"input_ids": "I32", "lengths": "I32", "labels": "I32", "doc_index": "I32", "eval_mask": "U8", "window_weight": "F32"}


@dataclass
class Split:
    name: str
    windows: List[np.ndarray]  # int64 ids per window
    labels: List[np.ndarray]  # ner: int64 per token; classify: one-element arrays
    doc_index: np.ndarray  # int64 [windows]
    eval_mask: List[np.ndarray]  # ner: bool per token
    window_weight: np.ndarray  # float64 [windows]

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(w) for w in self.windows], dtype=np.int64)

    @property
    def documents(self) -> int:
        return int(self.doc_index.max()) + 1 if len(self.doc_index) else 0

    @property
    def tokens(self) -> int:
        return int(sum(len(w) for w in self.windows))


@dataclass
class TrainingData:
    path: str
    task: str  # "ner" | "classify"
    labels: List[str]
    splits: Dict[str, Split]
    metadata: Dict[str, str] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)

    @property
    def pad_token_id(self) -> Optional[int]:
        v = self.metadata.get("pad_token_id")
        return int(v) if v is not None else None


def _bad(path: str, message: str) -> CompanionError:
    return CompanionError(f"The training data file {path}: {message}", code="bad-data")


def _int_meta(path: str, meta: Dict[str, str], key: str) -> Optional[int]:
    v = meta.get(key)
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        raise _bad(path, f"metadata \"{key}\" is \"{v}\", not a whole number.") from None


def check_iob2_labels(labels: List[str]) -> None:
    for l in labels:
        if l != "O" and not (len(l) > 2 and l[:2] in ("B-", "I-")):
            raise CompanionError(f"The label \"{l}\" is not an IOB2 tag (O, B-TYPE or I-TYPE); entity training needs IOB2 labels.", code="bad-data")


def read_training_data(path: str) -> TrainingData:
    st = read_safetensors(path)
    meta = st.metadata
    if meta.get("format") != FORMAT:
        raise _bad(path, f"it is not a companion data file (metadata \"format\" is {json.dumps(meta.get('format'))}, expected \"{FORMAT}\").")
    if meta.get("version") != VERSION:
        raise _bad(path, f"format version {json.dumps(meta.get('version'))} is not supported (this companion reads version {VERSION}); update the companion or the extension so they match.")
    task = meta.get("task")
    if task not in ("ner", "classify"):
        raise _bad(path, f"metadata \"task\" is {json.dumps(task)}; it must be \"ner\" or \"classify\".")
    try:
        labels = json.loads(meta.get("id2label", ""))
    except ValueError:
        labels = None
    if not isinstance(labels, list) or not all(isinstance(l, str) and l for l in labels):
        raise _bad(path, "metadata \"id2label\" must be a JSON array of label names.")
    if len(set(labels)) != len(labels):
        raise _bad(path, "metadata \"id2label\" names a label twice.")
    if task == "classify" and len(labels) < 2:
        raise _bad(path, f"classification needs at least 2 labels; id2label has {len(labels)}.")
    if task == "ner":
        if not labels:
            raise _bad(path, "id2label is empty: there are no entity labels to learn.")
        check_iob2_labels(labels)
    max_tokens = _int_meta(path, meta, "max_tokens")
    _int_meta(path, meta, "pad_token_id")
    for name in st.names():
        split, _, fld = name.partition(".")
        if split not in SPLITS or fld not in _FIELDS:
            raise _bad(path, f"unexpected tensor \"{name}\" (expected SPLIT.FIELD with SPLIT train, dev or test and FIELD one of {', '.join(_FIELDS)}).")
        if st.dtype(name) != _FIELDS[fld]:
            raise _bad(path, f"{name} is {st.dtype(name)}; it must be {_FIELDS[fld]}.")
        if len(st.shape(name)) != 1:
            raise _bad(path, f"{name} has shape {list(st.shape(name))}; it must be one-dimensional.")
    splits: Dict[str, Split] = {}
    for split in SPLITS:
        present = [f for f in _FIELDS if f"{split}.{f}" in st.entries]
        if not present:
            continue
        splits[split] = _read_split(path, st, split, task, len(labels), max_tokens)
    if "train" not in splits:
        raise _bad(path, "it has no train split (train.input_ids, train.lengths, train.labels).")
    data = TrainingData(path, task, labels, splits, dict(meta))
    _label_warnings(data)
    return data


def _read_split(path: str, st: SafetensorsFile, split: str, task: str, n_labels: int, max_tokens: Optional[int]) -> Split:
    def get(fld: str, required: bool = True):
        name = f"{split}.{fld}"
        if name not in st.entries:
            if required:
                raise _bad(path, f"the {split} split has no {name}.")
            return None
        return st.numpy(name).astype(np.float64 if fld == "window_weight" else np.int64)

    ids, lengths, labels = get("input_ids"), get("lengths"), get("labels")
    w = len(lengths)
    if w == 0:
        raise _bad(path, f"the {split} split is empty (no windows).")
    if (lengths <= 0).any():
        i = int(np.argmax(lengths <= 0))
        raise _bad(path, f"window {i} of the {split} split has length {int(lengths[i])}; every window needs at least one token.")
    if int(lengths.sum()) != len(ids):
        raise _bad(path, f"{split}.lengths sum to {int(lengths.sum())} but {split}.input_ids has {len(ids)} tokens.")
    if max_tokens is not None and int(lengths.max()) > max_tokens:
        raise _bad(path, f"a window of the {split} split has {int(lengths.max())} tokens, more than max_tokens {max_tokens}.")
    if (ids < 0).any():
        raise _bad(path, f"{split}.input_ids has a negative token id.")
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    windows = [ids[bounds[i]:bounds[i + 1]] for i in range(w)]
    if task == "ner":
        if len(labels) != len(ids):
            raise _bad(path, f"{split}.labels has {len(labels)} entries but {split}.input_ids has {len(ids)} tokens; entity labels are one per token.")
        bad = (labels != IGNORE) & ((labels < 0) | (labels >= n_labels))
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(path, f"{split}.labels has label id {int(labels[i])} at token {i}, but id2label has {n_labels} labels (0..{n_labels - 1}, or -100 for tokens not scored).")
        per_window = [labels[bounds[i]:bounds[i + 1]] for i in range(w)]
        if split == "train" and not (labels != IGNORE).any():
            raise _bad(path, "the train split has no labelled token (every label is -100).")
    else:
        if len(labels) != w:
            raise _bad(path, f"{split}.labels has {len(labels)} entries but the split has {w} windows; document labels are one per window.")
        bad = (labels < 0) | (labels >= n_labels)
        if bad.any():
            i = int(np.argmax(bad))
            raise _bad(path, f"{split}.labels has label id {int(labels[i])} for window {i}, but id2label has {n_labels} labels (0..{n_labels - 1}).")
        per_window = [labels[i:i + 1] for i in range(w)]
    doc = get("doc_index", False)
    if doc is None:
        doc = np.arange(w, dtype=np.int64)
    elif len(doc) != w:
        raise _bad(path, f"{split}.doc_index has {len(doc)} entries for {w} windows.")
    elif doc[0] != 0 or (np.diff(doc) < 0).any() or (np.diff(doc) > 1).any():
        raise _bad(path, f"{split}.doc_index must start at 0 and never decrease or skip a number (the windows of a document are consecutive).")
    if task == "classify":
        for d in np.unique(doc):
            if len(np.unique(labels[doc == d])) > 1:
                raise _bad(path, f"the windows of document {int(d)} in the {split} split have different labels.")
    mask = get("eval_mask", False)
    if mask is None:
        masks = [np.ones(len(x), dtype=bool) for x in windows]
    else:
        if task != "ner":
            raise _bad(path, f"{split}.eval_mask is for entity data; classification uses {split}.window_weight.")
        if len(mask) != len(ids):
            raise _bad(path, f"{split}.eval_mask has {len(mask)} entries but {split}.input_ids has {len(ids)} tokens.")
        masks = [mask[bounds[i]:bounds[i + 1]].astype(bool) for i in range(w)]
    weight = get("window_weight", False)
    if weight is None:
        weight = np.ones(w, dtype=np.float64)
    else:
        if task != "classify":
            raise _bad(path, f"{split}.window_weight is for classification data; entity data uses {split}.eval_mask.")
        if len(weight) != w or not np.isfinite(weight).all() or (weight < 0).any():
            raise _bad(path, f"{split}.window_weight must hold one finite, non-negative weight per window.")
    return Split(split, windows, per_window, doc, masks, weight)


def _label_warnings(data: TrainingData) -> None:
    train = np.concatenate(data.splits["train"].labels)
    seen = set(int(x) for x in np.unique(train) if x != IGNORE)
    unseen = [data.labels[i] for i in range(len(data.labels)) if i not in seen]
    if unseen:
        data.warnings.append(f"labels never seen in the train split (the model cannot learn them): {', '.join(unseen)}")
    for name in ("dev", "test"):
        s = data.splits.get(name)
        if s is None:
            continue
        other = set(int(x) for x in np.unique(np.concatenate(s.labels)) if x != IGNORE) - seen
        if other:
            data.warnings.append(f"the {name} split has labels the train split lacks: {', '.join(data.labels[i] for i in sorted(other))}")


def check_against_model(data: TrainingData, vocab_rows: int, max_positions: int) -> None:
    for s in data.splits.values():
        top = max(int(w.max()) for w in s.windows)
        if top >= vocab_rows:
            raise _bad(data.path, f"the {s.name} split has token id {top}, outside the model's vocabulary of {vocab_rows}; was it prepared with another model's tokenizer?")
        longest = int(s.lengths.max())
        if longest > max_positions:
            raise _bad(data.path, f"the {s.name} split has a window of {longest} tokens, more than the model's {max_positions} positions; prepare it with shorter windows.")


def length_grouped_batches(lengths: np.ndarray, batch: int, rng: np.random.Generator, group: int = 50) -> List[np.ndarray]:
    """Batches of similar length, in random order: a random permutation cut into mega-batches of
    `group` batches, each sorted by length and cut into batches, then the batches shuffled.
    Windows of one batch are padded to its longest only, so little compute goes to padding."""
    order = rng.permutation(len(lengths))
    out: List[np.ndarray] = []
    for start in range(0, len(order), batch * group):
        mega = order[start:start + batch * group]
        mega = mega[np.argsort(-lengths[mega], kind="stable")]
        out.extend(mega[i:i + batch] for i in range(0, len(mega), batch))
    return [out[i] for i in rng.permutation(len(out))]


def sorted_batches(lengths: np.ndarray, batch: int) -> List[np.ndarray]:
    """Evaluation batches: by length, so padding is small; order does not matter for metrics."""
    order = np.argsort(-lengths, kind="stable")
    return [order[i:i + batch] for i in range(0, len(order), batch)]


def collate(split: Split, idx: np.ndarray, pad_id: int, task: str, device: torch.device):
    """ids, attention mask and labels for one batch, padded to its longest window."""
    longest = max(len(split.windows[i]) for i in idx)
    ids = np.full((len(idx), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(idx), longest), dtype=np.int64)
    if task == "ner":
        labels = np.full((len(idx), longest), IGNORE, dtype=np.int64)
    else:
        labels = np.zeros(len(idx), dtype=np.int64)
    for r, i in enumerate(idx):
        w = split.windows[i]
        ids[r, :len(w)] = w
        mask[r, :len(w)] = 1
        if task == "ner":
            labels[r, :len(w)] = split.labels[i]
        else:
            labels[r] = split.labels[i][0]
    t = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
    return t(ids), t(mask), t(labels)
