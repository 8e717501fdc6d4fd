"""The output folder: an ordinary Hugging Face checkpoint of the fine-tuned model.

config.json (the source config with `architectures` and id2label/label2id for the task head),
model.safetensors (transformers' tensor names, float32), the source's tokenizer files,
metrics.json and training_args.json. Every file is written atomically; config.json comes last,
so a folder with a config.json is complete.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from typing import Any, Dict, List

from .checkpoint import ModelFolder
from .models import ARCHITECTURE_NAMES, EncoderWithHead
from .safetensors_io import write_safetensors

_SAMPLES_PER_FILE = 16
_SAMPLE_BYTES = 4096


def encoder_fingerprint(folder: ModelFolder) -> str:
    """The extension's encoderFingerprint (src/engine/model/headFolder.ts), byte for byte: sha256
    over the architecture fields and, per weight file, its size and 16 samples of 4 KiB."""
    c = folder.config
    h = hashlib.sha256()
    h.update(json.dumps([c.model_type, c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads,
                         c.intermediate_size, c.max_position_embeddings], separators=(",", ":")).encode())
    for f in folder.files:
        size = os.path.getsize(f.path)
        h.update(f"\0{size}\0".encode())
        with open(f.path, "rb") as fh:
            for i in range(_SAMPLES_PER_FILE):
                at = ((size - _SAMPLE_BYTES) * i) // (_SAMPLES_PER_FILE - 1)
                fh.seek(max(0, at))
                h.update(fh.read(_SAMPLE_BYTES))
    return f"sha256:{h.hexdigest()}"


def write_json(path: str, value: Any) -> None:
    tmp = f"{path}.{os.getpid()}.partial"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def output_config(source: ModelFolder, model: EncoderWithHead, labels: List[str], extra: Dict[str, Any]) -> Dict[str, Any]:
    cfg = dict(source.config.raw)
    cfg["architectures"] = [ARCHITECTURE_NAMES[source.config.model_type][model.head_kind]]
    cfg["id2label"] = {str(i): l for i, l in enumerate(labels)}
    cfg["label2id"] = {l: i for i, l in enumerate(labels)}
    cfg["torch_dtype"] = "float32"
    cfg.pop("num_labels", None)
    cfg["cmb_companion"] = extra
    return cfg


def export_folder(out: str, source: ModelFolder, model: EncoderWithHead, labels: List[str], metrics: Dict[str, Any],
                  training_args: Dict[str, Any], extra: Dict[str, Any]) -> None:
    os.makedirs(out, exist_ok=True)
    for name in source.tokenizer_files():
        tmp = os.path.join(out, f"{name}.{os.getpid()}.partial")
        shutil.copyfile(os.path.join(source.dir, name), tmp)
        os.replace(tmp, os.path.join(out, name))
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(out, "model.safetensors"), state, {"format": "pt"})
    write_json(os.path.join(out, "training_args.json"), training_args)
    write_json(os.path.join(out, "metrics.json"), metrics)
    write_json(os.path.join(out, "config.json"), output_config(source, model, labels, extra))
