"""Tiny random model folders written by the companion itself, so the Python tests need no Node."""
import json
import os

import torch

from cmb_companion.config import parse_config
from cmb_companion.models import EncoderWithHead
from cmb_companion.safetensors_io import write_safetensors


def tiny_config(arch: str, **overrides) -> dict:
    cfg = {"model_type": arch, "architectures": ["BertModel" if arch == "bert" else "ModernBertModel"], "vocab_size": 512,
           "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
           "max_position_embeddings": 128, "pad_token_id": 0, "initializer_range": 0.02}
    if arch == "bert":
        cfg.update({"hidden_act": "gelu", "layer_norm_eps": 1e-12, "type_vocab_size": 2})
    else:
        cfg.update({"num_hidden_layers": 3, "hidden_activation": "gelu", "norm_eps": 1e-5, "norm_bias": False,
                    "global_attn_every_n_layers": 2, "local_attention": 8, "classifier_pooling": "mean"})
    cfg.update(overrides)
    return cfg


def make_tiny_model(out: str, arch: str = "bert", seed: int = 0, **overrides) -> str:
    os.makedirs(out, exist_ok=True)
    cfg = tiny_config(arch, **overrides)
    torch.manual_seed(seed)
    model = EncoderWithHead(parse_config(json.dumps(cfg)), "none")
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
    write_safetensors(os.path.join(out, "model.safetensors"), {k: v.contiguous() for k, v in model.state_dict().items()})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f)
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        f.write('{"model": {"type": "placeholder"}}')
    return out
