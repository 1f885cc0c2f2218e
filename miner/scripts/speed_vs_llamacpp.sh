#!/usr/bin/env bash
# Side-by-side speed: `infernet-miner bench` against llama.cpp (llama-cpp-python) on the
# same GGUF file, same thread count, same prompt length (200 tokens) and decode length
# (128 tokens). Prints both, the ratios (ours / llama.cpp) and both peak RSS.
#
#   miner/scripts/speed_vs_llamacpp.sh [MODEL.gguf] [THREADS]
#
# Needs: `pip install llama-cpp-python` (compiles llama.cpp, ~15 min). Builds the miner
# in release unless INFERNET_MINER_BIN points at a binary. Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${1:-${INFERNET_MODEL_PATH:-$HOME/.cache/infernet/models/SmolLM2-135M-Instruct.Q4_1.gguf}}"
THREADS="${2:-1}"
if [ -z "${INFERNET_MINER_BIN:-}" ]; then
  cargo build --release -q -p infernet-miner --bin infernet-miner
  INFERNET_MINER_BIN="${CARGO_TARGET_DIR:-target}/release/infernet-miner"
fi
ours=$("$INFERNET_MINER_BIN" bench --model "$MODEL" --threads "$THREADS" --json)
theirs=$(python3 - "$MODEL" "$THREADS" <<'PY'
import json, resource, sys, time
from llama_cpp import Llama
model, threads = sys.argv[1], int(sys.argv[2])
m = Llama(model_path=model, n_ctx=1024, n_batch=512, n_threads=threads,
          n_threads_batch=threads, verbose=False)
text = ("The history of computing is a story of people who wanted to calculate faster "
        "and more reliably than they could by hand. ") * 20
prompt = m.tokenize(text.encode(), add_bos=False)[:200]
m.eval(prompt[:8]); m.reset()                      # warm-up
t0 = time.perf_counter(); m.eval(prompt); t1 = time.perf_counter()
tok = prompt[-1]
t2 = time.perf_counter()
for _ in range(128):
    m.eval([tok]); tok = int(m.scores[m.n_tokens - 1].argmax())
t3 = time.perf_counter()
print(json.dumps({"prefill_tokens_per_s": len(prompt) / (t1 - t0),
                  "decode_tokens_per_s": 128 / (t3 - t2),
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "threads": threads}))
PY
)
python3 - "$ours" "$theirs" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"threads {o['threads']}")
print(f"{'':10} {'infernet':>12} {'llama.cpp':>12} {'ratio':>8}")
for k, name in [("prefill_tokens_per_s", "prefill"), ("decode_tokens_per_s", "decode")]:
    print(f"{name:10} {o[k]:12.1f} {t[k]:12.1f} {o[k] / t[k]:7.2f}x")
mib = lambda b: (b or 0) / 2**20
print(f"{'peak RSS':10} {mib(o['peak_rss_bytes']):10.0f}Mi {mib(t['peak_rss_bytes']):10.0f}Mi")
PY
