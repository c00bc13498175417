# The tiled GEMM kernel (lf-gpu-linear) run on the host by lf-gpu-emulate,
# against numpy: sizes that are and are not multiples of the 64x64x16 tiles,
# rank 3 with a dynamic dimension, bias, a fused activation, the fused GLU
# family (both projections in one kernel, with and without biases), f16 and
# bf16 storage; lf.norm_linear (rms, and layer on rows with a large mean)
# alone, with an activation and as both GLU projections.
# RUN: %PYTHON %s
import sys
import tempfile

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import cast, kernel_pipeline, kernel_takes, run_case, ttype

rng = np.random.default_rng(3)
tmp = tempfile.mkdtemp(prefix="lf-emu-gemm-")
failures = []
PIPE = kernel_pipeline("lf-gpu-linear")
TOL = {"f32": 1e-5, "f16": 2e-3, "bf16": 1.6e-2}  # as lightfuse.testing.harness
OPS = ["lf.linear", "lf.norm_linear", "lf.glu"]


def check(name, xshape, n, dtype="f32", bias=False, act=None, glu=None, dyn=(), norm=None,
          shift=0.0):
    kdim = xshape[-1]
    x = cast(rng.uniform(-1, 1, xshape) + shift, dtype)
    w1 = cast(rng.uniform(-1, 1, (n, kdim)) / np.sqrt(kdim), dtype)
    w2 = cast(rng.uniform(-1, 1, (n, kdim)) / np.sqrt(kdim), dtype)
    b1 = cast(rng.uniform(-1, 1, (n,)), dtype)
    b2 = cast(rng.uniform(-1, 1, (n,)), dtype)
    tx = ttype(xshape, dtype, dyn)
    ty = ttype(xshape[:-1] + (n,), dtype, dyn)
    tw, tb = f"tensor<{n}x{kdim}x{dtype}>", f"tensor<{n}x{dtype}>"
    args, ins = [f"%x: {tx}", f"%w1: {tw}"], [x, w1]
    bc1 = bc2 = ""
    if bias:
        args.append(f"%b1: {tb}")
        ins.append(b1)
        bc1 = f" bias(%b1 : {tb})"
    op = f"lf.norm_linear {norm}" if norm else "lf.linear"
    eps = 1e-5 if norm == "layer" else 1e-6
    attr = f" {{eps = {eps:e} : f32}}" if norm else ""
    body = f"  %a = {op} %x, %w1{bc1}{attr} : {tx}, {tw} -> {ty}\n"
    res = "%a"
    if glu:
        args.append(f"%w2: {tw}")
        ins.append(w2)
        if bias:
            args.append(f"%b2: {tb}")
            ins.append(b2)
            bc2 = f" bias(%b2 : {tb})"
        body += f"  %u = {op} %x, %w2{bc2}{attr} : {tx}, {tw} -> {ty}\n"
        body += f"  %y = lf.glu {glu} %a, %u : {ty}\n"
        res = "%y"
    elif act:
        body += f"  %y = lf.activation {act} %a : {ty}\n"
        res = "%y"
    src = f"func.func @main({', '.join(args)}) -> {ty} {{\n{body}  return {res} : {ty}\n}}\n"
    if not kernel_takes(name, src, "lf-gpu-linear", OPS, tmp, failures):
        return
    got = run_case(name, src, ins, PIPE, tmp, failures)
    if got is None:
        return
    (got,) = got

    def proj(w, bb):
        if norm:
            return R.norm_linear(norm, x, w, bb, eps)
        return R.linear(x, w, bb)

    a = proj(w1, b1 if bias else None)
    if glu:
        want = R.glu(glu, a, proj(w2, b2 if bias else None))
    elif act:
        want = R.activation(act, a)
    else:
        want = a
    err = float(np.abs(got.astype(np.float64) - want).max() / max(1.0, np.abs(want).max()))
    ok = err < TOL[dtype]
    print(f"{'PASS' if ok else 'FAIL'} {name}: max error {err:.2e}")
    if not ok:
        failures.append(name)


check("tile multiples", (128, 64), 128)
check("ragged M, N, K with bias", (70, 37), 90, bias=True)
check("rank 3, dynamic rows, gelu", (2, 33, 48), 65, act="gelu", dyn=(1,))
check("tiny", (1, 3), 2, bias=True, act="relu")
check("SwiGLU", (40, 80), 72, glu="silu")
check("GeGLU with biases, rank 3", (2, 9, 20), 24, glu="gelu", bias=True)
check("SGLU (no activation)", (17, 16), 130, glu="none")
check("f16 with bias", (33, 40), 50, "f16", bias=True)
check("bf16 SwiGLU", (20, 24), 30, "bf16", glu="silu")
check("norm_linear rms, ragged", (70, 40), 33, norm="rms", bias=True)
check("norm_linear layer, large mean, rank 3", (2, 21, 48), 64, norm="layer", shift=100.0, dyn=(1,))
check("norm_linear layer + silu", (9, 100), 20, norm="layer", act="silu")
check("SwiGLU of two rms norm_linears, f16", (30, 64), 40, "f16", norm="rms", glu="silu")
check("rows past the tile's end (M < 8)", (3, 17), 5, norm="layer", bias=True)



def chain(name, m, d, f):
    """SwiGLU then the down projection: the second kernel reads the first's
    output (the kernels replace ops whose inputs earlier kernels replaced)."""
    x = rng.uniform(-1, 1, (m, d)).astype(np.float32)
    w1, w2 = (rng.uniform(-1, 1, (f, d)).astype(np.float32) / np.sqrt(d) for _ in range(2))
    w3 = rng.uniform(-1, 1, (d, f)).astype(np.float32) / np.sqrt(f)
    b3 = rng.uniform(-1, 1, (d,)).astype(np.float32)
    tx, th = f"tensor<?x{d}xf32>", f"tensor<?x{f}xf32>"
    src = (f"func.func @main(%x: {tx}, %w1: tensor<{f}x{d}xf32>, %w2: tensor<{f}x{d}xf32>, "
           f"%w3: tensor<{d}x{f}xf32>, %b3: tensor<{d}xf32>) -> {tx} {{\n"
           f"  %a = lf.linear %x, %w1 : {tx}, tensor<{f}x{d}xf32> -> {th}\n"
           f"  %u = lf.linear %x, %w2 : {tx}, tensor<{f}x{d}xf32> -> {th}\n"
           f"  %g = lf.glu silu %a, %u : {th}\n"
           f"  %y = lf.linear %g, %w3 bias(%b3 : tensor<{d}xf32>) : {th}, tensor<{d}x{f}xf32> -> {tx}\n"
           f"  return %y : {tx}\n}}\n")
    if not kernel_takes(name, src, "lf-gpu-linear", OPS, tmp, failures):
        return
    got = run_case(name, src, [x, w1, w2, w3, b3], PIPE, tmp, failures)
    if got is None:
        return
    (got,) = got
    want = R.linear(R.glu("silu", R.linear(x, w1), R.linear(x, w2)), w3, b3)
    err = float(np.abs(got - want).max() / max(1.0, np.abs(want).max()))
    ok = err < TOL["f32"]
    print(f"{'PASS' if ok else 'FAIL'} {name}: max error {err:.2e}")
    if not ok:
        failures.append(name)


chain("SwiGLU then down projection", 37, 48, 80)

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all emulated GEMM cases passed")
