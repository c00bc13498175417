"""The main job: a TransNormerLLM-style decoder exported from PyTorch,
compiled by lightfuse, prefilled with a prompt and decoded greedily, checked
against and timed next to PyTorch eager in the same process.

    python3 examples/run_decoder.py [--build build] [--threads 1] [--layers 6] ...

Weights are random with a fixed seed, written once to build/decoder/; the
ONNX exports and the compiled objects (the JIT's disk cache) are reused by
later runs. Prefill returns the last position's logits and the per-layer
recurrent states; each decode step reads the states from one caller-owned
buffer set and writes the new ones into the other (no copy per token).
"""

import argparse
import hashlib
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import lightfuse  # noqa: E402
from transnormer_decoder import Config, Decoder, DecodeStep, Prefill  # noqa: E402

T0 = time.perf_counter()


def say(msg):
    print(f"[{time.perf_counter() - T0:6.1f}s] {msg}", flush=True)


def rel_err(got, want):
    want = np.asarray(want, np.float64)
    return float(np.max(np.abs(np.asarray(got, np.float64) - want)) / max(1e-30, np.max(np.abs(want))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--d-model", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--ffn", type=int, default=2048)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3, help="prefill timing repeats")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = Config(args.vocab, args.d_model, args.heads, args.ffn, args.layers)
    L, H, dh = cfg.layers, cfg.heads, cfg.head_dim

    # 1. Weights (fixed seed, written once) and the two exports.
    key = hashlib.sha256((open(os.path.join(HERE, "transnormer_decoder.py")).read() +
                          repr(vars(cfg))).encode()).hexdigest()[:12]
    work = os.path.join(args.build, "decoder", key)
    os.makedirs(work, exist_ok=True)
    wpath = os.path.join(work, "weights.pt")
    dec = Decoder(cfg)
    if os.path.exists(wpath):
        dec.load_state_dict(torch.load(wpath))
        say(f"weights: {wpath}")
    else:
        dec.init_(seed=0)
        torch.save(dec.state_dict(), wpath)
        say(f"weights generated (seed 0) and written to {wpath}")
    dec.eval()
    nparams = sum(p.numel() for p in dec.parameters())
    say(f"model: {L} layers, d_model {cfg.d_model}, {H} heads of {dh}, SGLU {cfg.ffn}, "
        f"vocab {cfg.vocab}: {nparams / 1e6:.1f}M parameters (f32)")
    prefill_t, step_t = Prefill(dec).eval(), DecodeStep(dec).eval()
    state_names = [f"state{i}" for i in range(L)]
    pre_path, step_path = os.path.join(work, "prefill.onnx"), os.path.join(work, "decode.onnx")
    example = torch.zeros(1, 8, dtype=torch.long)
    zero_states = [torch.zeros(1, H, dh, dh) for _ in range(L)]

    # 2. Export (torch.onnx, once) and compile both entry points at the same
    #    time (lf-import-onnx -> lf-optimize -> JIT; objects cached on disk).
    t = time.perf_counter()
    if not (os.path.exists(pre_path) and os.path.exists(step_path)):
        say("exporting prefill and decode step with torch.onnx ...")
        lightfuse.export_torch(prefill_t, (example,), pre_path, ["tokens"],
                               ["logits"] + state_names, {"tokens": {1: "seq"}})
        lightfuse.export_torch(step_t, (example[:, :1], *zero_states), step_path,
                               ["token"] + state_names,
                               ["logits"] + ["new_" + n for n in state_names])
        say(f"exported ({time.perf_counter() - t:.1f}s)")
    t = time.perf_counter()
    say("compiling (the first run JIT-compiles; later runs load the cached objects) ...")
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(lightfuse.compile_onnx, p, threads=args.threads)
                for p in (pre_path, step_path)]
        pre, step = (j.result() for j in jobs)
    say(f"compiled prefill and decode step ({time.perf_counter() - t:.1f}s incl. import and JIT)")

    rng = np.random.default_rng(1)
    prompt = rng.integers(0, cfg.vocab, (1, args.prompt), dtype=np.int64)

    # 3. PyTorch eager: prefill, greedy decode.
    with torch.no_grad():
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            ref = prefill_t(torch.from_numpy(prompt))
            times.append(time.perf_counter() - t)
        torch_prefill = statistics.median(times)
        say(f"PyTorch eager prefill of {args.prompt} tokens: {torch_prefill * 1e3:.0f} ms")
        ref_logits = [ref[0].numpy()]
        states = list(ref[1:])
        tokens = [int(ref[0].argmax(-1))]
        times = []
        for i in range(args.new_tokens):
            t = time.perf_counter()
            out = step_t(torch.tensor([[tokens[-1]]]), *states)
            times.append(time.perf_counter() - t)
            states = list(out[1:])
            ref_logits.append(out[0].numpy())
            tokens.append(int(out[0].argmax(-1)))
        torch_decode = statistics.median(times)
        say(f"PyTorch eager decode: {args.new_tokens} tokens, {torch_decode * 1e3:.2f} ms/token")

    # 4. lightfuse: the same prompt, then one step per token, states
    #    ping-ponging between two caller-owned buffer sets.
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        got = pre(prompt)
        times.append(time.perf_counter() - t)
    lf_prefill = statistics.median(times)
    say(f"lightfuse prefill of {args.prompt} tokens: {lf_prefill * 1e3:.0f} ms")
    errs = [rel_err(got[0], ref_logits[0])] + [rel_err(a, b) for a, b in zip(got[1:], ref[1:])]
    bufs = [list(got[1:]), [np.empty_like(s) for s in got[1:]]]
    logits = np.empty((1, cfg.vocab), np.float32)
    token = np.empty((1, 1), np.int64)
    lf_tokens = [int(np.argmax(got[0]))]
    times, step_errs = [], []
    for i in range(args.new_tokens):
        token[0, 0] = tokens[i]  # PyTorch's greedy path, so logits compare step by step
        src, dst = bufs[i % 2], bufs[(i + 1) % 2]
        t = time.perf_counter()
        step(token, *src, out=[logits] + dst)
        times.append(time.perf_counter() - t)
        step_errs.append(rel_err(logits, ref_logits[i + 1]))
        lf_tokens.append(int(np.argmax(logits)))
        if (i + 1) % 16 == 0:
            say(f"  decoded {i + 1}/{args.new_tokens} tokens")
    lf_decode = statistics.median(times)
    say(f"lightfuse decode: {args.new_tokens} tokens, {lf_decode * 1e3:.2f} ms/token")

    # 5. Verdict.
    agree = sum(a == b for a, b in zip(lf_tokens, tokens))
    worst = max(errs + step_errs)
    print()
    print(f"{'':24s}{'prefill tok/s':>16s}{'decode ms/token':>18s}")
    print(f"{'PyTorch eager':24s}{args.prompt / torch_prefill:16.0f}{torch_decode * 1e3:18.2f}")
    print(f"{'lightfuse':24s}{args.prompt / lf_prefill:16.0f}{lf_decode * 1e3:18.2f}")
    print(f"{'speed-up':24s}{torch_prefill / lf_prefill:15.2f}x{torch_decode / lf_decode:17.2f}x")
    print(f"threads {args.threads}; logits and states vs PyTorch: max relative error "
          f"{worst:.2e} (prefill {max(errs):.2e}, decode {max(step_errs):.2e}); "
          f"greedy tokens agreeing: {agree}/{len(tokens)}")
    ok = worst <= 1e-4 and agree == len(tokens)
    print("decoder check:", "PASS" if ok else "FAIL")
    say("done")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
