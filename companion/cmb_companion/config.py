"""config.json read with the same rules as the extension's converter (src/engine/model/config.ts and
modernbert.ts's modernBertLayout), so both sides build the same network from the same file."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import CompanionError

ACTIVATIONS = ("gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "silu", "swish", "tanh")


def _bad(message: str) -> CompanionError:
    return CompanionError(f"config.json: {message}", code="bad-config")


def _num(raw: Dict[str, Any], key: str, fallback: Optional[float] = None) -> float:
    v = raw.get(key)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return v
    if v is None and key not in raw and fallback is not None:
        return fallback
    raise _bad(f"\"{key}\" is {'missing' if key not in raw else 'not a number'}.")


def _bool(raw: Dict[str, Any], key: str, fallback: bool) -> bool:
    v = raw.get(key)
    return v if isinstance(v, bool) else fallback


def _str(raw: Dict[str, Any], key: str, fallback: str) -> str:
    v = raw.get(key)
    return v if isinstance(v, str) else fallback


def parse_id2label(raw: Dict[str, Any]) -> List[str]:
    m = raw.get("id2label")
    if not isinstance(m, dict):
        return []
    labels: List[Optional[str]] = [None] * len(m)
    for k, v in m.items():
        try:
            i = int(k)
        except ValueError:
            i = -1
        if i < 0 or i >= len(m) or not isinstance(v, str):
            raise _bad(f"id2label must map 0..{len(m) - 1} to label names; found key \"{k}\".")
        labels[i] = v
    return [l for l in labels if l is not None]


@dataclass
class ModelConfig:
    model_type: str
    architectures: List[str]
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    layer_norm_eps: float
    pad_token_id: int
    type_vocab_size: int
    hidden_act: str
    id2label: List[str]
    raw: Dict[str, Any]
    # ModernBERT only
    local_layers: List[bool] = field(default_factory=list)
    global_rope_theta: float = 160000.0
    local_rope_theta: float = 10000.0
    half_window: int = 64
    norm_bias: bool = False
    attention_bias: bool = False
    mlp_bias: bool = False
    classifier_pooling: str = "cls"
    classifier_activation: str = "gelu"
    classifier_bias: bool = False
    decoder_bias: bool = True
    # dropout in training (transformers' defaults when config.json does not say)
    hidden_dropout: float = 0.0
    embedding_dropout: float = 0.0
    attention_dropout: float = 0.0
    classifier_dropout: float = 0.0

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


def _rope_theta(raw: Dict[str, Any], kind: str) -> Optional[float]:
    params = raw.get("rope_parameters")
    if not isinstance(params, dict):
        return None
    entry = params.get(kind)
    if isinstance(entry, dict):
        t = entry.get("rope_type")
        if t is not None and t != "default":
            raise CompanionError(f"config.json asks for rope_type \"{t}\" on {kind} layers; only the default rotary embedding is supported.", code="unsupported-model")
        theta = entry.get("rope_theta")
        if isinstance(theta, (int, float)):
            return float(theta)
    return None


def parse_config(text: str) -> ModelConfig:
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise CompanionError(f"config.json is not valid JSON ({e}).", code="bad-config") from None
    if not isinstance(raw, dict):
        raise CompanionError("config.json is not valid JSON (not an object).", code="bad-config")
    model_type = raw.get("model_type")
    if model_type not in ("bert", "modernbert"):
        raise CompanionError(f"config.json says model_type \"{model_type}\"; the companion trains \"bert\" and \"modernbert\" checkpoints.", code="unsupported-model")
    modern = model_type == "modernbert"
    archs = [a for a in raw.get("architectures") or [] if isinstance(a, str)] if isinstance(raw.get("architectures"), list) else []
    cfg = ModelConfig(
        model_type=model_type,
        architectures=archs,
        vocab_size=int(_num(raw, "vocab_size")),
        hidden_size=int(_num(raw, "hidden_size")),
        num_hidden_layers=int(_num(raw, "num_hidden_layers")),
        num_attention_heads=int(_num(raw, "num_attention_heads")),
        intermediate_size=int(_num(raw, "intermediate_size")),
        max_position_embeddings=int(_num(raw, "max_position_embeddings", 512)),
        layer_norm_eps=float(_num(raw, "norm_eps", 1e-5) if modern else _num(raw, "layer_norm_eps", 1e-12)),
        pad_token_id=int(_num(raw, "pad_token_id", 0)),
        type_vocab_size=0 if modern else int(_num(raw, "type_vocab_size", 2)),
        hidden_act=_str(raw, "hidden_activation" if modern else "hidden_act", "gelu"),
        id2label=parse_id2label(raw),
        raw=raw,
    )
    for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings"):
        if getattr(cfg, k) <= 0:
            raise _bad(f"{k} must be a positive integer.")
    if cfg.hidden_size % cfg.num_attention_heads:
        raise _bad(f"hidden_size {cfg.hidden_size} is not a multiple of num_attention_heads {cfg.num_attention_heads}.")
    if cfg.hidden_act not in ACTIVATIONS:
        raise CompanionError(f"config.json asks for activation \"{cfg.hidden_act}\", which is not supported ({', '.join(ACTIVATIONS)}).", code="unsupported-model")
    if modern:
        pooling = _str(raw, "classifier_pooling", "cls")
        if pooling not in ("cls", "mean"):
            raise CompanionError(f"config.json: classifier_pooling \"{pooling}\" is not supported (use \"cls\" or \"mean\").", code="unsupported-model")
        every = int(_num(raw, "global_attn_every_n_layers", 3))
        types = raw.get("layer_types")
        if isinstance(types, list) and len(types) == cfg.num_hidden_layers:
            cfg.local_layers = [t == "sliding_attention" for t in types]
        else:
            cfg.local_layers = [i % every != 0 for i in range(cfg.num_hidden_layers)]
        cfg.global_rope_theta = _rope_theta(raw, "full_attention") or float(_num(raw, "global_rope_theta", 160000))
        cfg.local_rope_theta = _rope_theta(raw, "sliding_attention") or float(_num(raw, "local_rope_theta", 10000))
        cfg.half_window = int(_num(raw, "local_attention", 128)) // 2
        cfg.norm_bias = _bool(raw, "norm_bias", False)
        cfg.attention_bias = _bool(raw, "attention_bias", False)
        cfg.mlp_bias = _bool(raw, "mlp_bias", False)
        cfg.classifier_pooling = pooling
        cfg.classifier_activation = _str(raw, "classifier_activation", "gelu")
        cfg.classifier_bias = _bool(raw, "classifier_bias", False)
        cfg.decoder_bias = _bool(raw, "decoder_bias", True)
        cfg.hidden_dropout = float(raw.get("mlp_dropout") or 0.0)
        cfg.embedding_dropout = float(raw.get("embedding_dropout") or 0.0)
        cfg.attention_dropout = float(raw.get("attention_dropout") or 0.0)
        cfg.classifier_dropout = float(raw.get("classifier_dropout") or 0.0)
        if cfg.classifier_activation not in ACTIVATIONS:
            raise CompanionError(f"config.json asks for classifier_activation \"{cfg.classifier_activation}\", which is not supported.", code="unsupported-model")
    else:
        pos = raw.get("position_embedding_type")
        if pos is not None and pos != "absolute":
            raise CompanionError(f"config.json asks for position_embedding_type \"{pos}\"; only BERT's \"absolute\" position embeddings are supported.", code="unsupported-model")
        cfg.hidden_dropout = float(raw.get("hidden_dropout_prob", 0.1) if raw.get("hidden_dropout_prob") is not None else 0.1)
        cfg.attention_dropout = float(raw.get("attention_probs_dropout_prob", 0.1) if raw.get("attention_probs_dropout_prob") is not None else 0.1)
        cd = raw.get("classifier_dropout")
        cfg.classifier_dropout = float(cd) if isinstance(cd, (int, float)) else cfg.hidden_dropout
        cfg.embedding_dropout = cfg.hidden_dropout
    return cfg
