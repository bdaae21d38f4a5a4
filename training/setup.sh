#!/usr/bin/env bash
# Installs what training needs on Debian (bookworm): Python 3 with CPU torch, onnx,
# numpy, Pillow, and the threaded OpenBLAS (without it torch uses a slow reference BLAS).
# Chromium renders the formulas; the handwriting fonts are for the 'hand' set (training/render). Run as root (or with sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  python3 python3-torch python3-numpy python3-pil python3-onnx libopenblas0-pthread \
  chromium fonts-dejavu-core \
  fonts-comic-neue fonts-breip fonts-dkg-handwriting fonts-klee fonts-kristi fonts-sjfonts  # the 'hand' renders
/usr/bin/python3 -c "import torch, onnx, numpy, PIL; print('torch', torch.__version__, 'onnx', onnx.__version__)"
