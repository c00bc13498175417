# Every normalization op, JIT-compiled and run through lf-run, against the
# independent numpy reference: odd and tiny widths, dynamic dims, each
# element type, and large-magnitude rows with small variance.
# RUN: %PYTHON %s
# The same cases through the Python package (C API) and through lf-compile
# objects linked by a C driver:
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype, uniform

rng = np.random.default_rng(0)
run = Runner()


def rnd(*shape, lo=-1.0, hi=1.0):
    return uniform(rng, *shape, lo=lo, hi=hi)


q = stored  # the value the kernel sees, in float64


# --- layer_norm -----------------------------------------------------------
for dt, shape, dyn, params, scale in [
    ("f32", (3, 7), (), "gb", None),
    ("f32", (2, 4097), (), "", None),
    ("f32", (5, 1), (), "gb", None),
    ("f32", (2, 3, 64), (0, 1), "g", 0.5),
    ("f16", (6, 64), (0,), "g", None),
    ("bf16", (4, 33), (), "b", 0.70710678),
    ("f32", (1, 1, 8), (0, 1, 2), "gb", None),
]:
    x = rnd(*shape, lo=-3, hi=3)
    d = shape[-1]
    g, b = rnd(d, lo=0.5, hi=1.5), rnd(d)
    args = [(x, dt, dyn)]
    parts = []
    if "g" in params:
        args.append((g, dt, ()))
        parts.append(f"gain(%a{len(args)-1} : tensor<{d}x{dt}>)")
    if "b" in params:
        args.append((b, dt, ()))
        parts.append(f"bias(%a{len(args)-1} : tensor<{d}x{dt}>)")
    attr = f" {{scale = {scale} : f32}}" if scale else ""
    ty = ttype(shape, dt, dyn)
    body = (f"  %0 = lf.layer_norm %a0 {' '.join(parts)}{attr} : {ty}\n"
            f"  return %0 : {ty}")
    ref = R.layer_norm(q(x, dt), q(g, dt) if "g" in params else None,
                       q(b, dt) if "b" in params else None, scale=scale)
    run.run(f"layer_norm {dt} {shape} dyn={dyn} {params}", args, body,
            [(shape, dt, dyn)], [ref])

# Magnitude 1e4 with a spread of 0.1: the variance must not cancel.
x = (1e4 + 0.1 * rng.standard_normal((4, 4097))).astype(np.float32)
ty = "tensor<4x4097xf32>"
run.run("layer_norm f32 mean=1e4 std=0.1", [(x, "f32", ())],
        f"  %0 = lf.layer_norm %a0 : {ty}\n  return %0 : {ty}",
        [((4, 4097), "f32", ())], [R.layer_norm(x.astype(np.float64))])
x = (-3e4 + 1e-2 * rng.standard_normal((3, 1000))).astype(np.float32)
ty = "tensor<3x1000xf32>"
run.run("layer_norm f32 mean=-3e4 std=1e-2", [(x, "f32", ())],
        f"  %0 = lf.layer_norm %a0 : {ty}\n  return %0 : {ty}",
        [((3, 1000), "f32", ())], [R.layer_norm(x.astype(np.float64))])

# --- rms_norm / SRMSNorm ----------------------------------------------------
for dt, shape, dyn, gain, scale, mag in [
    ("f32", (3, 4097), (), True, None, 1.0),
    ("f32", (4, 1), (), False, None, 1.0),
    ("f32", (2, 5, 7), (1,), False, 0.25, 1.0),
    ("f16", (3, 7), (), True, None, 300.0),   # x^2 would overflow in f16
    ("bf16", (5, 96), (0, 1), False, None, 1e3),
    ("f16", (2, 2, 128), (0,), False, None, 1.0),
]:
    x = rnd(*shape) * mag
    d = shape[-1]
    g = rnd(d, lo=0.5, hi=1.5)
    ty = ttype(shape, dt, dyn)
    args = [(x, dt, dyn)]
    gp = ""
    if gain:
        args.append((g, dt, ()))
        gp = f" gain(%a1 : tensor<{d}x{dt}>)"
    attr = f" {{scale = {scale} : f32}}" if scale else ""
    ref = R.rms_norm(q(x, dt), q(g, dt) if gain else None, scale=scale)
    run.run(f"rms_norm {dt} {shape} dyn={dyn} gain={gain} |x|~{mag}", args,
            f"  %0 = lf.rms_norm %a0{gp}{attr} : {ty}\n  return %0 : {ty}",
            [(shape, dt, dyn)], [ref])

