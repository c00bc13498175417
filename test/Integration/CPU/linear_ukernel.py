# f32 lf.linear through the runtime's packed GEMM kernel (lf-cpu-linear-ukernel,
# on by default): every tail of its blocking (rows not a multiple of 6, N not
# a multiple of 64, K over one 256-block, M = 1), rank 1 and 3 inputs, bias,
# a fused ReLU, against numpy in float64; with one and two threads (rows or
# panels split over the runtime's workers). Kernel calls read their inputs
# where they stand: two linears of one tensor with an op between them that
# could update that tensor's buffer in place (a CSE'd to_buffer once made the
# second read clobbered data), and the same around the row-norm kernels.
# lf.glu of two linears of one input runs as one GLU kernel call (the gate
# tile combined in the up tile's epilogue): every gate activation the kernel
# takes (GeGLU's exact GELU too), biases, N not a multiple of 64, M = 1 and a
# 6-row tail.
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

# x is dead to the tensor analysis after lf.mul unless the second linear's
# read is seen at the second call.
rows, d = 8, 64
a, w1, w2 = uniform(rng, rows, d), uniform(rng, d, d), uniform(rng, d, d)
t, wt = ttype((rows, d), "f32"), ttype((d, d), "f32")
x = a + a
run.run("two linears of one tensor around an in-place op",
        [(a, "f32", ()), (w1, "f32", ()), (w2, "f32", ())],
        f"  %x = lf.add %a0, %a0 : {t}\n"
        f"  %y1 = lf.linear %x, %a1 : {t}, {wt} -> {t}\n"
        f"  %z = lf.mul %x, %x : {t}\n"
        f"  %y2 = lf.linear %x, %a2 : {t}, {wt} -> {t}\n"
        f"  return %y1, %z, %y2 : {t}, {t}, {t}",
        [((rows, d), "f32", ())] * 3, [x @ w1.T, x * x, x @ w2.T])
# The same through the row-norm kernels, on [1, rows, d] as a model's
# activations are: x (a product, so that lf-optimize does not fuse it into
# an add+norm) read by an RMSNorm call, updated in place by an elementwise
# op, then read again by a residual+RMSNorm call.
a3, r3 = uniform(rng, 1, rows, d), uniform(rng, 1, rows, d)
t3 = ttype((1, rows, d), "f32")
x3 = a3 * a3
s3 = x3 + r3
run.run("norm kernels of one tensor around an in-place op",
        [(a3, "f32", ()), (r3, "f32", ()), (w1, "f32", ())],
        f"  %x = lf.mul %a0, %a0 : {t3}\n"
        f"  %n = lf.rms_norm %x : {t3}\n"
        f"  %y1 = lf.linear %n, %a2 : {t3}, {wt} -> {t3}\n"
        f"  %z = lf.add %x, %x : {t3}\n"
        f"  %s, %m = lf.residual_norm rms %x, %a1 {{eps = 1.0e-6 : f32}} : {t3}\n"
        f"  %y2 = lf.linear %m, %a2 : {t3}, {wt} -> {t3}\n"
        f"  return %y1, %z, %s, %y2 : {t3}, {t3}, {t3}, {t3}",
        [((1, rows, d), "f32", ())] * 4,
        [R.rms_norm(x3) @ w1.T, x3 + x3, s3, R.rms_norm(s3, eps=1e-6) @ w1.T])

for act, xs, n, bias in [("silu", (13, 300), 130, True),
                         ("none", (1, 64), 70, False),
                         ("sigmoid", (2, 5, 96), 64, True),
                         ("relu", (7, 513), 100, False),
                         ("gelu", (6, 40), 65, True),
                         ("silu", (64, 96), 200, False)]:
    k = xs[-1]
    x, wg, wu = uniform(rng, *xs), uniform(rng, n, k), uniform(rng, n, k)
    bg, bu = uniform(rng, n), uniform(rng, n)
    ys = xs[:-1] + (n,)
    xt, wt, yt, bt = ttype(xs, "f32"), ttype((n, k), "f32"), ttype(ys, "f32"), ttype((n,), "f32")
    args = [(x, "f32", ()), (wg, "f32", ()), (wu, "f32", ())]
    bpg = bpu = ""
    if bias:
        args += [(bg, "f32", ()), (bu, "f32", ())]
        bpg, bpu = f" bias(%a3 : {bt})", f" bias(%a4 : {bt})"
    x64 = x.astype(np.float64)
    g = R.linear(x64, wg.astype(np.float64), bg.astype(np.float64) if bias else None)
    u = R.linear(x64, wu.astype(np.float64), bu.astype(np.float64) if bias else None)
    run.run(f"glu {act} of linears {xs} x [{n},{k}] bias={bias}", args,
            f"  %g = lf.linear %a0, %a1{bpg} : {xt}, {wt} -> {yt}\n"
            f"  %u = lf.linear %a0, %a2{bpu} : {xt}, {wt} -> {yt}\n"
            f"  %y = lf.glu {act} %g, %u : {yt}\n"
            f"  return %y : {yt}",
            [(ys, "f32", ())], [R.glu(act, g, u)])

run.finish()
