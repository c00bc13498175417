# lf.lrpe (TransNormerLLM's linearized relative positional encoding) against
# numpy, through lf-run, the Python package and AOT objects; and its defining
# property: encoded q . k depends only on t - s (a prefill at offset 0 and a
# decode row at a large running offset agree).
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype

rng = np.random.default_rng(17)
run = Runner()


def theta(h, d):
    j = np.arange(h * d).reshape(h, d)
    return (10000.0 ** (-2.0 * j / (h * d))).astype(np.float32)


for dt, (b, h, n, d), dyn, off in [("f32", (1, 2, 9, 8), (2,), None), ("f32", (2, 3, 5, 4), (), 1000.0),
                                   ("bf16", (1, 2, 6, 8), (2,), None), ("f32", (1, 1, 3, 16), (), 3000000.0)]:
    x = rng.uniform(-1, 1, (b, h, n, d)).astype(np.float32)
    t = theta(h, d)
    xt = ttype(x.shape, dt, dyn)
    ot = ttype((b, h, n, 2 * d), dt, dyn)
    args = [(x, dt, dyn), (t, "f32", ())]
    op = ""
    if off is not None:
        args.append((np.array(off, np.float32), "f32", ()))
        op = " offset(%a2 : tensor<f32>)"
    body = f"  %0 = lf.lrpe %a0, %a1{op} : {xt}, tensor<{h}x{d}xf32> -> {ot}\n  return %0 : {ot}"
    run.run(f"lrpe {dt} {x.shape} offset={off}", args, body, [((b, h, n, 2 * d), dt, dyn)],
            [R.lrpe(stored(x, dt), t, off or 0)], rtol_scale=10.0)

# Relative: q at position 2e6 + 5 against k at 2e6 equals q at 5 against k at 0.
h, d = 2, 8
q, k = rng.uniform(-1, 1, (1, h, 1, d)).astype(np.float32), rng.uniform(-1, 1, (1, h, 1, d)).astype(np.float32)
t = theta(h, d)
enc = {}
for name, x, pos in [("q_far", q, 2000005.0), ("k_far", k, 2000000.0), ("q_near", q, 5.0), ("k_near", k, 0.0)]:
    body = (f"  %0 = lf.lrpe %a0, %a1 offset(%a2 : tensor<f32>) : tensor<1x{h}x1x{d}xf32>, tensor<{h}x{d}xf32> -> "
            f"tensor<1x{h}x1x{2 * d}xf32>\n  return %0 : tensor<1x{h}x1x{2 * d}xf32>")
    out = run.run(f"lrpe {name}", [(x, "f32", ()), (t, "f32", ()), (np.array(pos, np.float32), "f32", ())], body,
                  [((1, h, 1, 2 * d), "f32", ())], [R.lrpe(x, t, pos)])
    enc[name] = out[0] if out else None
if all(v is not None for v in enc.values()):
    far = (enc["q_far"] * enc["k_far"]).sum(-1)
    near = (enc["q_near"] * enc["k_near"]).sum(-1)
    diff = float(np.abs(far - near).max())
    print(f"{'PASS' if diff < 1e-5 else 'FAIL'} relative: q'.k' at distance 5, positions 2e6 vs 0 (diff {diff:.1e})")
    if diff >= 1e-5:
        run.failures.append("lrpe relative")
run.finish()