# --- residual_norm (fused add + norm) ------------------------------------
for dt, kind, params in [("f32", "layer", "gb"), ("bf16", "rms", "g"), ("f16", "layer", ""), ("f32", "rms", "")]:
    shape = (5, 96)
    x, o = rnd(*shape, lo=-2, hi=2), rnd(*shape, lo=-2, hi=2)
    g, b = rnd(96, lo=0.5, hi=1.5), rnd(96)
    ty = ttype(shape, dt, (0,))
    args = [(x, dt, (0,)), (o, dt, (0,))]
    parts = []
    if "g" in params:
        args.append((g, dt, ()))
        parts.append(f"gain(%a{len(args)-1} : tensor<96x{dt}>)")
    if "b" in params:
        args.append((b, dt, ()))
        parts.append(f"bias(%a{len(args)-1} : tensor<96x{dt}>)")
    eps = 1e-5 if kind == "layer" else 1e-6
    body = (f"  %s, %n = lf.residual_norm {kind} %a0, %a1 {' '.join(parts)} {{eps = {eps:.1e} : f32}} : {ty}\n"
            f"  return %s, %n : {ty}, {ty}")
    ssum = q(q(x, dt) + q(o, dt), dt)  # the sum is rounded to the storage type
    gg = q(g, dt) if "g" in params else None
    ref = (R.layer_norm(ssum, gg, q(b, dt) if "b" in params else None, eps=eps) if kind == "layer"
           else R.rms_norm(ssum, gg, eps=eps))
    run.run(f"residual_norm {kind} {dt} {params}", args, body, [(shape, dt, (0,)), (shape, dt, (0,))],
            [ssum, ref])

# --- crms_norm --------------------------------------------------------------
for dt, shape, gain in [("f32", (3, 7), True), ("f32", (2, 1), False),
                        ("bf16", (4, 767), False)]:
    z = rnd(*shape)
    d = shape[-1]
    g = rnd(d, lo=0.5, hi=1.5)
    ty = f"tensor<{shape[0]}x{d}x{dt}>"
    args = [(z, dt, ())]
    gp = ""
    if gain:
        args.append((g, dt, ()))
        gp = f" gain(%a1 : tensor<{d}x{dt}>)"
    ref = R.crms_norm(q(z, dt), q(g, dt) if gain else None)
    run.run(f"crms_norm {dt} {shape}", args,
            f"  %0 = lf.crms_norm %a0{gp} : {ty}\n  return %0 : {ty}",
            [(shape, dt, ())], [ref])
# CRMSNorm of the compressed stream equals RMSNorm of the full zero-mean one.
full = rnd(3, 8)
full -= full.mean(-1, keepdims=True)
z = full[:, :-1].copy()
run.run("crms_norm == rms_norm on zero-mean rows", [(z, "f32", ())],
        "  %0 = lf.crms_norm %a0 : tensor<3x7xf32>\n  return %0 : tensor<3x7xf32>",
        [((3, 7), "f32", ())], [R.rms_norm(full.astype(np.float64))[:, :-1]])

# --- per-channel inference norms -------------------------------------------
for dt, shape, axis, dyn in [("f32", (2, 3, 4, 5), 1, ()), ("f32", (4, 6), -1, (0,)),
                             ("f16", (2, 5, 8), -1, (1,)), ("bf16", (3, 4, 2), -2, ())]:
    c = shape[axis]
    x, m = rnd(*shape, lo=-2, hi=2), rnd(c)
    v, g, b = rnd(c, lo=0.1, hi=2.0), rnd(c, lo=0.5, hi=1.5), rnd(c)
    ty, cty = ttype(shape, dt, dyn), f"tensor<{c}x{dt}>"
    body = (f"  %0 = lf.batch_norm %a0, %a1, %a2 gain(%a3 : {cty}) bias(%a4 : {cty}) "
            f"{{axis = {axis} : i64}} : {ty}, {cty}, {cty}\n  return %0 : {ty}")
    run.run(f"batch_norm {dt} {shape} axis={axis}",
            [(x, dt, dyn), (m, dt, ()), (v, dt, ()), (g, dt, ()), (b, dt, ())], body,
            [(shape, dt, dyn)], [R.batch_norm(*(q(a, dt) for a in (x, m, v, g, b)), axis=axis)])
    body = (f"  %0 = lf.unified_norm %a0, %a1 gain(%a2 : {cty}) bias(%a3 : {cty}) "
            f"{{axis = {axis} : i64, eps = 1.0e-3 : f32}} : {ty}, {cty}\n  return %0 : {ty}")
    run.run(f"unified_norm {dt} {shape} axis={axis}",
            [(x, dt, dyn), (v, dt, ()), (g, dt, ()), (b, dt, ())], body,
            [(shape, dt, dyn)],
            [R.unified_norm(*(q(a, dt) for a in (x, v, g, b)), eps=1e-3, axis=axis)])
    body = (f"  %0 = lf.channel_affine %a0, %a1, %a2 {{axis = {axis} : i64}} : {ty}, {cty}\n"
            f"  return %0 : {ty}")
    run.run(f"channel_affine {dt} {shape} axis={axis}",
            [(x, dt, dyn), (g, dt, ()), (b, dt, ())], body, [(shape, dt, dyn)],
            [R.channel_affine(q(x, dt), q(g, dt), q(b, dt), axis=axis)])

