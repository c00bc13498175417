#!/usr/bin/env python3
"""Cold JIT compile time of the TransNormerLLM layer (d 1024, 16 heads, SGLU
2816, N 2048, weights as {lf.weight}) with 1 and 2 LLVM compile threads
(LF_COMPILE_THREADS), alternating, 3 each, and a cache hit. Run with
/usr/bin/python3, PYTHONPATH=python."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_bench as L  # noqa: E402
import lightfuse as lf  # noqa: E402

src = L.tn_src(2048)
os.environ["LF_CACHE"] = "0"
times = {1: [], 2: []}
for _ in range(3):
    for th in (1, 2):
        os.environ["LF_COMPILE_THREADS"] = str(th)
        t = time.perf_counter()
        lf.compile(src)
        times[th].append(time.perf_counter() - t)
for th in (1, 2):
    print(f"compile threads {th}: " + ", ".join(f"{v:.2f} s" for v in times[th]))
os.environ["LF_CACHE"] = "1"
os.environ["LF_CACHE_DIR"] = tempfile.mkdtemp(prefix="lf-cache-")
lf.compile(src)
t = time.perf_counter()
lf.compile(src)
print(f"cache hit in this process: {(time.perf_counter() - t) * 1e3:.0f} ms")
