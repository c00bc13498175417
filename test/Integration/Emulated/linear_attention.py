# The Lightning Attention GPU kernel and the decode-step kernel
# (lf-gpu-linear-attention) run on the host by lf-gpu-emulate, against the
# f64 token recurrence in numpy: default and small tile shapes, tail blocks,
# sequences shorter than a block, value slices, per-head decay or none,
# feature maps (elu+1 maps the zero padding to ones: padded rows must not
# count), f16 and bf16 storage, the final state, lf.norm_attention through the kernel
# (with the row-norm kernel for its RMSNorm).
# RUN: %PYTHON %s
import sys
import tempfile

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import cast, kernel_pipeline, kernel_takes, run_case

rng = np.random.default_rng(7)
tmp = tempfile.mkdtemp(prefix="lf-emu-la-")
failures = []
NP = {"f32": np.float32, "f16": np.float16}
OPS = ["lf.linear_attention", "lf.norm_attention"]


def pipe(opts="", rows=False):
    row = ",lf-gpu-row-norms" if rows else ""
    return kernel_pipeline(f"lf-gpu-linear-attention{{{opts}}}{row}")


def run(name, src, ins, opts="", rows=False):
    """The results of the kernel(s) on `ins`, or None (failure recorded) when
    the kernel pass declined the op or the run failed."""
    if not kernel_takes(name, src, f"lf-gpu-linear-attention{{{opts}}}", OPS, tmp, failures):
        return None
    return run_case(name, src, ins, pipe(opts, rows), tmp, failures)


def report(name, got, want, tol):
    err = max(float(np.abs(g.astype(np.float64) - w).max() / max(1e-30, np.abs(w).max()))
              for g, w in zip(got, want))
    ok = err < tol and len(got) == len(want) and all(np.isfinite(g).all() for g in got)
    print(f"{'PASS' if ok else 'FAIL'} {name}: max error {err:.2e}")
    if not ok:
        failures.append(name)


def blocks(name, b, h, n, dk, dv, decay, opts="", dtype="f32", fm="identity", state=False,
           tol=1e-5):
    q = cast(rng.uniform(-1, 1, (b, h, n, dk)), dtype)
    k = cast(rng.uniform(-1, 1, (b, h, n, dk)), dtype)
    v = cast(rng.uniform(-1, 1, (b, h, n, dv)), dtype)
    tq, tv = f"tensor<{b}x{h}x?x{dk}x{dtype}>", f"tensor<{b}x{h}x?x{dv}x{dtype}>"
    ts = f"tensor<{b}x{h}x{dk}x{dv}xf32>"
    args, ins, clause = [f"%q: {tq}", f"%k: {tq}", f"%v: {tv}"], [q, k, v], ""
    if decay is not None:
        args.append(f"%s: tensor<{h}xf32>")
        ins.append(decay.astype(np.float32))
        clause = f" decay(%s : tensor<{h}xf32>)"
    attrs = f"feature_map = #lf.feature_map<{fm}>" + (", return_state" if state else "")
    res = f"{tv}, {ts}" if state else tv
    src = (f"func.func @main({', '.join(args)}) -> ({res}) {{\n"
           f"  %o{', %S' if state else ''} = lf.linear_attention %q, %k, %v{clause} {{{attrs}}}"
           f" : {tq}, {tq}, {tv} -> {res}\n"
           f"  return %o{', %S' if state else ''} : {res}\n}}\n")
    got = run(name, src, ins, opts)
    if got is None:
        return
    o, s = R.linear_attention_recurrent(q, k, v, decay, fm)
    report(name, got, [o, s] if state else [o], tol)


def step(name, b, h, dk, dv, decay, opts="", dtype="f32", fm="identity", tol=1e-5):
    t = NP[dtype]
    q = rng.uniform(-1, 1, (b, h, dk)).astype(t)
    k = rng.uniform(-1, 1, (b, h, dk)).astype(t)
    v = rng.uniform(-1, 1, (b, h, dv)).astype(t)
    s0 = rng.uniform(-1, 1, (b, h, dk, dv)).astype(np.float32)
    tq, tv = f"tensor<{b}x{h}x{dk}x{dtype}>", f"tensor<{b}x{h}x{dv}x{dtype}>"
    ts = f"tensor<{b}x{h}x{dk}x{dv}xf32>"
    args, ins, clause = [f"%q: {tq}", f"%k: {tq}", f"%v: {tv}", f"%s0: {ts}"], [q, k, v, s0], ""
    if decay is not None:
        args.append(f"%d: tensor<{h}xf32>")
        ins.append(decay.astype(np.float32))
        clause = f" decay(%d : tensor<{h}xf32>)"
    src = (f"func.func @main({', '.join(args)}) -> ({tv}, {ts}) {{\n"
           f"  %o, %s1 = lf.linear_attention_step %q, %k, %v, %s0{clause}"
           f" {{feature_map = #lf.feature_map<{fm}>}} : {tq}, {tq}, {tv}, {ts} -> {tv}, {ts}\n"
           f"  return %o, %s1 : {tv}, {ts}\n}}\n")
    got = run(name, src, ins, opts)
    if got is None:
        return
    o, s = R.linear_attention_step(q, k, v, s0, decay, fm)
    report(name, got, [o, s], tol)


