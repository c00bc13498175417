#!/usr/bin/env python3
"""RMSNorm and LayerNorm (f32, gain, LayerNorm with bias) through the default
CPU pipeline - the runtime's row-norm kernel (lf-cpu-norm-ukernel) - against
np.copyto of the same tensor measured next to each, 1 and 2 threads, results
written into a reused buffer (out=), medians of 15. Run with /usr/bin/python3
after `. benchmarks/bench-env.sh`, PYTHONPATH=python, LF_CACHE=0. The
"generated" column of docs/benchmarks.md came from the same script on a build
with the pass left out of lib/Codegen/CPU/Pipelines.cpp."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_bench as L  # noqa: E402
import lightfuse as lf  # noqa: E402

rng = np.random.default_rng(0)
for T, D in [(512, 768), (4096, 1024), (16384, 4096)]:
    tn, gt = f"tensor<{T}x{D}xf32>", f"tensor<{D}xf32>"
    x = rng.standard_normal((T, D)).astype(np.float32)
    g, b, y = np.ones(D, np.float32), np.zeros(D, np.float32), np.empty_like(x)
    for kind, body, args in [
            ("rms_norm", f"lf.rms_norm %x gain(%g : {gt}) : {tn}", (x, g)),
            ("layer_norm", f"lf.layer_norm %x gain(%g : {gt}) bias(%b : {gt}) : {tn}", (x, g, b))]:
        params = ", ".join([f"%x: {tn}", f"%g: {gt}"] + ([f"%b: {gt}"] if len(args) == 3 else []))
        src = f"func.func @main({params}) -> {tn} {{\n  %0 = {body}\n  return %0 : {tn}\n}}\n"
        for th in (1, 2):
            m = lf.compile(src, threads=th)
            m.main(*args, out=y)
            t = L.med(lambda: m.main(*args, out=y), 15)
            tc = L.med(lambda: np.copyto(y, x), 15)
            print(f"{kind} {T}x{D} threads={th}: {t * 1e3:.3f} ms, copy {tc * 1e3:.3f} ms, "
                  f"{100 * tc / t:.0f}% of copy", flush=True)
    # add+norm (lf.residual_norm, both results: the stream and its norm)
    # reads two tensors and writes two: its copy is two copies.
    r, s2 = rng.standard_normal((T, D)).astype(np.float32), np.empty_like(x)
    for kind in ("rms", "layer"):
        bias = f" bias(%b : {gt})" if kind == "layer" else ""
        params = ", ".join([f"%x: {tn}", f"%r: {tn}", f"%g: {gt}"] + ([f"%b: {gt}"] if bias else []))
        args = (x, r, g, b) if bias else (x, r, g)
        src = (f"func.func @main({params}) -> ({tn}, {tn}) {{\n"
               f"  %s, %y = lf.residual_norm {kind} %x, %r gain(%g : {gt}){bias} {{eps = 1.0e-5 : f32}} : {tn}\n"
               f"  return %s, %y : {tn}, {tn}\n}}\n")
        for th in (1, 2):
            m = lf.compile(src, threads=th)
            m.main(*args, out=[s2, y])
            t = L.med(lambda: m.main(*args, out=[s2, y]), 15)
            tc = L.med(lambda: (np.copyto(y, x), np.copyto(s2, r)), 15)
            print(f"add+{kind}_norm {T}x{D} threads={th}: {t * 1e3:.3f} ms, two copies {tc * 1e3:.3f} ms, "
                  f"{100 * tc / t:.0f}% of copy", flush=True)
