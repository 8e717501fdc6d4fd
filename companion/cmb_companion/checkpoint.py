"""Model folders in the Hugging Face layout: config.json plus model.safetensors (or shards named by
model.safetensors.index.json). Tensors are matched to the PyTorch modules by transformers' names,
with the same prefix rules as the extension's converter (`bert.` / `model.` or none)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch

from .config import ModelConfig, parse_config
from .errors import CompanionError
from .models import EncoderWithHead
from .safetensors_io import SafetensorsFile, read_safetensors

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt", "added_tokens.json")


@dataclass
class ModelFolder:
    dir: str
    config: ModelConfig
    files: List[SafetensorsFile]
    by_name: Dict[str, SafetensorsFile] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.by_name

    def shape(self, name: str):
        return self.by_name[name].shape(name)

    def tensor(self, name: str) -> torch.Tensor:
        return self.by_name[name].tensor(name).float()

    def tokenizer_files(self) -> List[str]:
        return [f for f in TOKENIZER_FILES if os.path.isfile(os.path.join(self.dir, f))]


def open_model_folder(path: str) -> ModelFolder:
    if not os.path.isdir(path):
        raise CompanionError(f"The model folder {path} does not exist.", code="missing-file")
    cfg_path = os.path.join(path, "config.json")
    if not os.path.isfile(cfg_path):
        raise CompanionError(f"The model folder {path} has no config.json.", code="missing-file")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = parse_config(f.read())
    single = os.path.join(path, "model.safetensors")
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.isfile(single):
        shards = [single]
    elif os.path.isfile(index):
        try:
            with open(index, encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
            shards = [os.path.join(path, s) for s in sorted(set(weight_map.values()))]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CompanionError(f"{index} is not a valid safetensors index (no weight_map).", code="corrupt-weights") from None
    elif os.path.isfile(os.path.join(path, "pytorch_model.bin")):
        raise CompanionError(f"The model folder {path} has only pytorch_model.bin, which is refused (unpickling can execute code); save it with safe_serialization=True to get model.safetensors.", code="pickle-refused")
    else:
        raise CompanionError(f"The model folder {path} has no model.safetensors.", code="missing-file")
    files = [read_safetensors(s) for s in shards]
    folder = ModelFolder(path, cfg, files)
    for f in files:
        for n in f.names():
            folder.by_name[n] = f
    return folder


def encoder_prefix(folder: ModelFolder) -> str:
    """'bert.' / 'model.' inside a checkpoint with a head, '' for a bare encoder (as the converter decides)."""
    if folder.config.model_type == "bert":
        if folder.has("bert.embeddings.word_embeddings.weight"):
            return "bert."
        if folder.has("embeddings.word_embeddings.weight"):
            return ""
        if folder.has("model.embeddings.tok_embeddings.weight") or folder.has("embeddings.tok_embeddings.weight"):
            raise CompanionError("config.json says model_type \"bert\" but the weights are ModernBERT's (tok_embeddings, layers.N.attn.Wqkv); set \"model_type\": \"modernbert\" in config.json if that is what the checkpoint is.", code="bad-config")
        raise CompanionError("The checkpoint has no BERT word embeddings (bert.embeddings.word_embeddings.weight); config.json says model_type \"bert\". Are the weights from a different architecture?", code="corrupt-weights")
    if folder.has("model.embeddings.tok_embeddings.weight"):
        return "model."
    if folder.has("embeddings.tok_embeddings.weight"):
        return ""
    if folder.has("bert.embeddings.word_embeddings.weight") or folder.has("embeddings.word_embeddings.weight"):
        raise CompanionError("config.json says model_type \"modernbert\" but the weights are BERT's (word_embeddings, encoder.layer.N); set \"model_type\": \"bert\" in config.json if that is what the checkpoint is.", code="bad-config")
    raise CompanionError("The checkpoint has no ModernBERT token embeddings (model.embeddings.tok_embeddings.weight); config.json says model_type \"modernbert\". Are the weights from a different architecture?", code="corrupt-weights")


def checkpoint_head(folder: ModelFolder) -> str:
    """Which head the checkpoint carries: config.json's architectures decide, else the weights (heads.ts's chooseHead)."""
    cfg = folder.config
    p = encoder_prefix(folder)
    if cfg.model_type == "bert":
        mlm = folder.has("cls.predictions.transform.dense.weight")
        token = folder.has("classifier.weight") and not folder.has(f"{p}pooler.dense.weight")
        sequence = folder.has("classifier.weight") and folder.has(f"{p}pooler.dense.weight")
    else:
        mlm = folder.has("decoder.weight") or (folder.has("head.dense.weight") and not folder.has("classifier.weight"))
        token = sequence = False
    classifier = folder.has("classifier.weight")
    for a in cfg.architectures:
        if a.endswith("ForMaskedLM") or a.endswith("ForPreTraining"):
            return "mlm" if mlm else "none"
    for a in cfg.architectures:
        if a.endswith("ForTokenClassification"):
            return "token" if classifier else "none"
        if a.endswith("ForSequenceClassification"):
            return "sequence" if classifier else "none"
    if mlm:
        return "mlm"
    if sequence:
        return "sequence"
    if token:
        return "token"
    if classifier:
        raise CompanionError("The checkpoint has a classifier but config.json's \"architectures\" does not say whether it classifies tokens or whole notes; add \"ForTokenClassification\" or \"ForSequenceClassification\" to it.", code="bad-config")
    return "none"


def _source_names(folder: ModelFolder, model: EncoderWithHead, name: str, src_prefix: str) -> Sequence[str]:
    """Candidate checkpoint names for one of our state_dict names."""
    if model.is_encoder_tensor(name):
        rest = name[len(model.prefix):] if model.prefix else name
        base = src_prefix + rest
        out = [base]
        if base.endswith("LayerNorm.weight"):
            out.append(base[: -len("weight")] + "gamma")
        elif base.endswith("LayerNorm.bias"):
            out.append(base[: -len("bias")] + "beta")
        return out
    if name == "cls.predictions.bias":
        return [name, "cls.predictions.decoder.bias"]
    if name.endswith("LayerNorm.weight"):
        return [name, name[: -len("weight")] + "gamma"]
    if name.endswith("LayerNorm.bias"):
        return [name, name[: -len("bias")] + "beta"]
    return [name]


def _init_fresh(model: EncoderWithHead, names: List[str], seed: int) -> None:
    """transformers' initialisation for new head tensors: N(0, initializer_range) weights (ModernBERT
    truncated at 2 std), zero biases, LayerNorm ones; seeded so a run is reproducible."""
    std = float(model.cfg.raw.get("initializer_range", 0.02) or 0.02)
    gen = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n in sorted(names):
            p = params[n]
            if "norm" in n.lower():
                p.fill_(1.0 if n.endswith("weight") else 0.0)
            elif n.endswith("bias"):
                p.zero_()
            else:
                v = torch.randn(p.shape, generator=gen) * std
                if model.cfg.model_type == "modernbert":
                    v = v.clamp(-2 * std, 2 * std)
                p.copy_(v)


def build_model(folder: ModelFolder, head: Optional[str] = None, labels: Optional[List[str]] = None, seed: int = 0):
    """The checkpoint as an EncoderWithHead.

    head None: the checkpoint's own head, every tensor required (fidelity, logits). head given
    with labels: a fine-tuning model; the encoder must be complete, head tensors are taken from
    the checkpoint when it has them with the same shape (and, for the classifier, the same labels),
    else initialised fresh. Returns (model, notes) where notes name what was initialised fresh.
    """
    cfg = folder.config
    src_prefix = encoder_prefix(folder)
    strict = head is None
    own = checkpoint_head(folder)
    if head is None:
        head = own
        labels = cfg.id2label
        if head in ("token", "sequence"):
            n = folder.shape("classifier.weight")[0]
            labels = labels if len(labels) == n else [f"LABEL_{i}" for i in range(n)]
    emb = f"{src_prefix}embeddings.word_embeddings.weight" if cfg.model_type == "bert" else f"{src_prefix}embeddings.tok_embeddings.weight"
    rows, width = folder.shape(emb)
    if width != cfg.hidden_size or rows < cfg.vocab_size:
        raise CompanionError(f"Word embeddings have shape [{rows}, {width}] but config.json says vocab_size {cfg.vocab_size}, hidden_size {cfg.hidden_size}.", code="corrupt-weights")
    untied = folder.has("cls.predictions.decoder.weight") if cfg.model_type == "bert" else folder.has("decoder.weight")
    model = EncoderWithHead(
        cfg, head, num_labels=len(labels or []), vocab_rows=rows, untied_decoder=strict and untied,
        layer0_attn_norm=cfg.model_type == "modernbert" and folder.has(f"{src_prefix}layers.0.attn_norm.weight"),
        decoder_bias=(cfg.decoder_bias and folder.has("decoder.bias")) if strict and cfg.model_type == "modernbert" else None,
    )
    reuse_classifier = strict or (own == head and cfg.id2label == list(labels or []))
    state = model.state_dict()
    fresh: List[str] = []
    with torch.no_grad():
        for name, target in state.items():
            src = next((c for c in _source_names(folder, model, name, src_prefix) if folder.has(c)), None)
            if src is not None and not model.is_encoder_tensor(name) and name.startswith("classifier.") and not reuse_classifier:
                src = None
            if src is not None and tuple(folder.shape(src)) != tuple(target.shape):
                if model.is_encoder_tensor(name) or strict:
                    raise CompanionError(f"Tensor \"{src}\" has shape {list(folder.shape(src))} but config.json implies {list(target.shape)}.", code="corrupt-weights")
                src = None
            if src is None:
                if strict or (model.is_encoder_tensor(name) and not name.startswith(f"{model.prefix}pooler.")):
                    raise CompanionError(f"The checkpoint has no tensor \"{_source_names(folder, model, name, src_prefix)[0]}\", which config.json's architecture needs. Is config.json from the same checkpoint as the weights?", code="corrupt-weights")
                fresh.append(name)
                continue
            target.copy_(folder.tensor(src))
    if fresh:
        _init_fresh(model, fresh, seed)
    return model, fresh
