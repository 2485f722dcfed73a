#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this node in Spark's resource format.
# Uses nvidia-smi; respects CUDA_VISIBLE_DEVICES when a container runtime sets it.
set -euo pipefail
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  addrs=$(echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\n' | awk '{printf "%s\"%d\"", (NR>1?",":""), NR-1}')
else
  addrs=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/","/g')
  addrs="\"$addrs\""
fi
echo "{\"name\": \"gpu\", \"addresses\": [$addrs]}"
