"""The decoder of examples/transnormer_decoder.py, whole: prefill of a
512-token prompt (tokens/s) and one decode step (ms/token), lightfuse against
PyTorch eager and torch.compile in the same process, 1 and 2 threads; then
decode latency after contexts of 1k, 8k and 32k tokens (the recurrent state
is fixed-size, so it should not grow).

    PYTHONPATH=python python benchmarks/decoder_bench.py [--quick]

Run by benchmarks/run-decoder.sh (PyTorch 2.x from build/peers-venv, so
torch.compile is there; with Debian's 1.13 the torch.compile rows say
unavailable). Weights: random, seed 0, the demo's configuration. Medians of
--repeats runs after a warm-up; lightfuse decodes into caller-owned state
buffers (no copy per token).
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import lightfuse  # noqa: E402
from transnormer_decoder import Config, Decoder, DecodeStep, Prefill  # noqa: E402


def median_time(fn, repeats, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=32, help="decode steps timed")
    ap.add_argument("--contexts", default="1024,8192,32768")
    ap.add_argument("--quick", action="store_true", help="2 layers, contexts 1k/4k")
    args = ap.parse_args()
    cfg = Config(layers=2) if args.quick else Config()
    if args.quick:
        args.contexts = "1024,4096"
    L, H, dh = cfg.layers, cfg.heads, cfg.head_dim
    work = os.path.join(ROOT, "build", "decoder-bench", f"L{L}")
    os.makedirs(work, exist_ok=True)
    dec = Decoder(cfg).init_(seed=0).eval()
    pre_t, step_t = Prefill(dec).eval(), DecodeStep(dec).eval()
    names = [f"state{i}" for i in range(L)]
    pre_path, step_path = os.path.join(work, "prefill.onnx"), os.path.join(work, "decode.onnx")
    ex = torch.zeros(1, 8, dtype=torch.long)
    zeros = [torch.zeros(1, H, dh, dh) for _ in range(L)]
    lightfuse.export_torch(pre_t, (ex,), pre_path, ["tokens"], ["logits"] + names,
                           {"tokens": {1: "seq"}})
    lightfuse.export_torch(step_t, (ex[:, :1], *zeros), step_path, ["token"] + names,
                           ["logits"] + ["new_" + n for n in names])
    rng = np.random.default_rng(1)
    prompt = rng.integers(0, cfg.vocab, (1, args.prompt), dtype=np.int64)
    print(f"model: {L} layers, d_model {cfg.d_model}, {H} heads, SGLU {cfg.ffn}, vocab "
          f"{cfg.vocab}; prompt {args.prompt}; PyTorch {torch.__version__}")
    print()
    print("| threads | system | prefill tok/s | decode ms/token | prefill vs eager | decode vs eager |")
    print("|---|---|---|---|---|---|")
    decode_models = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        rows = {}
        with torch.no_grad():
            tp = torch.from_numpy(prompt)
            ref = pre_t(tp)
            states = list(ref[1:])
            tok = torch.tensor([[3]])
            rows["PyTorch eager"] = (median_time(lambda: pre_t(tp), args.repeats),
                                     median_time(lambda: step_t(tok, *states), args.steps))
            try:
                cpre = torch.compile(pre_t)
                cstep = torch.compile(step_t)
                rows["torch.compile"] = (median_time(lambda: cpre(tp), args.repeats, 2),
                                         median_time(lambda: cstep(tok, *states), args.steps, 3))
            except Exception as e:  # noqa: BLE001 - report, do not hide
                rows["torch.compile"] = (f"unavailable ({type(e).__name__})",) * 2
        pre = lightfuse.compile_onnx(pre_path, threads=threads)
        step = lightfuse.compile_onnx(step_path, threads=threads)
        decode_models[threads] = step
        got = pre(prompt)
        err = float(np.max(np.abs(got[0] - ref[0].numpy())) / np.max(np.abs(ref[0].numpy())))
        src = list(got[1:])
        dst = [np.empty_like(s) for s in src]
        logits = np.empty((1, cfg.vocab), np.float32)
        token = np.array([[3]], np.int64)
        rows["lightfuse"] = (median_time(lambda: pre(prompt), args.repeats),
                             median_time(lambda: step(token, *src, out=[logits] + dst), args.steps))
        eager = rows["PyTorch eager"]
        for name, (tp_, td_) in rows.items():
            if isinstance(tp_, str):
                print(f"| {threads} | {name} | {tp_} | | | |")
                continue
            print(f"| {threads} | {name} | {args.prompt / tp_:.0f} | {td_ * 1e3:.2f} | "
                  f"{eager[0] / tp_:.2f}x | {eager[1] / td_:.2f}x |")
        print(f"|  | (lightfuse prefill logits vs eager: rel. err {err:.1e}) | | | | |")
    # Decode latency after long contexts: the states come from lightfuse's
    # prefill of that many tokens (2 threads); PyTorch eager's decode step
    # reads the same states.
    print()
    print("| context | lightfuse decode ms/token (1 thread) | PyTorch eager ms/token (1 thread) |")
    print("|---|---|---|")
    pre2 = lightfuse.compile_onnx(pre_path, threads=2)
    torch.set_num_threads(1)
    for ctx in [int(c) for c in args.contexts.split(",")]:
        tokens = rng.integers(0, cfg.vocab, (1, ctx), dtype=np.int64)
        out = pre2(tokens)
        src = list(out[1:])
        dst = [np.empty_like(s) for s in src]
        logits = np.empty((1, cfg.vocab), np.float32)
        token = np.array([[5]], np.int64)
        lf_ms = median_time(lambda: decode_models[1](token, *src, out=[logits] + dst), args.steps)
        ts = [torch.from_numpy(s) for s in src]
        with torch.no_grad():
            pt_ms = median_time(lambda: step_t(torch.tensor([[5]]), *ts), args.steps)
        print(f"| {ctx} | {lf_ms * 1e3:.2f} | {pt_ms * 1e3:.2f} |")


if __name__ == "__main__":
    main()
