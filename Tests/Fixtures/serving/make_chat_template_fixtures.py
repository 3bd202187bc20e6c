"""Renders conversations with the llava-hf chat templates as transformers' apply_chat_template
does (its sandboxed jinja2 environment, the `generation` extension), for ServingTests'
ConversationRenderingTests. Run with the repository's venv:
    venv/bin/python Tests/Fixtures/serving/make_chat_template_fixtures.py
Templates: llava-hf/llava-1.5-7b-hf and llava-hf/llava-onevision-qwen2-0.5b-ov-hf chat_template.json."""
import json
import os

from transformers.utils.chat_template_utils import render_jinja_template

LLAVA_HF = "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
ONEVISION = "{% for message in messages %}{{'<|im_start|>' + message['role'] + ' '}}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}{# Render all video then #}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\n' + content['text'] }}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ '\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"


def text(t):
    return {"type": "text", "text": t}


IMAGE = {"type": "image"}

CONVERSATIONS = {
    "one image": [{"role": "user", "content": [IMAGE, text("What is in the image?")]}],
    "text only": [{"role": "user", "content": [text("Say hello.")]}],
    "text before image": [{"role": "user", "content": [text("Describe this:"), IMAGE]}],
    "two images, two texts": [{"role": "user", "content": [IMAGE, text("First this."), IMAGE, text("Then compare.")]}],
    "system": [{"role": "system", "content": [text("Answer briefly.")]},
               {"role": "user", "content": [IMAGE, text("What colour is it?")]}],
    "multi-turn": [{"role": "system", "content": [text("You are helpful.")]},
                   {"role": "user", "content": [IMAGE, text("What is it?")]},
                   {"role": "assistant", "content": [text("A red square.")]},
                   {"role": "user", "content": [IMAGE, text("And this one?")]}],
}

cases = []
for name, messages in CONVERSATIONS.items():
    rendered = {}
    for template_name, template in (("llava-hf", LLAVA_HF), ("qwen2", ONEVISION)):
        prompts, _ = render_jinja_template(conversations=[messages], chat_template=template, add_generation_prompt=True)
        rendered[template_name] = prompts[0]
    cases.append({"name": name, "messages": messages, "rendered": rendered})

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "chat_templates.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1, ensure_ascii=False)
    f.write("\n")
