#!/usr/bin/env bash
# One-shot GPU check of the PaliGemma engine, about 10 minutes on one H100-class GPU:
#   1. environment: a CUDA build of torch must already be installed (never replaced here);
#      missing Python packages come from a wheelhouse in .whl/ if present (the device
#      machines are offline), else from PyPI;
#   2. the PaliGemma unit tests, GPU ones included (tests/unit/paligemma/test_gpu.py);
#   3. the throughput benchmark at full size (PaliGemma-3B-896, random weights), 128 output
#      tokens: plain generate vs the engine, 1 vs 4 adapters, peak memory at batch 8.
# Results (text and JSON) go to $OUT (or the first argument, default /tmp/pg-gpu-check).
#
#   bash bench/gpu_check.sh [OUT_DIR]
#
# The device machines are offline. Prepare a wheelhouse on a machine with network access
# (everything the PaliGemma tests and benchmark import, torch and CUDA libraries excluded):
#   python -m pip download -d .whl $(bash bench/gpu_check.sh --packages)
#   rm -f .whl/torch-* .whl/nvidia_* .whl/triton-*
# and carry .whl along; it is installed with --no-deps so that torch is never replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES='transformers>=5.24,<6 peft>=0.17 accelerate safetensors tokenizers sentencepiece
  huggingface_hub numpy pillow pdf2image pypdfium2 pydantic pydantic-settings click celery kombu
  sqlalchemy alembic pytest'
if [ "${1:-}" = "--packages" ]; then echo $PACKAGES; exit 0; fi
OUT_DIR=${1:-${OUT:-/tmp/pg-gpu-check}}
mkdir -p "$OUT_DIR"
PY=${PYTHON:-python3}
log() { echo "== $*" | tee -a "$OUT_DIR/summary.txt"; }

log "environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
if ! $PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  log "no CUDA-enabled torch for $PY: install one (this script never replaces torch)"
  exit 2
fi
NEEDED="transformers peft accelerate safetensors tokenizers pydantic_settings pdf2image pypdfium2 click celery sqlalchemy alembic pytest"
if ! $PY -c "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]" $NEEDED 2>/dev/null; then
  if [ -d .whl ]; then
    $PY -m pip install -q --no-index --no-deps .whl/*.whl
  else
    # shellcheck disable=SC2086  (one word per requirement)
    $PY -m pip install -q $PACKAGES
  fi
fi
$PY -c "import torch, transformers, peft; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'transformers', transformers.__version__, 'peft', peft.__version__, torch.cuda.get_device_name())" \
  | tee -a "$OUT_DIR/summary.txt"

log "unit tests (GPU included)"
set +e
# --confcutdir: not the suite's root conftest, which starts PostgreSQL and Redis.
timeout 240 $PY -m pytest -q -p no:cacheprovider --confcutdir=tests/unit/paligemma \
  tests/unit/paligemma -rs 2>&1 | tail -n 25 \
  | tee "$OUT_DIR/tests.txt"
set -e

log "benchmark: 896 px, 128 output tokens"
timeout 420 $PY -m bench.paligemma_throughput --new-tokens 128 --json "$OUT_DIR/bench128.json" \
  2>&1 | grep -v -i -E "warn|Loading weights|Writing model" | tee "$OUT_DIR/bench128.txt"
log "done: results in $OUT_DIR"
