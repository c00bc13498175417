# lf.norm_attention (NormAttention + output gate, spec.md 4.2) against numpy:
#   y = u * SRMSNorm(concat_heads(linear_attention(q, k, v)))  (* gain)
# with the f64 token recurrence as the attention reference. Both lowerings:
# the token-major Lightning blocks (lf-cpu-pipeline's default) and the
# expansion into lf.linear_attention + transpose + lf.rms_norm + lf.mul
# (attention-block=0); decay per head, per head and channel, none; gain;
# f16 storage; batch > 1; two threads. f32 within 1e-4 relative.
# RUN: %PYTHON %s
import sys
import tempfile

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import run_case

rng = np.random.default_rng(5)
tmp = tempfile.mkdtemp(prefix="lf-norm-attention-")
failures = []


def reference(q, k, v, u, decay, gain, eps, feature_map):
    o, _ = R.linear_attention_recurrent(q.astype(np.float64), k.astype(np.float64),
                                        v.astype(np.float64), decay, feature_map)
    b, h, n, dv = o.shape
    c = o.transpose(0, 2, 1, 3).reshape(b, n, h * dv)
    y = c / np.sqrt((c * c).mean(-1, keepdims=True) + eps) * u.astype(np.float64)
    return y * gain.astype(np.float64) if gain is not None else y


def check(name, b, h, n, dk, dv, decay, pipeline, gain=False, dtype="f32", fm="identity",
          eps=1e-6, tol=1e-4):
    npt = {"f32": np.float32, "f16": np.float16}[dtype]
    q = rng.uniform(-1, 1, (b, h, n, dk)).astype(npt)
    k = rng.uniform(-1, 1, (b, h, n, dk)).astype(npt)
    v = rng.uniform(-1, 1, (b, h, n, dv)).astype(npt)
    u = rng.uniform(-2, 2, (b, n, h * dv)).astype(npt)
    g = rng.uniform(0.5, 1.5, (h * dv,)).astype(npt) if gain else None
    tq = f"tensor<{b}x{h}x?x{dk}x{dtype}>"
    tv = f"tensor<{b}x{h}x?x{dv}x{dtype}>"
    tu = f"tensor<{b}x?x{h * dv}x{dtype}>"
    args, ins = [f"%q: {tq}", f"%k: {tq}", f"%v: {tv}", f"%u: {tu}"], [q, k, v, u]
    clauses = ""
    if decay is not None:
        dt = "tensor<" + "x".join(map(str, decay.shape)) + "xf32>"
        args.append(f"%s: {dt}")
        clauses += f" decay(%s : {dt})"
        ins.append(decay.astype(np.float32))
    if gain:
        args.append(f"%g: tensor<{h * dv}x{dtype}>")
        clauses += f" gain(%g : tensor<{h * dv}x{dtype}>)"
        ins.append(g)
    attrs = f" {{eps = {eps:e} : f32, feature_map = #lf.feature_map<{fm}>}}"
    src = (f"func.func @main({', '.join(args)}) -> {tu} {{\n"
           f"  %y = lf.norm_attention %q, %k, %v gate(%u : {tu}){clauses}{attrs}"
           f" : {tq}, {tq}, {tv} -> {tu}\n  return %y : {tu}\n}}\n")
    got = run_case(name, src, ins, pipeline, tmp, failures)
    if got is None:
        return
    (got,) = got
    got = got.astype(np.float64)
    want = reference(q, k, v, u, decay, g, eps, fm)
    err = float(np.abs(got - want).max() / np.abs(want).max())
    ok = err < tol and np.isfinite(got).all()
    print(f"{'PASS' if ok else 'FAIL'} {name}: max error {err:.2e}")
    if not ok:
        failures.append(name)


TILED = "builtin.module(lf-cpu-pipeline)"
EXPANDED = "builtin.module(lf-cpu-pipeline{attention-block=0})"
slopes = np.array([0.5, 0.1, 0.01])
chan = rng.uniform(0.0, 0.7, (2, 8))
for label, pipe in (("blocks", TILED), ("expanded", EXPANDED)):
    check(f"{label} per-head decay", 1, 3, 150, 16, 16, slopes, pipe)
    check(f"{label} no decay, gain, batch 2", 2, 2, 70, 8, 12, None, pipe, gain=True)
    check(f"{label} silu feature map, Dv != Dk", 1, 2, 200, 8, 4, slopes[:2], pipe, fm="silu")
    check(f"{label} f16", 1, 2, 90, 16, 16, slopes[:2], pipe, dtype="f16", tol=3e-3)
# Per-head-and-channel decays keep the expansion in the default pipeline.
check("per-channel decay", 1, 2, 100, 8, 8, chan, TILED)
# Blocks of 16 (tail block) and the heads on two threads.
check("block 16, 2 threads", 2, 3, 77, 8, 8, slopes,
      "builtin.module(lf-cpu-pipeline{attention-block=16 threads=2})")
# One head on 4 threads: value columns split in 4 (per-slice sums of squares).
check("1 head, 4 threads", 1, 1, 90, 8, 32, slopes[:1],
      "builtin.module(lf-cpu-pipeline{threads=4})", gain=True)

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all norm attention cases passed")
