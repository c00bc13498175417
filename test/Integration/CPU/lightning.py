# Lightning Attention-2 (lf-tile-linear-attention) against the naive
# token-by-token recurrence in float64 (decay per head and per head and
# channel), for block sizes 16, 64, 256 and the
# untiled lowering, N not a multiple of the block, N up to 65536, decays that
# underflow within a block and decays of 1e-5 (the state grows linearly).
# f32 within 1e-4 relative (relative to the output's magnitude).
# RUN: %PYTHON %s
import os
import subprocess
import sys
import tempfile

import numpy as np

from lightfuse.testing import reference as R

rng = np.random.default_rng(11)
tmp = tempfile.mkdtemp(prefix="lf-lightning-")
failures = []


def run(n, h, d, decay, block, with_state=True):
    b = 1
    q = rng.uniform(-1, 1, (b, h, n, d)).astype(np.float32)
    k = rng.uniform(-1, 1, (b, h, n, d)).astype(np.float32)
    v = rng.uniform(-1, 1, (b, h, n, d)).astype(np.float32)
    t = f"tensor<{b}x{h}x?x{d}xf32>"
    st = f"tensor<{b}x{h}x{d}x{d}xf32>"
    dt = "tensor<" + "x".join(map(str, decay.shape)) + "xf32>"  # [H] or [H, Dk]
    src = (f"func.func @main(%q: {t}, %k: {t}, %v: {t}, %s: {dt}) -> ({t}, {st}) {{\n"
           f"  %o:2 = lf.linear_attention %q, %k, %v decay(%s : {dt}) {{return_state}}"
           f" : {t}, {t}, {t} -> {t}, {st}\n  return %o#0, %o#1 : {t}, {st}\n}}\n")
    path = os.path.join(tmp, "la.mlir")
    with open(path, "w") as f:
        f.write(src)
    ins = []
    for i, a in enumerate([q, k, v, decay.astype(np.float32)]):
        p = os.path.join(tmp, f"in{i}.npy")
        np.save(p, a)
        ins += ["--input", p]
    out = os.path.join(tmp, "out")
    cmd = ["lf-run", path, "--entry", "main", "--output-dir", out,
           "--pass-pipeline", f"builtin.module(func.func(lf-tile-linear-attention{{block-size={block}}}),lf-cpu-pipeline{{attention-block=0}})" if block else "lf-cpu-pipeline{attention-block=0}"] + ins
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
    return q, k, v, np.load(os.path.join(out, "result0.npy")), np.load(os.path.join(out, "result1.npy"))


def check(name, n, h, d, decay, blocks):
    for block in blocks:
        q, k, v, o, s = run(n, h, d, decay, block)
        ref_o, ref_s = R.linear_attention_recurrent(q, k, v, decay)
        for what, got, want in (("output", o, ref_o), ("state", s, ref_s)):
            scale = max(1e-30, float(np.abs(want).max()))
            err = float(np.abs(got - want).max()) / scale
            ok = err < 1e-4 and np.isfinite(got).all()
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

if failures:
    sys.exit("FAILED: " + "; ".join(failures))
print("all lightning attention cases passed")
