"""PyTorch eager baselines for benchmarks/run.sh: same ops, shapes and line
format as lf-bench ("<op> <T> <D> <threads> torch <median_ms> <first_ms>")."""

import statistics
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
only = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else None
torch.set_num_threads(threads)
torch.manual_seed(0)
shapes = [(512, 768), (4096, 1024), (16384, 4096)]


def median_ms(fn, reps, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ts)


with torch.no_grad():
    for op in ["layer_norm", "rms_norm", "add_layer_norm", "swiglu"]:
        if only and op not in only:
            continue
        for t, d in shapes:
            if op == "swiglu" and t * d * d > 4096 * 1024 * 1024:
                continue
            gemm = op == "swiglu"
            reps = (3 if t * d > 1_000_000 else 5) if gemm else (9 if t * d > 10_000_000 else 25)
            x, r = torch.rand(t, d) * 2 - 1, torch.rand(t, d) * 2 - 1
            g, b = 1 + 0.1 * torch.rand(d), 0.1 * torch.rand(d)
            w1, w3 = torch.rand(d, d) / 32, torch.rand(d, d) / 32
            if op == "layer_norm":
                fn = lambda: F.layer_norm(x, (d,), g, b, 1e-5)
            elif op == "rms_norm":
                fn = lambda: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * g
            elif op == "add_layer_norm":
                def fn():
                    s = x + r
                    return s, F.layer_norm(s, (d,), g, b, 1e-5)
            else:
                fn = lambda: F.silu(F.linear(x, w1)) * F.linear(x, w3)
            t0 = time.perf_counter()
            fn()
            first = (time.perf_counter() - t0) * 1e3
            print(f"{op} {t} {d} {threads} torch {median_ms(fn, reps):.4f} {first:.1f}", flush=True)
