# f32 lf.linear through the runtime's packed GEMM kernel (lf-cpu-linear-ukernel,
# on by default): every tail of its blocking (rows not a multiple of 6, N not
# a multiple of 64, K over one 256-block, M = 1), rank 1 and 3 inputs, bias,
# a fused ReLU, against numpy in float64; with one and two threads (rows or
# panels split over the runtime's workers).
# RUN: %PYTHON %s
# RUN: env LF_THREADS=2 %PYTHON %s
# RUN: env LF_HARNESS=python LF_THREADS=2 %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, ttype, uniform

rng = np.random.default_rng(7)
run = Runner()

for xs, n, dyn, bias, relu in [((1, 33), 70, (), True, False),
                               ((13, 300), 130, (0,), True, False),
                               ((100, 64), 64, (), False, True),
                               ((2, 5, 40), 65, (1,), True, True),
                               ((40,), 3, (), False, False),
                               ((7, 513), 128, (0,), True, False),
                               ((64, 96), 200, (0,), False, False)]:
    k = xs[-1]
    x, w, b = uniform(rng, *xs), uniform(rng, n, k), uniform(rng, n)
    ys = xs[:-1] + (n,)
    args = [(x, "f32", dyn), (w, "f32", ())]
    bp = ""
    if bias:
        args.append((b, "f32", ()))
        bp = f" bias(%a2 : tensor<{n}xf32>)"
    ydyn = tuple(d for d in dyn if d < len(xs) - 1)
    yt = ttype(ys, "f32", ydyn)
    body = f"  %0 = lf.linear %a0, %a1{bp} : {ttype(xs, 'f32', dyn)}, tensor<{n}x{k}xf32> -> {yt}\n"
    ref = R.linear(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64) if bias else None)
    if relu:
        body += f"  %1 = lf.activation relu %0 : {yt}\n  return %1 : {yt}"
        ref = np.maximum(ref, 0.0)
    else:
        body += f"  return %0 : {yt}"
    run.run(f"linear {xs} x [{n},{k}] bias={bias} relu={relu}", args, body, [(ys, "f32", ydyn)],
            [ref], rtol_scale=10.0 if k >= 768 else 1.0)

run.finish()
