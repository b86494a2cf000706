#!/usr/bin/env bash
# Build the Lambda dependency layer: wheels for the Lambda platform (no Docker, no compiling).
# Needs PyPI; synth does not. Architecture follows the lambdaArchitecture context (default arm64).
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${LAMBDA_ARCHITECTURE:-$(python3 -c 'import json; print(json.load(open("infra/cdk.json"))["context"].get("lambdaArchitecture", "arm64"))')}"
case "$arch" in
  arm64) platform=manylinux2014_aarch64 ;;
  x86_64) platform=manylinux2014_x86_64 ;;
  *) echo "package: unknown lambdaArchitecture '$arch' (arm64 or x86_64)" >&2; exit 1 ;;
esac
out=infra/build/lambda-deps
rm -rf "$out"
mkdir -p "$out/python"
.venv/bin/python -m pip install --quiet --target "$out/python" --platform "$platform" \
  --implementation cp --python-version 3.11 --only-binary=:all: -r infra/lambda-requirements.txt
find "$out" -name '__pycache__' -type d -prune -exec rm -rf {} +
echo "package: $(du -sh "$out" | cut -f1) of Lambda dependencies for $arch in $out"
