#!/usr/bin/env bash
# The fine-tuning companion on a GPU machine, in one run (the workplace's lent
# device, or any CUDA workstation): its test suite with that machine's torch,
# then training throughput and MFU on CUDA (bench/companion_train.py, bf16
# autocast) at 32 x 128 and 8 x 512 tokens. Figures go to $OUT (default
# ./companion-gpu-out), one file per step; BENCHMARKS.md takes them from there.
#
#   OUT=/some/dir PYTHON=python3 bash scripts/device/companion-gpu.sh
#
# Needs PyTorch and numpy only. Exits 0 when every step ran, 1 when one failed,
# 2 when CUDA is not available (the reason is printed).
set -u
cd "$(dirname "$0")/../.."
OUT="${OUT:-$PWD/companion-gpu-out}"
PY="${PYTHON:-python3}"
mkdir -p "$OUT"
status=0

"$PY" - > "$OUT/machine.json" <<'PY'
import json, platform, torch
info = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.cuda.is_available()}
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    info.update(device=p.name, memory_gib=round(p.total_memory / 2**30, 1), capability=f"{p.major}.{p.minor}", bf16=torch.cuda.is_bf16_supported())
print(json.dumps(info))
PY
cat "$OUT/machine.json"
if ! grep -q '"cuda": true' "$OUT/machine.json"; then
  echo "companion-gpu: CUDA is not available to $PY (torch.cuda.is_available() is false); nothing measured" >&2
  exit 2
fi

# the suite: fidelity against the transformers fixtures, training, resume, metrics (CPU tests run too)
(cd companion && timeout 600 "$PY" -m unittest discover -s tests -t . > "$OUT/companion-tests.txt" 2>&1) || status=1
tail -3 "$OUT/companion-tests.txt"

for shape in "32 128" "8 512"; do
  set -- $shape
  name="companion-train-b$1-s$2"
  if timeout 600 "$PY" bench/companion_train.py --device cuda --batch "$1" --seq "$2" --steps 20 > "$OUT/$name.json" 2> "$OUT/$name.err"; then
    tail -1 "$OUT/$name.err"
  else
    echo "companion-gpu: $name failed (see $OUT/$name.err)" >&2
    status=1
  fi
done
exit $status