for dt, shape, groups, axis, dyn, params in [
        ("f32", (3, 2, 12), 4, -1, (0,), "qgb"), ("f32", (2, 8), 1, -1, (), "q"),
        ("bf16", (2, 12, 3), 3, 1, (), "qg"), ("f32", (5, 16), 16, -1, (), "qb"),
        ("f32", (4, 12), 3, -1, (0,), "")]:
    c = shape[axis]
    x, qm = rnd(*shape, lo=-2, hi=2), rnd(c, lo=0.2, hi=2.0)
    g, b = rnd(c, lo=0.5, hi=1.5), rnd(c)
    ty, cty = ttype(shape, dt, dyn), f"tensor<{c}x{dt}>"
    args = [(x, dt, dyn)]
    parts = []
    if "q" in params:
        args.append((qm, dt, ()))
        parts.append(f"running_qm(%a{len(args)-1} : {cty})")
    if "g" in params:
        args.append((g, dt, ()))
        parts.append(f"gain(%a{len(args)-1} : {cty})")
    if "b" in params:
        args.append((b, dt, ()))
        parts.append(f"bias(%a{len(args)-1} : {cty})")
    body = (f"  %0 = lf.power_norm %a0 {' '.join(parts)} {{groups = {groups} : i64, "
            f"axis = {axis} : i64}} : {ty}\n  return %0 : {ty}")
    ref = R.power_norm(q(x, dt), q(qm, dt) if "q" in params else None,
                       q(g, dt) if "g" in params else None,
                       q(b, dt) if "b" in params else None, groups=groups, axis=axis)
    run.run(f"power_norm {dt} {shape} groups={groups} axis={axis}", args, body,
            [(shape, dt, dyn)], [ref])

for dt, shape, axis in [("f32", (2, 4, 3, 3), 1), ("f32", (3, 5, 6), -1), ("f16", (2, 6, 7), 1)]:
    c = shape[axis]
    x = rnd(*shape, lo=-2, hi=2)
    v, g, b, rv = rnd(c), rnd(c, lo=0.5, hi=1.5), rnd(c), rnd(c, lo=0.1, hi=2.0)
    ty, cty = ttype(shape, dt, ()), f"tensor<{c}x{dt}>"
    body = (f"  %0 = lf.evonorm_b0 %a0, %a1, %a2, %a3, %a4 {{axis = {axis} : i64}} : {ty}, {cty}\n"
            f"  return %0 : {ty}")
    run.run(f"evonorm_b0 {dt} {shape} axis={axis}",
            [(x, dt, ()), (v, dt, ()), (g, dt, ()), (b, dt, ()), (rv, dt, ())], body,
            [(shape, dt, ())], [R.evonorm_b0(*(q(a, dt) for a in (x, v, g, b, rv)), axis=axis)])

# The last two: groups not dividing C fall back to the largest divisor below
# (spec.md 3.10): the default 32 with C = 24 (24 groups), 8 with C = 12 (6).
for dt, shape, groups, axis, dyn in [("f32", (2, 24, 3), 32, 1, ()), ("f32", (2, 12, 5), 8, 1, ()),
                                     ("f32", (2, 8, 3, 3), 4, 1, ()), ("f32", (3, 5, 6), 3, -1, (0,)),
                                     ("bf16", (2, 6, 10), 2, 1, (2,)), ("f32", (1, 32, 4), 32, 1, ())]:
    c = shape[axis]
    x = rnd(*shape, lo=-2, hi=2)
    v, g, b = rnd(c), rnd(c, lo=0.5, hi=1.5), rnd(c)
    ty, cty = ttype(shape, dt, dyn), f"tensor<{c}x{dt}>"
    body = (f"  %0 = lf.evonorm_s0 %a0, %a1, %a2, %a3 {{groups = {groups} : i64, axis = {axis} : i64}}"
            f" : {ty}, {cty}\n  return %0 : {ty}")
    run.run(f"evonorm_s0 {dt} {shape} groups={groups} axis={axis}",
            [(x, dt, dyn), (v, dt, ()), (g, dt, ()), (b, dt, ())], body,
            [(shape, dt, dyn)], [R.evonorm_s0(*(q(a, dt) for a in (x, v, g, b)), groups=groups, axis=axis)])

run.finish()
