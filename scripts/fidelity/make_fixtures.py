#!/usr/bin/env python3
"""Make the fidelity fixtures: tiny seeded checkpoints built and run by Hugging Face transformers.

For each fixture under test/fixtures/fidelity/<name>/ this writes
  config.json        model.config.to_json_file (via save_pretrained)
  model.safetensors  model.save_pretrained(safe_serialization=True): exactly the tensors
                     transformers saves (tied weights stored once, as transformers does)
  expected.json      fixed inputs (batch of 2, second row right-padded) and what the
                     transformers model returns for them in fp32, eval mode, eager attention:
                     last_hidden_state of the base model (for ModernBERT: after final_norm)
                     and the head's logits.
The TypeScript converter must reproduce these through ONNX to max abs diff <= 1e-4, comparing
only positions whose attention_mask is 1 (padded positions depend on the attention
implementation and are meaningless).

Usage (from the repository root, in any environment with torch and transformers >= 4.48):
    python3 scripts/fidelity/make_fixtures.py [--out test/fixtures/fidelity]
Deterministic: a second run on the same software gives byte-identical files.

How the committed fixtures were made (no PyPI, no GPU; see test/fixtures/fidelity/README.md):
  * Debian bookworm python3 3.11 with apt packages python3-torch (1.13.1+dfsg, reports
    1.13.0a0), python3-numpy, python3-regex, python3-tqdm, python3-packaging,
    python3-requests, python3-filelock, python3-yaml, python3-typing-extensions, python3-fsspec.
  * transformers source tree of main at commit 52e1f87c7d2fdaf147aa625c169ad440672cb3cb
    (version 4.48.0.dev0, 2025-01-10, the commit before main moved to 4.49.0.dev0) and
    huggingface_hub v0.27.1 source, both on PYTHONPATH from /tmp with hand-written
    *.dist-info/METADATA files (Name, Version) so transformers' runtime version checks pass.
  * safetensors: a pure-Python stand-in on PYTHONPATH (its real core is a Rust extension)
    implementing safe_open, safetensors.torch.{load_file, save_file, storage_ptr,
    storage_size} with the standard file layout (u64 LE header length, compact JSON header
    with __metadata__ first, tensors ordered by dtype size then name, header space-padded to
    8 bytes, raw LE data), with a safetensors-0.4.5.dist-info.
  * tokenizers: an import-only placeholder package without dist-info (transformers' GGUF
    integration imports it at module load; no tokenizer is used here).
  * The two torch shims in `_shim_old_torch` below (no-ops on torch >= 2.1).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

import torch
import torch.nn as nn

SEQ_LEN = 16
PAD_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3
VOCAB = 100
PADDED_TAIL = 5  # row 1 has its last 5 positions padded


def _shim_old_torch() -> None:
    """torch < 2.0 lacks torch.compile, which transformers 4.48 ModernBERT uses as a decorator
    at class definition (only called when config.reference_compile is true; we set it false).
    torch < 2.1 lacks nn.LayerNorm(bias=...); ModernBERT passes bias=config.norm_bias, and with
    bias=False the module must have no bias parameter (nothing in the state_dict)."""
    if not hasattr(torch, "compile"):
        def _compile(fn=None, **_kwargs):
            return fn if fn is not None else (lambda f: f)

        torch.compile = _compile
    try:
        nn.LayerNorm(2, bias=False)
    except TypeError:
        base = nn.LayerNorm

        class LayerNorm(base):
            def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                         device=None, dtype=None):
                super().__init__(normalized_shape, eps=eps, elementwise_affine=elementwise_affine,
                                 device=device, dtype=dtype)
                if elementwise_affine and not bias:
                    self.bias = None

            def reset_parameters(self):
                if self.elementwise_affine:
                    nn.init.ones_(self.weight)
                    if self.bias is not None:
                        nn.init.zeros_(self.bias)

        nn.LayerNorm = LayerNorm


_shim_old_torch()

import transformers  # noqa: E402  (after the shims: modeling modules decorate with torch.compile)
from transformers import (  # noqa: E402
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertForTokenClassification,
    ModernBertConfig,
    ModernBertForMaskedLM,
    ModernBertForSequenceClassification,
    ModernBertForTokenClassification,
)

SPECIAL_IDS = dict(pad_token_id=PAD_ID, bos_token_id=CLS_ID, eos_token_id=SEP_ID)
TOKEN_LABELS = {0: "O", 1: "B-PROBLEM", 2: "I-PROBLEM", 3: "B-DRUG", 4: "I-DRUG"}
SEQUENCE_LABELS = {0: "negative", 1: "neutral", 2: "positive"}


def bert_config(**overrides) -> BertConfig:
    base = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=64, hidden_act="gelu", max_position_embeddings=64,
                type_vocab_size=2, layer_norm_eps=1e-12, **SPECIAL_IDS)
    base.update(overrides)
    return BertConfig(**base)


def modernbert_config(**overrides) -> ModernBertConfig:
    base = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
                intermediate_size=48, max_position_embeddings=64, global_attn_every_n_layers=3,
                local_attention=4, global_rope_theta=160000.0, local_rope_theta=10000.0,
                norm_bias=False, reference_compile=False, cls_token_id=CLS_ID, sep_token_id=SEP_ID,
                **SPECIAL_IDS)
    base.update(overrides)
    return ModernBertConfig(**base)


# name -> (seed, model class, config factory); the seeds keep each fixture independent of the others.
FIXTURES = {
    "bert-sequence": (1001, BertForSequenceClassification, lambda: bert_config(
        num_labels=3, id2label=SEQUENCE_LABELS, label2id={v: k for k, v in SEQUENCE_LABELS.items()})),
    "bert-mlm": (1002, BertForMaskedLM, lambda: bert_config()),
    "bert-token": (1003, BertForTokenClassification, lambda: bert_config(
        hidden_act="gelu_new", num_labels=5, id2label=TOKEN_LABELS,
        label2id={v: k for k, v in TOKEN_LABELS.items()})),
    # layers 0 and 3 global (theta 160000), 1 and 2 local with window |i-j| <= 2 (theta 10000)
    "modernbert-token": (2001, ModernBertForTokenClassification, lambda: modernbert_config(
        num_labels=5, id2label=TOKEN_LABELS, label2id={v: k for k, v in TOKEN_LABELS.items()})),
    # every bias switched on, 3 layers: 0 and 2 global, 1 local with window |i-j| <= 3
    "modernbert-sequence": (2002, ModernBertForSequenceClassification, lambda: modernbert_config(
        num_hidden_layers=3, global_attn_every_n_layers=2, local_attention=6, norm_bias=True,
        attention_bias=True, mlp_bias=True, classifier_bias=True, classifier_pooling="mean",
        num_labels=3, id2label=SEQUENCE_LABELS, label2id={v: k for k, v in SEQUENCE_LABELS.items()})),
    # 3 layers: 0 global, 1 and 2 local with window |i-j| <= 4; decoder tied to tok_embeddings
    "modernbert-mlm": (2003, ModernBertForMaskedLM, lambda: modernbert_config(
        num_hidden_layers=3, local_attention=8, classifier_pooling="cls")),
}


def rerandomise(model: nn.Module, generator: torch.Generator) -> None:
    """Replace the small default init with weights big enough that a converter error shows up
    far above 1e-4. LayerNorm weights stay near 1. Shared (tied) parameters are visited once
    and written in place, so ties survive."""
    norm_params = set()
    for module in model.modules():
        if isinstance(module, nn.LayerNorm):
            norm_params.update(id(p) for p in module.parameters(recurse=False))
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator, dtype=torch.float32)
            if id(param) in norm_params:
                param.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * noise)
            else:
                param.copy_(0.2 * noise)


def make_inputs(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(4, VOCAB, (2, SEQ_LEN), generator=generator)
    ids[:, 0] = CLS_ID
    ids[0, -1] = SEP_ID
    ids[0, 5] = MASK_ID
    real = SEQ_LEN - PADDED_TAIL
    ids[1, real - 1] = SEP_ID
    ids[1, real:] = PAD_ID
    mask = torch.ones(2, SEQ_LEN, dtype=torch.long)
    mask[1, real:] = 0
    return ids, mask


def rounded(t: torch.Tensor) -> dict:
    return {"dims": list(t.shape), "data": [float(f"{v:.7g}") for v in t.reshape(-1).tolist()]}


def transformers_commit() -> str | None:
    # A pip-installed transformers does not know its commit; a source checkout's user says it.
    return os.environ.get("TRANSFORMERS_COMMIT") or None


def make_fixture(name: str, out_root: str) -> None:
    seed, cls, make_config = FIXTURES[name]
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    config = make_config()
    config._attn_implementation = "eager"  # chosen at construction: BERT picks its attention class then
    model = cls(config)
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    rerandomise(model, generator)
    model.eval()

    ids, mask = make_inputs(generator)
    is_bert = config.model_type == "bert"
    kwargs = dict(input_ids=ids, attention_mask=mask)
    if is_bert:
        kwargs["token_type_ids"] = torch.zeros_like(ids)
    base = model.bert if is_bert else model.model
    with torch.no_grad():
        last_hidden_state = base(**kwargs).last_hidden_state
        logits = model(**kwargs).logits

    out_dir = os.path.join(out_root, name)
    shutil.rmtree(out_dir, ignore_errors=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    expected = {
        "architecture": cls.__name__,
        "transformers_version": transformers.__version__,
        "transformers_commit": transformers_commit(),
        "torch_version": torch.__version__,
        "attn_implementation": "eager",
        "seed": seed,
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        **({"token_type_ids": torch.zeros_like(ids).tolist()} if is_bert else {}),
        "last_hidden_state": rounded(last_hidden_state),
        "logits": rounded(logits),
        "compare": "compare only positions where attention_mask is 1 (for sequence logits: every row); "
                   "padded positions differ between attention implementations",
    }
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(expected, fh, separators=(",", ":"))
        fh.write("\n")
    print(f"{name}: {cls.__name__}, logits {list(logits.shape)}, "
          f"|h|max {last_hidden_state.abs().max():.3f}, |logits|max {logits.abs().max():.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join("test", "fixtures", "fidelity"))
    parser.add_argument("names", nargs="*", default=list(FIXTURES))
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: reductions in a fixed order, identical reruns
    for name in args.names:
        make_fixture(name, args.out)


if __name__ == "__main__":
    main()
