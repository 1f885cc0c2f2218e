#!/usr/bin/env python3
"""Regenerate miner/engine/tests/data/smollm2_greedy.json from llama.cpp.

For each prompt: render the model's own chat template (Jinja, one user turn,
add_generation_prompt=True), tokenize it with llama.cpp (special tokens parsed),
and record llama.cpp's greedy continuation (argmax, no penalties) until the
end-of-generation token or MAX_TOKENS.

Needs `pip install llama-cpp-python jinja2` (llama.cpp compiles from source, ~15 min).
Usage: python3 miner/scripts/llamacpp_reference.py [MODEL.gguf] [OUT.json]
Model default: $INFERNET_MODEL_PATH, else ~/.cache/infernet/models/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import hashlib
import json
import os
import sys

MAX_TOKENS = 48
PROMPTS = [
    "Explain what a blockchain is in one sentence.",
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "List three prime numbers greater than 10.",
    "Translate 'good morning' into Spanish.",
]


def default_model():
    env = os.environ.get("INFERNET_MODEL_PATH")
    if env:
        return env
    return os.path.expanduser("~/.cache/infernet/models/SmolLM2-135M-Instruct.Q4_1.gguf")


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else default_model()
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "..", "engine", "tests", "data", "smollm2_greedy.json")
    try:
        from llama_cpp import Llama
        import jinja2
    except ImportError:
        sys.exit("needs: pip install llama-cpp-python jinja2")

    m = Llama(model_path=model, n_ctx=2048, n_threads=1, verbose=False, logits_all=False)
    template = m.metadata["tokenizer.chat_template"]
    env = jinja2.Environment(loader=jinja2.BaseLoader())
    tmpl = env.from_string(template)
    eos = m.token_eos()
    # End-of-generation ids: EOS plus the ChatML end-of-turn / end-of-text specials.
    eog = {eos}
    for special in (b"<|im_end|>", b"<|endoftext|>"):
        ids = m.tokenize(special, add_bos=False, special=True)
        if len(ids) == 1:
            eog.add(ids[0])
    cases = []
    for prompt in PROMPTS:
        text = tmpl.render(messages=[{"role": "user", "content": prompt}],
                           add_generation_prompt=True, bos_token="", eos_token="")
        ids = m.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        out_ids = []
        for tok in m.generate(ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0,
                              repeat_penalty=1.0, reset=True):
            if tok in eog:
                break
            out_ids.append(tok)
            if len(out_ids) >= MAX_TOKENS:
                break
        cases.append({
            "user": prompt,
            "prompt_ids": ids,
            "greedy_ids": out_ids,
            "text": m.detokenize(out_ids).decode("utf-8", "replace"),
        })
        print(f"{prompt!r}: {len(ids)} prompt ids, {len(out_ids)} generated", file=sys.stderr)
    with open(model, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    doc = {
        "generator": "miner/scripts/llamacpp_reference.py",
        "llama_cpp_python": __import__("llama_cpp").__version__,
        "model_file": os.path.basename(model),
        "model_sha256": sha,
        "max_tokens": MAX_TOKENS,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
