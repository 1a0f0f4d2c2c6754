#!/usr/bin/env bash
# The prepared device check: GPU tests, then training cost on the CPU and the GPU in one
# call, so every ratio compares figures of one machine. The GPU machine has PyTorch,
# numpy, scikit-learn and pandas but no network: carry the other wheels, made here with
#   pip download --only-binary=:all: --python-version 3.12 \
#     --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
#     -d gpu-wheels pydantic omegaconf pytest
# and run (device tool): carry=["gpu-wheels"], command "bash benchmarks/gpu_check.sh".
set -uo pipefail
cd "$(dirname "$0")/.."
pip install --quiet --no-index --find-links gpu-wheels pydantic omegaconf pytest
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python -m pytest -q tests/gpu -p no:cacheprovider
python benchmarks/training_overhead.py --device cpu --shapes 661x160x38 --epochs 3
python benchmarks/training_overhead.py --device cuda --shapes 661x160x38,20000x160x38
python benchmarks/training_overhead.py --device cuda --precision bf16 \
  --shapes 661x160x38,20000x160x38