def norm_attention(name, b, h, n, dk, dv, decay, rows):
    q = rng.uniform(-1, 1, (b, h, n, dk)).astype(np.float32)
    k = rng.uniform(-1, 1, (b, h, n, dk)).astype(np.float32)
    v = rng.uniform(-1, 1, (b, h, n, dv)).astype(np.float32)
    u = rng.uniform(-2, 2, (b, n, h * dv)).astype(np.float32)
    tq, tv, tu = (f"tensor<{b}x{h}x?x{dk}xf32>", f"tensor<{b}x{h}x?x{dv}xf32>",
                  f"tensor<{b}x?x{h * dv}xf32>")
    src = (f"func.func @main(%q: {tq}, %k: {tq}, %v: {tv}, %u: {tu}, %s: tensor<{h}xf32>) -> {tu} {{\n"
           f"  %y = lf.norm_attention %q, %k, %v gate(%u : {tu}) decay(%s : tensor<{h}xf32>)"
           f" : {tq}, {tq}, {tv} -> {tu}\n  return %y : {tu}\n}}\n")
    got = run(name, src, [q, k, v, u, decay.astype(np.float32)], rows=rows)
    if got is None:
        return
    (got,) = got
    o, _ = R.linear_attention_recurrent(q, k, v, decay)
    c = o.transpose(0, 2, 1, 3).reshape(b, n, h * dv)
    want = c / np.sqrt((c * c).mean(-1, keepdims=True) + 1e-6) * u
    report(name, [got], [want], 1e-5)


slopes = np.array([0.5, 0.1, 0.01, 0.0])
# Default tiles: block 64, 256 threads; Dv 32 < 2 * 16 is not split.
blocks("default tiles, tail block, state", 1, 2, 150, 16, 32, slopes[:2], state=True)
blocks("block 16, 64 threads, value slices of 16, batch 2", 2, 3, 45, 16, 32, slopes[:3],
       "block=16 block-size=64 value-tile=16", state=True)
blocks("automatic value slices (min-blocks 8)", 1, 1, 70, 8, 64, slopes[:1], "block=32 min-blocks=8",
       state=True)
blocks("no decay, silu, Dv != Dk", 1, 2, 90, 8, 24, None, "block=32", fm="silu")
blocks("elu+1 with padding rows", 1, 1, 37, 8, 8, slopes[1:2], "block=16", fm="elu_plus_one",
       state=True)
blocks("shorter than one block", 1, 2, 5, 8, 16, slopes[:2], state=True)
blocks("one token", 1, 1, 1, 4, 4, slopes[:1], "block=16 block-size=32", state=True)
blocks("f16 storage", 1, 2, 80, 16, 16, slopes[:2], "block=32", dtype="f16", tol=2e-3)
blocks("bf16 storage, state", 1, 2, 70, 16, 16, slopes[:2], "block=32", dtype="bf16", state=True,
       tol=1.6e-2)
blocks("Dv = 6: one value column per thread", 1, 2, 50, 8, 6, slopes[:2], "block=16", state=True)
blocks("Dk = 6: one key channel per load", 1, 1, 40, 6, 8, slopes[:1], "block=16", state=True)
blocks("more threads than work", 1, 1, 20, 4, 4, slopes[:1], "block=8 block-size=128")
step("decode step", 2, 3, 16, 32, slopes[:3])
step("decode step, value slices, silu", 1, 2, 8, 64, slopes[:2], "value-tile=16", fm="silu")
step("decode step f16, no decay", 1, 2, 16, 16, None, dtype="f16", tol=2e-3)
norm_attention("norm_attention through the kernel", 1, 2, 70, 8, 16, slopes[:2], False)
norm_attention("norm_attention, kernel + row kernel", 2, 2, 40, 8, 16, slopes[:2], True)

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all emulated linear attention cases passed")
