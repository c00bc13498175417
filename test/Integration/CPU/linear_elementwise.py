# lf.linear, lf.add, lf.mul, every lf.activation kind and every lf.glu member,
# through lf-run, against numpy. Cross-checked with PyTorch where present.
# RUN: %PYTHON %s
# The same cases through the Python package (C API) and through lf-compile
# objects linked by a C driver:
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype, uniform

rng = np.random.default_rng(1)
run = Runner()


def rnd(*shape, lo=-1.0, hi=1.0):
    return uniform(rng, *shape, lo=lo, hi=hi)


q = stored  # the value the kernel sees, in float64


for dt, xs, n, dyn, bias in [("f32", (5, 7), 3, (), True), ("f32", (8, 768), 64, (0,), True),
                             ("f16", (2, 3, 16), 8, (1,), False), ("bf16", (4, 33), 5, (0, 1), True),
                             ("f32", (7,), 4, (), False), ("f32", (1, 1), 1, (), True),
                             # register-tiled main part plus row/column/K remainders
                             ("f32", (37, 70), 100, (0,), True), ("bf16", (19, 96), 96, (0,), False),
                             ("f16", (2, 16, 40), 64, (1,), True)]:
    k = xs[-1]
    x, w, b = rnd(*xs), rnd(n, k), rnd(n)
    ys = xs[:-1] + (n,)
    args = [(x, dt, dyn), (w, dt, ())]
    bp = ""
    if bias:
        args.append((b, dt, ()))
        bp = f" bias(%a2 : tensor<{n}x{dt}>)"
    ydyn = tuple(d for d in dyn if d < len(xs) - 1)
    body = (f"  %0 = lf.linear %a0, %a1{bp} : {ttype(xs, dt, dyn)}, tensor<{n}x{k}x{dt}> -> "
            f"{ttype(ys, dt, ydyn)}\n  return %0 : {ttype(ys, dt, ydyn)}")
    run.run(f"linear {dt} {xs} x [{n},{k}] bias={bias}", args, body, [(ys, dt, ydyn)],
            [R.linear(q(x, dt), q(w, dt), q(b, dt) if bias else None)],
            rtol_scale=10.0 if k >= 768 else 1.0)

for dt in ["f32", "f16", "bf16"]:
    shape = (3, 17)
    a, b = rnd(*shape, lo=-4, hi=4), rnd(*shape, lo=-4, hi=4)
    ty = ttype(shape, dt, (0,))
    for op, fn in [("add", np.add), ("mul", np.multiply)]:
        run.run(f"{op} {dt}", [(a, dt, (0,)), (b, dt, (0,))],
                f"  %0 = lf.{op} %a0, %a1 : {ty}\n  return %0 : {ty}",
                [(shape, dt, (0,))], [fn(q(a, dt), q(b, dt))])

for kind in ["identity", "relu", "gelu", "gelu_tanh", "silu", "sigmoid", "softplus", "elu_plus_one"]:
    for dt in ["f32", "bf16"]:
        x = np.concatenate([rnd(61, lo=-8, hi=8), np.array([0.0, -30.0, 30.0, -100.0, 100.0], np.float32)])
        x = x.reshape(6, 11)
        ty = ttype(x.shape, dt, (1,))
        run.run(f"activation {kind} {dt}", [(x, dt, (1,))],
                f"  %0 = lf.activation {kind} %a0 : {ty}\n  return %0 : {ty}",
                [(x.shape, dt, (1,))], [R.activation(kind, q(x, dt))])

for act in ["none", "sigmoid", "silu", "gelu", "relu"]:
    for dt in ["f32", "f16"]:
        g, u = rnd(4, 9, lo=-5, hi=5), rnd(4, 9, lo=-2, hi=2)
        ty = ttype((4, 9), dt, (0,))
        run.run(f"glu {act} {dt}", [(g, dt, (0,)), (u, dt, (0,))],
                f"  %0 = lf.glu {act} %a0, %a1 : {ty}\n  return %0 : {ty}",
                [((4, 9), dt, (0,))], [R.glu(act, q(g, dt), q(u, dt))])

# PyTorch as a second, independent oracle where it has the op.
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None
if torch is not None:
    x = rnd(6, 11, lo=-6, hi=6)
    xt = torch.from_numpy(x.astype(np.float64))
    for kind, fn in [("gelu", lambda t: F.gelu(t)), ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh")),
                     ("silu", F.silu), ("softplus", F.softplus), ("sigmoid", torch.sigmoid),
                     ("elu_plus_one", lambda t: F.elu(t) + 1)]:
        run.run(f"activation {kind} f32 vs torch", [(x, "f32", ())],
                f"  %0 = lf.activation {kind} %a0 : tensor<6x11xf32>\n  return %0 : tensor<6x11xf32>",
                [((6, 11), "f32", ())], [fn(xt).numpy()])
    x, w, b = rnd(5, 64), rnd(32, 64), rnd(32)
    run.run("linear f32 vs torch", [(x, "f32", ()), (w, "f32", ()), (b, "f32", ())],
            "  %0 = lf.linear %a0, %a1 bias(%a2 : tensor<32xf32>) : tensor<5x64xf32>, tensor<32x64xf32>"
            " -> tensor<5x32xf32>\n  return %0 : tensor<5x32xf32>", [((5, 32), "f32", ())],
            [F.linear(*(torch.from_numpy(a.astype(np.float64)) for a in (x, w, b))).numpy()])

run.finish()
