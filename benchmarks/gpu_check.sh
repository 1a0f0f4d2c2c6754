#!/usr/bin/env bash
# The prepared device check: GPU tests, then training cost on the CPU and the GPU in one
# call, so every ratio compares figures of one machine. The GPU machine has PyTorch,
# numpy, scikit-learn and pandas but no Kedro, no MLflow and no network: carry the
# other wheels, made here with
#   pip download --only-binary=:all: --python-version 3.12 \
#     --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
#     -d gpu-wheels pydantic omegaconf pytest pytest-xdist execnet tqdm distributed
# and run (device tool): carry=["gpu-wheels"], command "bash benchmarks/gpu_check.sh".
#
#   bash benchmarks/gpu_check.sh --dry-run   # on a CPU: the same steps, CUDA skipped
#
# .ci/run runs the dry run in a venv holding only torch, numpy, scikit-learn, pandas
# and the carried wheels, so a Kedro import in the modeling code cannot creep back.
set -uo pipefail
cd "$(dirname "$0")/.."
dry_run=0
[[ "${1:-}" == "--dry-run" ]] && dry_run=1
failed=0
step() {  # run a step, remember a failure, go on (a GPU's minutes are scarce)
  "$@" || { echo "gpu_check: FAILED: $*"; failed=1; }
}

pip install --quiet --no-index --find-links gpu-wheels pydantic omegaconf pytest pytest-xdist execnet tqdm distributed \
  || { echo "gpu_check: the carried wheels do not install (gpu-wheels/)"; exit 1; }
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
if (( dry_run )); then
  echo "gpu_check: dry run on the CPU ($(python -c 'import platform; print(platform.processor() or platform.machine())')): CUDA steps skipped"
else
  step nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
fi
step python -m pytest -q -rs -n 0 tests/gpu -p no:cacheprovider
if (( dry_run )); then
  step python benchmarks/training_overhead.py --device cpu --shapes 64x32x8 --epochs 2
else
  step python benchmarks/training_overhead.py --device cpu --shapes 661x160x38 --epochs 3
  step python benchmarks/training_overhead.py --device cuda \
    --shapes 661x160x38,20000x160x38
  step python benchmarks/training_overhead.py --device cuda --precision bf16 \
    --shapes 661x160x38,20000x160x38
fi
echo "gpu_check: done ($([[ $failed == 0 ]] && echo 'every step passed' || echo 'a step FAILED'))"
exit $failed
