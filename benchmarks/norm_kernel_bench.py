#!/usr/bin/env python3
"""Row norms (f32 RMSNorm and LayerNorm with gain, LayerNorm with bias) and
add+norm (lf.residual_norm returning the stream and its norm) through the
default CPU pipeline - the runtime's row-norm kernel (lf-cpu-norm-ukernel) -
against, in the same run: the generated row tiles (the same pipeline with
ukernels=false) and np.copyto of the same bytes (add+norm reads and writes
two tensors: two copies). The copy is the faster of np.copyto (glibc memcpy,
one thread, non-temporal stores for large sizes) and, for the two-thread
rows, PyTorch's Tensor.copy_ with torch.set_num_threads(2).
Results are written into reused buffers (out=); medians of 15. Every array
is 64-byte aligned, as lightfuse's own buffers are (numpy's are 16-byte
aligned; see docs/benchmarks.md for what that costs the kernel).

Run with /usr/bin/python3 after `. benchmarks/bench-env.sh`, PYTHONPATH=python,
LF_CACHE=0."""
import os
import sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_bench as L  # noqa: E402
import lightfuse as lf  # noqa: E402

rng = np.random.default_rng(0)


def copy_time(pairs, threads):
    """Median time of copying each (dst, src) pair: the faster of numpy and,
    with two threads, PyTorch's parallel copy_."""
    def np_copy():
        for d, s in pairs:
            np.copyto(d, s)
    best = L.med(np_copy, 15)
    if threads > 1:
        import torch
        torch.set_num_threads(threads)
        tp = [(torch.from_numpy(d), torch.from_numpy(s)) for d, s in pairs]
        best = min(best, L.med(lambda: [d.copy_(s) for d, s in tp], 15))
        torch.set_num_threads(1)
    return best


def generated(th):
    return (f"builtin.module(lf-cpu-pipeline{{optimize emit-c-interface into-variants "
            f"threads={th} ukernels=false}})")


print(f"{'op':16} {'shape':11} {'thr':>3} {'kernel ms':>10} {'generated ms':>12} "
      f"{'copy ms':>8} {'kernel/copy':>11} {'generated/copy':>14}")
for T, D in [(512, 768), (4096, 1024), (16384, 4096)]:
    tn, gt = f"tensor<{T}x{D}xf32>", f"tensor<{D}xf32>"
    x, r, y, s = (lf._aligned_empty((T, D), np.float32) for _ in range(4))
    x[...] = rng.standard_normal((T, D))
    r[...] = rng.standard_normal((T, D))
    g, b = lf._aligned_empty(D, np.float32), lf._aligned_empty(D, np.float32)
    g[...], b[...] = 1.0, 0.0
    cases = []
    for kind in ("rms", "layer"):
        bias = f" bias(%b : {gt})" if kind == "layer" else ""
        extra = [f"%b: {gt}"] if bias else []
        params = ", ".join([f"%x: {tn}", f"%g: {gt}"] + extra)
        cases.append((f"{kind}_norm", (x, g, b) if bias else (x, g), [y],
                      f"func.func @main({params}) -> {tn} {{\n"
                      f"  %0 = lf.{kind}_norm %x gain(%g : {gt}){bias} : {tn}\n"
                      f"  return %0 : {tn}\n}}\n", [(y, x)]))
        params = ", ".join([f"%x: {tn}", f"%r: {tn}", f"%g: {gt}"] + extra)
        cases.append((f"add+{kind}_norm", (x, r, g, b) if bias else (x, r, g), [s, y],
                      f"func.func @main({params}) -> ({tn}, {tn}) {{\n"
                      f"  %s, %y = lf.residual_norm {kind} %x, %r gain(%g : {gt}){bias} "
                      f"{{eps = 1.0e-5 : f32}} : {tn}\n"
                      f"  return %s, %y : {tn}, {tn}\n}}\n", [(y, x), (s, r)]))
    for name, args, outs, src, pairs in cases:
        for th in (1, 2):
            times = []
            for m in (lf.compile(src, threads=th), lf.compile(src, pipeline=generated(th))):
                m.main(*args, out=outs)
                times.append(L.med(lambda: m.main(*args, out=outs), 15))
            tc = copy_time(pairs, th)
            print(f"{name:16} {f'{T}x{D}':11} {th:3} {times[0] * 1e3:10.3f} {times[1] * 1e3:12.3f} "
                  f"{tc * 1e3:8.3f} {100 * tc / times[0]:10.0f}% {100 * tc / times[1]:13.0f}%",
                  flush=True)
