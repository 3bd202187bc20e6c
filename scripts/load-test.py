#!/usr/bin/env python3
"""A bounded load test of a running `pdrop serve` (loopback only, stdlib only): N streamed requests
from C concurrent clients; prints requests/s, p50/p99 latency and time to first token, and fails
unless every request got either a complete answer (ending in [DONE]) or a 429 — none lost, no 5xx.

    python3 scripts/load-test.py PORT [REQUESTS] [CONCURRENCY] [MAX_TOKENS] [IMAGE]

With IMAGE (a PNG or JPEG file), every request asks about that image (the server's image cache
answers all but the first from its features).
"""
import base64
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request


def one(port, max_tokens, image, results, lock):
    content = "Describe a sunny day."
    if image:
        content = [{"type": "image_url", "image_url": {"url": image}}, {"type": "text", "text": "Describe this picture."}]
    body = json.dumps({"messages": [{"role": "user", "content": content}], "max_tokens": max_tokens,
                       "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    start, first, outcome, tokens = time.monotonic(), None, "lost", 0
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            for line in response:
                if line.startswith(b"data: ") and first is None:
                    first = time.monotonic() - start
                if line.strip() == b"data: [DONE]":
                    outcome = "done"
                elif line.startswith(b"data: {") and b'"usage"' in line:
                    tokens = (json.loads(line[6:]).get("usage") or {}).get("completion_tokens", 0)
    except urllib.error.HTTPError as error:
        outcome = "429" if error.code == 429 else f"http {error.code}"
    except Exception as error:  # a connection that broke: lost
        outcome = f"error {error}"
    with lock:
        results.append((outcome, time.monotonic() - start, first, tokens))


def main():
    port = int(sys.argv[1])
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    max_tokens = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    image = None
    if len(sys.argv) > 5 and sys.argv[5]:
        kind = "png" if sys.argv[5].lower().endswith(".png") else "jpeg"
        with open(sys.argv[5], "rb") as f:
            image = f"data:image/{kind};base64," + base64.b64encode(f.read()).decode()
    results, lock, next_index = [], threading.Lock(), iter(range(total))

    def client():
        for _ in next_index:
            one(port, max_tokens, image, results, lock)
    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    done = [r for r in results if r[0] == "done"]
    refused = [r for r in results if r[0] == "429"]
    bad = [r for r in results if r[0] not in ("done", "429")]
    def pct(values, p):
        return sorted(values)[min(len(values) - 1, int(p * len(values)))] if values else float("nan")
    latencies, ttft = [r[1] for r in done], [r[2] for r in done if r[2] is not None]
    print(f"{total} requests, {concurrency} clients: {len(done)} answered, {len(refused)} refused (429), {len(bad)} lost or failed")
    print(f"{len(done) / wall:.2f} requests/s; latency p50 {pct(latencies, 0.5):.3f} s, p99 {pct(latencies, 0.99):.3f} s; "
          f"time to first token p50 {pct(ttft, 0.5):.3f} s, p99 {pct(ttft, 0.99):.3f} s; "
          f"{sum(r[3] for r in done) / wall:.1f} tokens/s in all ({sum(r[3] for r in done)} tokens, at most {max_tokens} per answer)")
    if bad or len(results) != total:
        print("failures:", bad[:5])
        sys.exit(1)


if __name__ == "__main__":
    main()
