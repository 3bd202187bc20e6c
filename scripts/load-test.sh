#!/usr/bin/env bash
# Bounded load test of `pdrop serve` on loopback: starts the server on MODEL with --parallel P,
# sends REQUESTS streamed requests from CONCURRENCY clients (scripts/load-test.py), stops the
# server with SIGTERM. Usage: scripts/load-test.sh [MODEL] [PARALLEL] [REQUESTS] [CONCURRENCY] [MAX_TOKENS] [IMAGE]
# (with IMAGE, every request asks about that image file).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-Tests/Fixtures/llava/tiny-llava-hf}
parallel=${2:-1}
requests=${3:-32}
concurrency=${4:-4}
tokens=${5:-16}
image=${6:-}
pdrop=${PDROP:-.build/release/pdrop}
port=$((20000 + RANDOM % 20000))
"$pdrop" serve --model "$model" --port "$port" --parallel "$parallel" --max-queue 8 --max-new-tokens "$tokens" 2> /dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/health" > /dev/null || { echo "load-test: $pdrop serve did not come up on port $port" >&2; exit 1; }
echo "pdrop serve --parallel $parallel on $model"
python3 scripts/load-test.py "$port" "$requests" "$concurrency" "$tokens" "$image"
kill -TERM "$server" && wait "$server"
trap - EXIT
