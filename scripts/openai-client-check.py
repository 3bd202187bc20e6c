#!/usr/bin/env python3
"""Drives a running `pdrop serve` with the official `openai` Python client (run by .ci/run).

    python scripts/openai-client-check.py http://127.0.0.1:PORT/v1 IMAGE.png

One plain request, the same request streamed (greedy, so the reassembled text must equal the plain
answer), and one with a base64 image; exits non-zero on any mismatch.
"""
import base64
import sys

from openai import OpenAI


def main():
    base_url, image = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key="unused")
    messages = [{"role": "user", "content": "Describe a sunny day."}]
    plain = client.chat.completions.create(model="pdrop", messages=messages, max_tokens=8, temperature=0)
    text = plain.choices[0].message.content
    assert plain.object == "chat.completion" and plain.usage.completion_tokens > 0, plain
    streamed = client.chat.completions.create(model="pdrop", messages=messages, max_tokens=8, temperature=0, stream=True,
                                              stream_options={"include_usage": True})
    pieces, usage = [], None
    for chunk in streamed:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert "".join(pieces) == text, ("streamed", "".join(pieces), "plain", text)
    assert usage is not None and usage.completion_tokens == plain.usage.completion_tokens, usage
    data = base64.b64encode(open(image, "rb").read()).decode()
    with_image = client.chat.completions.create(model="pdrop", max_tokens=4, temperature=0, messages=[{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
        {"type": "text", "text": "What is shown in this picture?"}]}])
    assert with_image.choices[0].finish_reason in ("stop", "length") and with_image.usage.prompt_tokens > 64, with_image
    print("openai client: plain, streamed and image requests ok")


if __name__ == "__main__":
    main()
