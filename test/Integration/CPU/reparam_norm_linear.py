# lf.norm_linear, lf.recenter and the weight reparameterizations
# (lf.sigma_reparam, lf.weight_standardize, lf.weight_compand) at run time,
# through lf-run, the Python package and AOT objects, against numpy.
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype, uniform

rng = np.random.default_rng(7)
run = Runner()
q = stored


def rnd(*shape, lo=-1.0, hi=1.0):
    return uniform(rng, *shape, lo=lo, hi=hi)


# norm_linear: both kinds, with/without bias, dynamic rows, a large-mean row
# (the centring must happen before the product, not as sum(xW) - mu sum(W)).
for kind, eps in [("layer", "1.0e-05"), ("rms", "1.0e-06")]:
    for dt, xs, n, dyn, bias in [("f32", (6, 64), 16, (0,), True), ("f32", (2, 3, 33), 7, (), False),
                                 ("bf16", (5, 48), 12, (0,), True), ("f16", (3, 20), 4, (), True)]:
        k = xs[-1]
        x = rnd(*xs)
        if kind == "layer" and dt == "f32":
            x.reshape(-1, k)[0] = 1e4 + 0.1 * rnd(k)
        w, b = rnd(n, k), rnd(n)
        ys = xs[:-1] + (n,)
        args = [(x, dt, dyn), (w, dt, ())]
        bp = ""
        if bias:
            args.append((b, dt, ()))
            bp = f" bias(%a2 : tensor<{n}x{dt}>)"
        body = (f"  %0 = lf.norm_linear {kind} %a0, %a1{bp} {{eps = {eps} : f32}} : {ttype(xs, dt, dyn)}, "
                f"tensor<{n}x{k}x{dt}> -> {ttype(ys, dt, dyn)}\n  return %0 : {ttype(ys, dt, dyn)}")
        run.run(f"norm_linear {kind} {dt} {xs} -> {n} bias={bias}", args, body, [(ys, dt, dyn)],
                [R.norm_linear(kind, q(x, dt), q(w, dt), q(b, dt) if bias else None, float(eps))],
                rtol_scale=4.0)

for dt, shape, axis, dyn in [("f32", (5, 9), -1, (0,)), ("f32", (6, 4), 0, ()), ("bf16", (2, 3, 8), 1, ()),
                             ("f32", (3, 17), 1, (1,))]:
    x = rnd(*shape, lo=-3, hi=5)
    ty = ttype(shape, dt, dyn)
    run.run(f"recenter {dt} {shape} axis={axis}", [(x, dt, dyn)],
            f"  %0 = lf.recenter %a0 {{axis = {axis} : i64}} : {ty}\n  return %0 : {ty}",
            [(shape, dt, dyn)], [R.recenter(q(x, dt), axis)])

for dt, (n, k) in [("f32", (24, 16)), ("f32", (5, 40)), ("bf16", (16, 16))]:
    w, u = rnd(n, k), rnd(k)
    g = np.array([1.7], np.float32)
    run.run(f"sigma_reparam {dt} [{n},{k}] with u", [(w, dt, ()), (g, dt, ()), (u, dt, ())],
            f"  %0 = lf.sigma_reparam %a0, %a1 u(%a2 : tensor<{k}x{dt}>) : tensor<{n}x{k}x{dt}>, tensor<1x{dt}>\n"
            f"  return %0 : tensor<{n}x{k}x{dt}>",
            [((n, k), dt, ())], [R.sigma_reparam(q(w, dt), q(g, dt), q(u, dt))], rtol_scale=4.0)

for dt, shape, gain, gamma in [("f32", (8, 32), True, 1.7139), ("f32", (4, 3, 3, 3), False, 1.0),
                               ("bf16", (6, 10), True, 2.0)]:
    w = rnd(*shape, lo=-2, hi=1)
    gv = rnd(shape[0], lo=0.5, hi=1.5)
    ty = ttype(shape, dt)
    args = [(w, dt, ())]
    gp = ""
    if gain:
        args.append((gv, dt, ()))
        gp = f" gain(%a1 : tensor<{shape[0]}x{dt}>)"
    run.run(f"weight_standardize {dt} {shape}", args,
            f"  %0 = lf.weight_standardize %a0{gp} {{gamma = {gamma} : f32}} : {ty}\n  return %0 : {ty}",
            [(shape, dt, ())], [R.weight_standardize(q(w, dt), q(gv, dt) if gain else None, gamma)],
            rtol_scale=4.0)

for dt, p in [("f32", 0.5), ("f32", 0.8), ("f32", 1.0), ("bf16", 0.5)]:
    w = np.concatenate([rnd(40, lo=-3, hi=3), np.array([0.0, 1e-30, -1e-30, 100.0, -1e-3], np.float32)])
    w = w.reshape(5, 9)
    ty = ttype(w.shape, dt)
    run.run(f"weight_compand {dt} p={p}", [(w, dt, ())],
            f"  %0 = lf.weight_compand %a0 {{exponent = {p} : f32}} : {ty}\n  return %0 : {ty}",
            [(w.shape, dt, ())], [R.weight_compand(q(w, dt), p)])

run.finish()
