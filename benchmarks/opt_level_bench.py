#!/usr/bin/env python3
"""The JIT's LLVM optimization level: compile time of the TransNormerLLM layer
(d 1024, 16 heads, SGLU 2816, N 2048) and run time of a Lightning Attention
call (B 1, H 8, N 8192, d 64) and an RMSNorm (4096 x 1024) at -O2 and -O3,
alternating in one run, medians. Run with /usr/bin/python3 after
`. benchmarks/bench-env.sh`, PYTHONPATH=python, LF_CACHE=0."""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_bench as L  # noqa: E402
import lightfuse as lf  # noqa: E402

rng = np.random.default_rng(0)
H, N, DH = 8, 8192, 64
ta = f"tensor<1x{H}x{N}x{DH}xf32>"
attn = (f"func.func @main(%q: {ta}, %k: {ta}, %v: {ta}, %s: tensor<{H}xf32>) -> {ta} {{\n"
        f"  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<{H}xf32>) : {ta}, {ta}, {ta} -> {ta}\n"
        f"  return %o : {ta}\n}}\n")
q, k, v = (rng.standard_normal((1, H, N, DH)).astype(np.float32) * 0.1 for _ in range(3))
s = np.full(H, 0.05, np.float32)
o = np.empty_like(v)
tn = "tensor<4096x1024xf32>"
rms = (f"func.func @main(%x: {tn}, %g: tensor<1024xf32>) -> {tn} {{\n"
       f"  %0 = lf.rms_norm %x gain(%g : tensor<1024xf32>) : {tn}\n  return %0 : {tn}\n}}\n")
x = rng.standard_normal((4096, 1024)).astype(np.float32)
g = np.ones(1024, np.float32)
y = np.empty_like(x)
layer = L.tn_src(2048)
res = {2: {"compile": [], "attn": [], "rms": []}, 3: {"compile": [], "attn": [], "rms": []}}
for rep in range(2):
    for level in (3, 2):
        t0 = time.perf_counter()
        lf.compile(layer, opt_level=level)
        res[level]["compile"].append(time.perf_counter() - t0)
        m = lf.compile(attn, opt_level=level)
        res[level]["attn"].append(L.med(lambda: m.main(q, k, v, s, out=o), 7))
        m = lf.compile(rms, opt_level=level)
        res[level]["rms"].append(L.med(lambda: m.main(x, g, out=y), 15))
print("| LLVM level | layer compile (s) | Lightning N=8192 (ms) | RMSNorm 4096x1024 (ms) |")
print("|---|---|---|---|")
for level in (3, 2):
    r = res[level]
    print(f"| -O{level} | {np.median(r['compile']):.2f} | {np.median(r['attn']) * 1e3:.2f} | "
          f"{np.median(r['rms']) * 1e3:.3f} |")
