# Lightning Attention-2 (lf-tile-linear-attention) against the naive
# token-by-token recurrence in float64 (decay per head and per head and
# channel), for block sizes 16, 64, 256 and the
# untiled lowering, N not a multiple of the block, N up to 65536, decays that
# underflow within a block and decays of 1e-5 (the state grows linearly).
# f32 within 1e-4 relative (relative to the output's magnitude).
# RUN: %PYTHON %s
import sys
import tempfile

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import lf_run

rng = np.random.default_rng(11)
tmp = tempfile.mkdtemp(prefix="lf-lightning-")
failures = []


def run(n, h, d, decay, block, b=1, dv=None, dtype="f32", threads=1):
    dv = dv or d
    npt = {"f32": np.float32, "f16": np.float16}[dtype]
    q = rng.uniform(-1, 1, (b, h, n, d)).astype(npt)
    k = rng.uniform(-1, 1, (b, h, n, d)).astype(npt)
    v = rng.uniform(-1, 1, (b, h, n, dv)).astype(npt)
    t = f"tensor<{b}x{h}x?x{d}x{dtype}>"
    tv = f"tensor<{b}x{h}x?x{dv}x{dtype}>"
    st = f"tensor<{b}x{h}x{d}x{dv}xf32>"
    args = f"%q: {t}, %k: {t}, %v: {tv}"
    clause = ""
    ins = [q, k, v]
    if decay is not None:
        dt = "tensor<" + "x".join(map(str, decay.shape)) + "xf32>"  # [H] or [H, Dk]
        args += f", %s: {dt}"
        clause = f" decay(%s : {dt})"
        ins.append(decay.astype(np.float32))
    src = (f"func.func @main({args}) -> ({tv}, {st}) {{\n"
           f"  %o:2 = lf.linear_attention %q, %k, %v{clause} {{return_state}}"
           f" : {t}, {t}, {tv} -> {tv}, {st}\n  return %o#0, %o#1 : {tv}, {st}\n}}\n")
    cpu = f"lf-cpu-pipeline{{attention-block=0 threads={threads}}}"
    pipeline = (f"builtin.module(func.func(lf-tile-linear-attention{{block-size={block}}}),{cpu})"
                if block else cpu)
    try:
        o, st = lf_run(src, ins, pipeline, tmp)
    except RuntimeError as e:
        sys.exit(str(e))
    return q, k, v, o, st


def check(name, n, h, d, decay, blocks, tol=1e-4, **kw):
    for block in blocks:
        q, k, v, o, s = run(n, h, d, decay, block, **kw)
        ref_o, ref_s = R.linear_attention_recurrent(q.astype(np.float64), k.astype(np.float64),
                                                    v.astype(np.float64), decay)
        for what, got, want in (("output", o, ref_o), ("state", s, ref_s)):
            got = got.astype(np.float64)
            scale = max(1e-30, float(np.abs(want).max()))
            err = float(np.abs(got - want).max()) / scale
            ok = err < tol and np.isfinite(got).all()
            label = "untiled" if block == 0 else f"block {block}"
            print(f"{'PASS' if ok else 'FAIL'} {name} {label} {what}: max error {err:.2e} of max |ref| {scale:.3g}")
            if not ok:
                failures.append(f"{name} {label} {what}")


# Block sizes against each other and the untiled token recurrence; N is not
# a multiple of any block size.
slopes = np.array([2 ** (-8 / 4 * (i + 1)) for i in range(4)])
check("slopes n=1000", 1000, 4, 16, slopes, [16, 64, 256, 0])
check("no decay n=333", 333, 2, 8, np.zeros(2), [16, 64, 256])
# Decays that underflow to zero within a block (exp(-30 * 64) = 0).
check("underflow n=517", 517, 2, 8, np.array([30.0, 100.0]), [16, 64, 256])
# Long sequences: decays of about 1e-5 (the state grows ~linearly in n) and
# TransNormerLLM-like slopes.
check("decay 1e-5 n=65536", 65536, 2, 8, np.array([1e-5, 2e-5]), [64])
check("slopes n=65536", 65536, 2, 8, np.array([0.5, 1e-3]), [256])
# Per head and key channel ([H, Dk]): rates from 1e-5 to 30 in one head (some
# channels underflow within a block, others barely decay).
chan = np.stack([np.geomspace(1e-5, 30.0, 8), rng.uniform(0.0, 0.7, 8)])
check("per-channel n=700", 700, 2, 8, chan, [16, 64, 256, 0])
check("per-channel 1e-5 n=20000", 20000, 2, 8, np.full((2, 8), 1e-5), [64])
# Batch > 1 and Dv != Dk (every (batch, head) slice is its own recurrence),
# no decay operand at all, and f16 storage (f32 state and accumulation; the
# output is rounded to f16, hence the looser bound).
check("batch 3, Dv 12, n=200", 200, 2, 8, slopes[:2], [16, 64], b=3, dv=12)
check("per-channel batch 2 n=150", 150, 2, 8, chan, [16], b=2, dv=4)
check("no decay operand n=150", 150, 3, 8, None, [16, 64, 0], b=2)
# Odd and tiny blocks (the causal split of a block at B/2 leaves an empty or
# unequal half).
check("odd blocks n=101", 101, 2, 8, slopes[:2], [1, 7, 33])
check("f16 n=300", 300, 2, 16, slopes[:2], [64, 0], tol=2e-3, dtype="f16")
# The (batch, head) loop on two threads (lf-cpu-pipeline{threads=2}).
check("2 threads batch 2 n=777", 777, 3, 16, slopes[:3], [64], b=2, threads=2)
check("2 threads per-channel n=300", 300, 2, 8, chan, [16], b=2, threads=2)
# One (batch, head) on 2 and 3 threads: the value columns are split (Dv 16
# -> 2 slices of 8; Dv 24 -> 3 of 8), each slice its own iteration.
check("1 head 2 threads n=300", 300, 1, 8, slopes[:1], [64], dv=16, threads=2)
check("1 head 3 threads n=130", 130, 1, 8, slopes[:1], [16], dv=24, threads=3)

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all lightning attention cases passed")
