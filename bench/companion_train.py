"""Training throughput of the PyTorch companion on the real-size random BERT.

The released Clinical ModernBERT's shape (22 layers, hidden 768, 12 heads, FFN 1152, vocab 50368)
with a token-classification head, random weights, random 128-token windows: the companion's own
model code, loss, AdamW step and clipping, timed over whole optimizer steps after warmup steps.

Model FLOP utilisation = achieved FLOP/s / peak FLOP/s, where a step's FLOPs are
6 * (non-embedding parameters) * tokens (forward 2, backward 4 per parameter and token; the
embedding lookups do no multiply-adds) plus attention's 12 * layers * seq^2 * hidden per
sequence (QK^T and PV, forward and backward). The peak is the GPU's dense bf16 peak from its
data sheet (H100/H200 SXM: 989 TFLOP/s), or on the CPU the fp32 matmul rate measured here
(a 2048^3 torch.matmul), or --peak-tflops.

    /usr/bin/python3 bench/companion_train.py --device cpu --batch 8 --steps 3
    python3 bench/companion_train.py --device cuda --batch 32 --steps 20       # bf16 autocast

Prints one JSON line with the figures (and a readable line on stderr).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "companion"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from cmb_companion.config import parse_config  # noqa: E402
from cmb_companion.device import bf16_autocast_available, select_device  # noqa: E402
from cmb_companion.models import HAS_SDPA, EncoderWithHead  # noqa: E402

REAL_BERT = {"model_type": "bert", "architectures": ["BertForTokenClassification"], "vocab_size": 50368, "hidden_size": 768,
             "num_hidden_layers": 22, "num_attention_heads": 12, "intermediate_size": 1152, "max_position_embeddings": 8192,
             "pad_token_id": 50283, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "type_vocab_size": 2}
# dense bf16 tensor-core peaks from the data sheets (SXM parts), TFLOP/s
GPU_PEAKS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def cpu_matmul_peak(device: torch.device, n: int = 2048, runs: int = 5) -> float:
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e12


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    ap.add_argument("--batch", type=int, default=0, help="windows per step (default 32 on CUDA, 8 on the CPU)")
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=0, help="timed steps (default 20 on CUDA, 3 on the CPU)")
    ap.add_argument("--warmup-steps", type=int, default=0, help="untimed steps first (default 3 on CUDA, 1 on the CPU)")
    ap.add_argument("--layers", type=int, default=22, help="fewer layers for a quick look (the figures then are not the real model's)")
    ap.add_argument("--eager", action="store_true", help="eager attention instead of scaled_dot_product_attention")
    ap.add_argument("--peak-tflops", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    device = select_device(a.device)
    cuda = device.type == "cuda"
    batch, steps, warmup = a.batch or (32 if cuda else 8), a.steps or (20 if cuda else 3), a.warmup_steps or (3 if cuda else 1)
    autocast = bf16_autocast_available(device)
    cfg = parse_config(json.dumps({**REAL_BERT, "num_hidden_layers": a.layers}))
    torch.manual_seed(0)
    model = EncoderWithHead(cfg, "token", num_labels=5)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
    model.eager = a.eager
    model.to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    ids = torch.randint(5, cfg.vocab_size, (batch, a.seq), device=device)
    mask = torch.ones_like(ids)
    labels = torch.randint(0, 5, (batch, a.seq), device=device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast) if cuda else contextlib.nullcontext():
            _, logits = model(ids, mask)
        loss = F.cross_entropy(logits.float().reshape(-1, 5), labels.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    tokens = batch * a.seq * steps
    embed = sum(p.numel() for n, p in model.named_parameters() if ".embeddings." in n and "LayerNorm" not in n)
    params = sum(p.numel() for p in model.parameters())
    flops_per_step = 6 * (params - embed) * batch * a.seq + 12 * cfg.num_hidden_layers * a.seq ** 2 * cfg.hidden_size * batch
    achieved = flops_per_step * steps / seconds / 1e12
    if a.peak_tflops:
        peak, peak_source = a.peak_tflops, "--peak-tflops"
    elif cuda:
        name = torch.cuda.get_device_name(device)
        peak = next((v for k, v in GPU_PEAKS.items() if k in name), 0.0)
        peak_source = f"{name} dense bf16 data-sheet peak" if peak else f"{name}: unknown peak (pass --peak-tflops)"
    else:
        peak, peak_source = cpu_matmul_peak(device), "fp32 torch.matmul 2048^3 measured here"
    result = {
        "bench": "companion_train", "date": time.strftime("%Y-%m-%d"), "machine": torch.cuda.get_device_name(device) if cuda else cpu_name(),
        "cpu_threads": torch.get_num_threads(), "torch": torch.__version__, "device": device.type, "precision": "bf16-autocast" if autocast else "fp32",
        "attention": "eager" if a.eager or not HAS_SDPA else "sdpa", "layers": cfg.num_hidden_layers, "batch": batch, "seq": a.seq, "steps": steps,
        "parameters": params, "non_embedding_parameters": params - embed, "seconds": seconds, "tokens_per_s": tokens / seconds,
        "step_s": seconds / steps, "achieved_tflops": achieved, "peak_tflops": peak, "peak_source": peak_source,
        "mfu": achieved / peak if peak else None,
    }
    sys.stderr.write(f"companion training, {result['layers']}-layer BERT, batch {batch} x {a.seq}, {result['precision']} on {device.type}: "
                     f"{result['tokens_per_s']:.3g} tokens/s, {result['step_s']:.3g} s/step, {achieved * 1000:.3g} GFLOP/s"
                     + (f", MFU {result['mfu'] * 100:.1f}% of {peak * 1000:.3g} GFLOP/s ({peak_source})" if peak else "") + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
