"""Synthetic training data files with a task a model can learn, for tests and benchmarks.

Entities are decided by token identity (ids 10-19 begin a PROBLEM and 20-29 continue it, 30-39
begin a TEST and 40-49 continue it; ids from 100 up are outside any entity); a document's class
is decided by a keyword (id 50 + class) somewhere in each of its windows. Windows start with
[CLS] and end with [SEP], whose labels are -100 as the extension's alignment leaves them.
"""
from __future__ import annotations

import json
from typing import Dict, List, Optional

import numpy as np

from .data import FORMAT, IGNORE, VERSION
from .safetensors_io import write_safetensors

NER_LABELS = ["O", "B-PROBLEM", "I-PROBLEM", "B-TEST", "I-TEST"]
CLASSIFY_LABELS = ["discharge_summary", "radiology", "progress_note"]
CLS_ID, SEP_ID = 2, 3


def _ner_window(rng: np.random.Generator, vocab: int, length: int):
    ids, labels = [CLS_ID], [IGNORE]
    while len(ids) < length - 1:
        if rng.random() < 0.25:
            kind = int(rng.integers(2))  # 0 PROBLEM, 1 TEST
            ids.append(10 + 20 * kind + int(rng.integers(10)))
            labels.append(1 + 2 * kind)
            for _ in range(int(rng.integers(3))):
                if len(ids) >= length - 1:
                    break
                ids.append(20 + 20 * kind + int(rng.integers(10)))
                labels.append(2 + 2 * kind)
        else:
            ids.append(int(rng.integers(100, vocab)))
            labels.append(0)
    return ids + [SEP_ID], labels + [IGNORE]


def _classify_window(rng: np.random.Generator, vocab: int, length: int, cls: int):
    body = [int(x) for x in rng.integers(100, vocab, size=length - 2)]
    body[int(rng.integers(len(body)))] = 50 + cls
    return [CLS_ID] + body + [SEP_ID]


def synthetic_split(task: str, documents: int, rng: np.random.Generator, vocab: int, min_len: int, max_len: int,
                    n_classes: int) -> Dict[str, np.ndarray]:
    ids: List[int] = []
    lengths: List[int] = []
    labels: List[int] = []
    doc_index: List[int] = []
    for d in range(documents):
        cls = int(rng.integers(n_classes))
        for _ in range(1 + int(rng.integers(3))):
            length = int(rng.integers(min_len, max_len + 1))
            if task == "ner":
                w, l = _ner_window(rng, vocab, length)
                labels.extend(l)
            else:
                w = _classify_window(rng, vocab, length, cls)
                labels.append(cls)
            ids.extend(w)
            lengths.append(len(w))
            doc_index.append(d)
    i32 = lambda a: np.asarray(a, dtype=np.int32)  # noqa: E731
    return {"input_ids": i32(ids), "lengths": i32(lengths), "labels": i32(labels), "doc_index": i32(doc_index)}


def make_synthetic(path: str, task: str = "ner", vocab: int = 512, seed: int = 0, train: int = 120, dev: int = 30,
                   test: int = 30, min_len: int = 8, max_len: int = 32, classes: int = 3,
                   extra_metadata: Optional[Dict[str, str]] = None) -> str:
    """Writes a data file with `train`/`dev`/`test` documents (0 leaves a split out); returns path."""
    rng = np.random.default_rng(seed)
    labels = NER_LABELS if task == "ner" else CLASSIFY_LABELS[:classes] if classes <= 3 else [f"class_{i}" for i in range(classes)]
    tensors = {}
    for name, n in (("train", train), ("dev", dev), ("test", test)):
        if n <= 0:
            continue
        for field, arr in synthetic_split(task, n, rng, vocab, min_len, max_len, len(labels)).items():
            tensors[f"{name}.{field}"] = arr
    meta = {"format": FORMAT, "version": VERSION, "task": task, "id2label": json.dumps(labels),
            "pad_token_id": "0", "max_tokens": str(max_len), "dataset_fingerprint": f"synthetic:{task}:{seed}"}
    meta.update(extra_metadata or {})
    write_safetensors(path, tensors, meta)
    return path
