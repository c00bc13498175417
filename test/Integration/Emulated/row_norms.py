# The warp-per-row GPU norm kernels (lf-gpu-row-norms) run on the host by
# lf-gpu-emulate, against numpy: RMSNorm, LayerNorm (large-mean rows) and
# residual+norm; 128-bit lanes (row length a multiple of 16 bytes) and
# scalar lanes; a thread block per row with the row in registers; f32 and
# f16 storage; rows not a multiple of the warps per block; rank 3 with a
# dynamic dimension.
# RUN: %PYTHON %s
import sys
import tempfile

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import kernel_pipeline, run_case, ttype

rng = np.random.default_rng(11)
tmp = tempfile.mkdtemp(prefix="lf-emu-rows-")
failures = []
NP = {"f32": np.float32, "f16": np.float16}
TOL = {"f32": 1e-5, "f16": 2e-3}  # as lightfuse.testing.harness


def pipeline(block):
    return kernel_pipeline("lf-gpu-row-norms{block-size=%d}" % block)


def check(name, kind, shape, dtype="f32", gain=True, bias=False, residual=False,
          shift=0.0, dyn=(), block=256, scale=None):
    t = NP[dtype]
    d = shape[-1]
    x = (rng.uniform(-1, 1, shape) + shift).astype(t)
    r = rng.uniform(-1, 1, shape).astype(t) if residual else None
    g = rng.uniform(0.5, 1.5, (d,)).astype(t) if gain else None
    bb = rng.uniform(-0.5, 0.5, (d,)).astype(t) if bias else None
    ty = ttype(shape, dtype, dyn)
    vt = f"tensor<{d}x{dtype}>"
    args, ins = [f"%x: {ty}"], [x]
    if residual:
        args.append(f"%r: {ty}")
        ins.append(r)
    clauses = ""
    if gain:
        args.append(f"%g: {vt}")
        ins.append(g)
        clauses += f" gain(%g : {vt})"
    if bias:
        args.append(f"%b: {vt}")
        ins.append(bb)
        clauses += f" bias(%b : {vt})"
    eps = 1e-5 if kind == "layer" else 1e-6
    attrs = f" {{eps = {eps:e} : f32" + (f", scale = {scale:e} : f32" if scale else "") + "}"
    if residual:
        body = (f"  %s, %y = lf.residual_norm {kind} %x, %r{clauses}{attrs} : {ty}\n"
                f"  return %s, %y : {ty}, {ty}\n")
        res = f"({ty}, {ty})"
    else:
        op = "lf.layer_norm" if kind == "layer" else "lf.rms_norm"
        body = f"  %y = {op} %x{clauses}{attrs} : {ty}\n  return %y : {ty}\n"
        res = ty
    src = f"func.func @main({', '.join(args)}) -> {res} {{\n{body}}}\n"
    got = run_case(name, src, ins, pipeline(block), tmp, failures)
    if got is None:
        return
    s = x.astype(np.float64)
    wants = []
    if residual:
        s = (x + r).astype(t).astype(np.float64)  # the sum as stored
        wants.append(s)
    if kind == "layer":
        y = R.layer_norm(s, g, bb, eps=eps, scale=scale)
    else:
        y = R.rms_norm(s, g, eps=eps, scale=scale)
    wants.append(y)
    err = max(float(np.abs(a.astype(np.float64) - w).max() / max(1.0, np.abs(w).max()))
              for a, w in zip(got, wants))
    ok = err < TOL[dtype] and len(got) == len(wants)
    print(f"{'PASS' if ok else 'FAIL'} {name}: max error {err:.2e}")
    if not ok:
        failures.append(name)


check("rms 128-bit lanes", "rms", (13, 64))
check("rms scalar lanes, no gain", "rms", (9, 37), gain=False)
check("rms f16 128-bit lanes, scale", "rms", (5, 48), "f16", scale=0.5)
check("layer gain+bias, large mean", "layer", (11, 96), bias=True, shift=100.0)
check("layer scalar lanes, rank 3 dynamic", "layer", (2, 7, 33), bias=True, dyn=(1,))
check("layer f16", "layer", (6, 40), "f16", bias=True)
check("residual rms", "rms", (7, 64), residual=True)
check("residual layer, 2 warps per block", "layer", (9, 72), residual=True, bias=True, block=64)
check("residual layer f16 scalar lanes", "layer", (4, 30), "f16", residual=True, bias=True)
check("one row longer than a warp's sweep", "rms", (2, 1000))
# A thread block per row, the row in registers (rows of a multiple of 32
# 16-byte vectors): 2 warps x 1 vector, 8 warps x 4, 8 warps x 16.
check("block per row: rms 256", "rms", (5, 256))
check("block per row: layer 4096, large mean", "layer", (3, 4096), bias=True, shift=100.0)
check("block per row: rms 16384", "rms", (2, 16384), scale=0.5)
check("block per row: residual layer f16 512", "layer", (4, 512), "f16", residual=True, bias=True)
check("block per row: residual rms rank 3 dynamic", "rms", (2, 3, 1024), residual=True, dyn=(1,))
check("block per row: 64-thread blocks", "layer", (3, 1024), bias=True, block=64)

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all emulated row-norm cases passed")
