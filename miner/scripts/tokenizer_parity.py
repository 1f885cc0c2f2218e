#!/usr/bin/env python3
"""Regenerate miner/engine/tests/data/tokenizer_smollm2.json: reference token ids
from llama.cpp (through llama-cpp-python) for the SmolLM2 GGUF file, which
tests/tokenizer_smollm2.rs compares the engine's tokenizer against.

Usage: python3 miner/scripts/tokenizer_parity.py [MODEL.gguf]
The model path defaults to $INFERNET_MODEL_PATH, else the miner's cache
(~/.cache/infernet/models/SmolLM2-135M-Instruct.Q4_1.gguf). Installs
llama-cpp-python with pip if it is missing (compiles llama.cpp: ~15 minutes).
CI does not run this script; it only reads the JSON it writes.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "miner/engine/tests/data/tokenizer_smollm2.json"
GGUF_OUT = ROOT / "miner/engine/tests/data/gguf_smollm2.json"
SPM_OUT = ROOT / "miner/engine/tests/data/tokenizer_spm_tiny.json"
BPE_OUT = ROOT / "miner/engine/tests/data/tokenizer_bpe_tiny.json"
CHAT_OUT = ROOT / "miner/engine/tests/data/template_smollm2.json"

# Conversations rendered with the file's own chat template by Jinja2 the way
# transformers does (trim_blocks, lstrip_blocks), then tokenized by llama.cpp.
CHATS = [
    ([("user", "Explain what a blockchain is in one sentence.")], True),
    ([("system", "You are terse."), ("user", "Hi!")], True),
    ([("user", "2+2?"), ("assistant", "4"), ("user", "And 3 × 3? 🤔")], True),
    ([("user", "  spaced\n\tcontent  ")], False),
]

# The vector first, then strings that exercise the pre-tokenizer, the
# byte-level alphabet and special-token parsing.
TEXTS = [
    "Hello, world! Infernet encrypts prompts.",
    "",
    " ",
    "a",
    "Héllo, naïve café — résumé, façade, Ångström, Øresund, ß",
    "日本語のテキストと中文文本，还有한국어 텍스트。",
    "Привет, мир! Γειά σου κόσμε. مرحبا بالعالم. שלום עולם",
    "emoji: 😀🎉👍🏽 family: 👨‍👩‍👧‍👦 flag: 🇫🇷 rainbow: 🏳️‍🌈 heart: ❤️",
    "digits 0 1 12 123 1234 12345 3.14159 -42 1e10 0x1F 1,000,000",
    "A long number: 98765432109876543210 and 2026-11-23T13:05:00Z",
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "fn main() {\n\tlet v: Vec<u32> = (0..10).map(|x| x * x).collect();\n\tprintln!(\"{v:?}\");\n}",
    "spaces:  two   three    four     five",
    "tabs:\tone\t\ttwo\t\t\tthree",
    "newlines:\none\n\ntwo\n\n\nthree\r\nwindows\r\n",
    "   leading and trailing   ",
    "\n\n\n",
    "mixed \t \n \t\n whitespace  \n",
    "don't I'll we've they're she's it'd I'm DON'T I'LL",
    "'s 't 're 've 'm 'll 'd ' '' '''",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n",
    "<|endoftext|><|endoftext|>text<|im_end|>",
    "<|im_start|> <|im_end|>  <|im_start|>\n",
    "not special: <|im_start, im_end|>, <| |>, <|im_end|",
    "punctuation!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& (((",
    "URL: https://example.com/path?query=1&x=y#frag and email a.b@c.de",
    "JSON: {\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
    "math: ∑_{i=1}^{n} i² = n(n+1)/2 ≈ ∞ ≠ ∅; x ≤ y ≥ z ± 1 × 2 ÷ 3",
    "control \x01\x02\x7f chars and zero\u200bwidth and nbsp\u00a0here",
    "Combining: e\u0301 a\u0308 n\u0303 and Thai: ภาษาไทย and Hindi: हिन्दी",
    "ALL CAPS SENTENCE. MiXeD CaSe WoRdS. camelCaseIdentifier snake_case_name",
    "Explain what a blockchain is in one sentence.",
]


# Fragments for deterministic random strings: mixing scripts, digits, spaces,
# punctuation and special-token text finds boundary cases hand-picked strings miss.
FRAGMENTS = [
    "the", " The", "don't", "'ll", "'S", "x", "  ", "   ", "\t", "\n", "\n\n", " \n", "\r\n",
    "1", "42", " 7", "3.0", "٣", "²", "½", "Ⅻ", "é", "ñ", "ß", "Œ", "日本", "中文", "한국",
    "ไทย", "हिं", "Ж", "λ", "😀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "❤️", "\u200d", "\u00a0", "\u3000",
    "!", "?!", "...", "--", "()", "{}", "[]", "<", ">", "</", "=>", "::", "#", "@", "$", "%",
    "_", "__init__", "snake_case", "CamelCase", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
    "<|", "|>", "\\", "\"", "'", "`", "~", "ü", "\u0301", "\U0001F9D1\u200d\U0001F4BB",
]


def random_texts(n: int, seed: int = 20261123) -> list:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12))) for _ in range(n)]


def model_path() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    env = os.environ.get("INFERNET_MODEL_PATH")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "infernet/models/SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> None:
    try:
        from llama_cpp import Llama  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "llama-cpp-python"])
    from llama_cpp import Llama

    path = model_path()
    if not path.exists():
        sys.exit(f"model file {path} not found: run `infernet-miner model fetch` first")
    m = Llama(model_path=str(path), n_threads=1, verbose=False, vocab_only=True)
    entries = [
        {"text": t, "ids": m.tokenize(t.encode("utf-8"), add_bos=False, special=True)}
        for t in TEXTS + random_texts(150)
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(" " + json.dumps(e, ensure_ascii=False) for e in entries)
    OUT.write_text("[\n" + lines + "\n]\n", encoding="utf-8")
    print(f"wrote {len(entries)} entries to {OUT}")

    import jinja2

    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(m.metadata["tokenizer.chat_template"])
    chats = []
    for messages, gen in CHATS:
        msgs = [{"role": r, "content": c} for r, c in messages]
        text = template.render(messages=msgs, add_generation_prompt=gen,
                               bos_token="<|im_start|>", eos_token="<|im_end|>")
        ids = m.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        chats.append({"messages": msgs, "add_generation_prompt": gen, "text": text, "ids": ids})
    lines = ",\n".join(" " + json.dumps(c, ensure_ascii=False) for c in chats)
    CHAT_OUT.write_text("[\n" + lines + "\n]\n", encoding="utf-8")
    print(f"wrote {len(chats)} chats to {CHAT_OUT}")
    write_gguf_reference(path)
    write_spm_reference()
    write_bpe_reference()


SPM_PIECES = [
    "\u2581", "e", "t", "h", "l", "o", "\u2581t", "\u2581th", "\u2581the", "he", "ll", "llo",
    "\u2581h", "\u2581he", "\u2581hell", "\u2581hello", "\u2581w", "or", "ld", "\u2581wor",
    "\u2581world", "a", "n", "d", "\u2581a", "\u2581an", "\u2581and", "é", "日", "本", "日本",
    "r", "w", "i", "s", "\u2581is", ",", "!", "\u2581\u2581", "\u2581\u2581\u2581", "x", "c",
    "\u2581c", "at", "\u2581cat", "1", "2", "12", "<user>",
]
SPM_TEXTS = [
    "hello world", " the and", "Hello, 日本!", "", "a\nb  c", "<s>x</s> the",
    "the cat is 12!", "   leading", "trailing   ", "naïve café 😀", "<user>hello<user> world",
    "\t\ttabs", "hell hello helloworld", "日本日本 本日", "a</s>", "x\n\n\ny",
]


def write_spm_reference() -> None:
    """A tiny SentencePiece (`llama`) vocabulary written as a vocab-only GGUF with the
    `gguf` package, tokenized by llama.cpp: reference ids for the SPM path."""
    import tempfile

    import gguf
    from llama_cpp import Llama

    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + SPM_PIECES
    types = [2, 3, 3] + [6] * 256 + [4 if p == "<user>" else 1 for p in SPM_PIECES]
    scores = [0.0] * 259 + [-float(i) for i in range(len(SPM_PIECES))]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "spm.gguf"
        w = gguf.GGUFWriter(str(path), "llama")
        w.add_context_length(64)
        w.add_embedding_length(32)
        w.add_block_count(1)
        w.add_feed_forward_length(64)
        w.add_head_count(2)
        w.add_head_count_kv(1)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_tokenizer_model("llama")
        w.add_token_list(tokens)
        w.add_token_types(types)
        w.add_token_scores(scores)
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_unk_token_id(0)
        w.add_add_bos_token(True)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        m = Llama(model_path=str(path), vocab_only=True, verbose=False)
        cases = [
            {"text": t, "add_bos": bos,
             "ids": m.tokenize(t.encode("utf-8"), add_bos=bos, special=True)}
            for t in SPM_TEXTS for bos in (False, True)
        ]
    ref = {"tokens": tokens, "types": types, "scores": scores, "cases": cases}
    SPM_OUT.write_text(json.dumps(ref, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} SentencePiece cases to {SPM_OUT}")


BPE_CORPUS = (
    "the quick brown fox jumps over the lazy dog. Hello world! I'll say it's THE END. "
    "Numbers 123 4567 2024 and 3.14; code: def f(x):\n    return x + 1\n\n"
    "don't can't WON'T we've they're you'd SHE'LL  spaces   and\ttabs\r\nlines "
    "naïve café 日本語 😀 Привет мир"
)


def bytes_to_unicode() -> dict:
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tiny_bpe_vocab(n_merges: int = 300):
    """A small byte-level BPE vocabulary trained on BPE_CORPUS (words split on spaces)."""
    b2u = bytes_to_unicode()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokens = specials + [b2u[b] for b in range(256)]
    words = {}
    for i, w in enumerate(BPE_CORPUS.split(" ")):
        w = w if i == 0 else " " + w
        key = tuple(b2u[b] for b in w.encode("utf-8"))
        words[key] = words.get(key, 0) + 1
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for syms, c in words.items():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best[0] + " " + best[1])
        tokens.append(best[0] + best[1])
        new_words = {}
        for syms, c in words.items():
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and (syms[i], syms[i + 1]) == best:
                    out.append(syms[i] + syms[i + 1])
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            new_words[tuple(out)] = new_words.get(tuple(out), 0) + c
        words = new_words
    types = [3, 3, 3] + [1] * (len(tokens) - 3)
    return tokens, types, merges


def write_bpe_reference() -> None:
    """A tiny byte-level BPE vocabulary under several `tokenizer.ggml.pre` values
    (gpt-2, smollm, llama-bpe), tokenized by llama.cpp: reference ids for each
    pre-tokenizer."""
    import tempfile

    import gguf
    from llama_cpp import Llama

    tokens, types, merges = tiny_bpe_vocab()
    texts = TEXTS + random_texts(60, seed=7) + [
        "I'LL DON'T It'S we'Re 'VE", "1234567 12 1", "a\n\n b \r\n\r\nc", "x  \n  y",
        "?!\n\nz", " ...\r\n", "\t\tword", "élan 日本語", "the  the   the",
    ]
    out = {"tokens": tokens, "types": types, "merges": merges, "pre": {}}
    for pre in ["gpt-2", "smollm", "llama-bpe"]:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "bpe.gguf"
            w = gguf.GGUFWriter(str(path), "llama")
            w.add_context_length(64)
            w.add_embedding_length(32)
            w.add_block_count(1)
            w.add_feed_forward_length(64)
            w.add_head_count(2)
            w.add_head_count_kv(1)
            w.add_layer_norm_rms_eps(1e-5)
            w.add_tokenizer_model("gpt2")
            w.add_tokenizer_pre(pre)
            w.add_token_list(tokens)
            w.add_token_types(types)
            w.add_token_merges(merges)
            w.add_bos_token_id(1)
            w.add_eos_token_id(2)
            w.write_header_to_file()
            w.write_kv_data_to_file()
            w.write_tensors_to_file()
            w.close()
            m = Llama(model_path=str(path), vocab_only=True, verbose=False)
            out["pre"][pre] = [
                {"text": t, "ids": m.tokenize(t.encode("utf-8"), add_bos=False, special=True)}
                for t in texts
            ]
    BPE_OUT.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(texts)} texts x {len(out['pre'])} pre-tokenizers to {BPE_OUT}")


def write_gguf_reference(path: Path) -> None:
    """Reference values for the GGUF reader from the `gguf` Python package (the
    llama.cpp project's reader): model id, header facts, dequantized rows."""
    try:
        import blake3
        import gguf
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "gguf", "blake3"])
        import blake3
        import gguf

    reader = gguf.GGUFReader(str(path))
    tensors = {t.name: t for t in reader.tensors}
    rows = []
    for name, row in [("token_embd.weight", 19556), ("token_embd.weight", 0),
                      ("blk.0.ffn_down.weight", 0), ("blk.29.attn_q.weight", 575),
                      ("blk.0.attn_norm.weight", 0), ("output_norm.weight", 0)]:
        t = tensors[name]
        values = gguf.quants.dequantize(t.data, t.tensor_type).reshape(-1, int(t.shape[0]))[row]
        rows.append({"tensor": name, "type": t.tensor_type.name, "dims": [int(d) for d in t.shape],
                     "offset": int(t.data_offset), "row": row,
                     "values": [float(v) for v in values]})
    ref = {
        "file_size": path.stat().st_size,
        "blake3": blake3.blake3(path.read_bytes()).hexdigest(),
        "tensor_count": len(reader.tensors),
        "kv_count": len(reader.fields) - 3,  # GGUF.version/tensor_count/kv_count pseudo-fields
        "rows": rows,
    }
    GGUF_OUT.write_text(json.dumps(ref) + "\n", encoding="utf-8")
    print(f"wrote GGUF reference values to {GGUF_OUT}")


if __name__ == "__main__":
    main()
