# Group and channel statistics on hostile data: |mean| is 1e4 times the
# standard deviation (EvoNorm, weight standardization, PowerNorm, Unified
# Norm). EvoNorm-B0's instance variance, EvoNorm-S0's group
# variance and weight standardization's per-filter mean and variance use
# shifted statistics (x - K, K the first element of each reduced slice), so
# f32 stays within 1e-5 of the float64 reference; the unshifted two-pass
# form lost 5.9e-4 (S0) and 2.4e-3 (WS).
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env "LF_PIPELINE=builtin.module(lf-gpu-emulated-pipeline{emit-c-interface})" %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, ttype

rng = np.random.default_rng(9)
run = Runner()


def hostile(*shape, mean=1e3, std=0.1):
    return (mean + std * rng.standard_normal(shape)).astype(np.float32)


for shape, groups in [((2, 8, 3, 3), 4), ((1, 7, 5), 7), ((3, 4, 9), 1), ((1, 16, 32, 32), 4)]:
    c = shape[1]
    x = hostile(*shape)
    v, g, b = (rng.uniform(0.5, 1.5, c).astype(np.float32) for _ in range(3))
    ty, cty = ttype(shape, "f32", ()), f"tensor<{c}xf32>"
    body = (f"  %0 = lf.evonorm_s0 %a0, %a1, %a2, %a3 {{groups = {groups} : i64, axis = 1 : i64}}"
            f" : {ty}, {cty}\n  return %0 : {ty}")
    run.run(f"evonorm_s0 mean 1e3 std 0.1 {shape} groups={groups}",
            [(x, "f32", ()), (v * 1e-3, "f32", ()), (g, "f32", ()), (b, "f32", ())], body,
            [(shape, "f32", ())], [R.evonorm_s0(x, v * 1e-3, g, b, groups=groups, axis=1)])
    rv = rng.uniform(0.5, 2.0, c).astype(np.float32)
    body = (f"  %0 = lf.evonorm_b0 %a0, %a1, %a2, %a3, %a4 {{axis = 1 : i64}} : {ty}, {cty}\n"
            f"  return %0 : {ty}")
    run.run(f"evonorm_b0 mean 1e3 std 0.1 {shape}",
            [(x, "f32", ()), (v, "f32", ()), (g, "f32", ()), (b, "f32", ()), (rv, "f32", ())], body,
            [(shape, "f32", ())], [R.evonorm_b0(x, v, g, b, rv, axis=1)])

for shape in [(4, 3, 3, 3), (16, 1), (3, 4097)]:
    w = hostile(*shape, mean=1e4, std=1.0)
    g = rng.uniform(0.5, 1.5, shape[0]).astype(np.float32)
    ty = ttype(shape, "f32", ())
    body = (f"  %0 = lf.weight_standardize %a0 gain(%a1 : tensor<{shape[0]}xf32>) : {ty}\n"
            f"  return %0 : {ty}")
    run.run(f"weight_standardize mean 1e4 std 1 {shape}", [(w, "f32", ()), (g, "f32", ())], body,
            [(shape, "f32", ())], [R.weight_standardize(w, g)])
# PowerNorm (grouped quadratic mean, then the running-qm scale) and Unified
# Norm (running qm) at mean 1e4 x std: sums of squares of same-sign values
# keep their relative accuracy, no shift needed.
for shape, groups in [((3, 7), 7), ((1, 4096), 8), ((2, 12), 3)]:
    c = shape[-1]
    x = hostile(*shape, mean=1e4, std=1.0)
    qm = rng.uniform(0.5, 2.0, c).astype(np.float32)
    g, b = rng.uniform(0.5, 1.5, c).astype(np.float32), rng.uniform(-1, 1, c).astype(np.float32)
    ty, cty = ttype(shape, "f32", ()), f"tensor<{c}xf32>"
    body = (f"  %0 = lf.power_norm %a0 running_qm(%a1 : {cty}) gain(%a2 : {cty}) bias(%a3 : {cty}) "
            f"{{groups = {groups} : i64}} : {ty}\n  return %0 : {ty}")
    run.run(f"power_norm mean 1e4 std 1 {shape} groups={groups}",
            [(x, "f32", ()), (qm, "f32", ()), (g, "f32", ()), (b, "f32", ())], body,
            [(shape, "f32", ())], [R.power_norm(x, qm, g, b, groups=groups)])
    body = (f"  %0 = lf.unified_norm %a0, %a1 gain(%a2 : {cty}) bias(%a3 : {cty}) : {ty}, {cty}\n"
            f"  return %0 : {ty}")
    run.run(f"unified_norm mean 1e4 std 1 {shape}",
            [(x, "f32", ()), (qm, "f32", ()), (g, "f32", ()), (b, "f32", ())], body,
            [(shape, "f32", ())], [R.unified_norm(x, qm, g, b)])
run.finish()
