# Row norms on hostile data (issue 15): |mean| is 1e4 times the standard
# deviation, feature sizes 1, 7 and 4097, rows 1 and 3, f32, f16 and bf16
# storage (f32 accumulation), against float64 references of the stored
# inputs: LayerNorm (its shifted statistics), RMSNorm, the gain-free
# "simple" RMSNorm, CRMSNorm, LayerNorm scaling, and residual+norm (both the
# sum and the normalized stream). f32 must stay within 1e-5 relative; f16 and
# bf16 within their own output rounding (lightfuse.testing.harness TOL).
# The same cases run on the emulated GPU path (every kernel on the host),
# through the Python API, and in the GPU/ tests on a device.
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env "LF_PIPELINE=builtin.module(lf-gpu-emulated-pipeline{emit-c-interface})" %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype

rng = np.random.default_rng(15)
run = Runner()


def hostile(rows, d, mean=1e4, std=1.0):
    # A per-row mean of +-1e4 (both signs) plus unit noise.
    sign = np.where(rng.uniform(size=(rows, 1)) < 0.5, -1.0, 1.0)
    return (sign * mean + std * rng.standard_normal((rows, d))).astype(np.float32)


for dtype in ("f32", "f16", "bf16"):
    for rows in (1, 3):
        for d in (1, 7, 4097):
            tag = f"{dtype} rows={rows} D={d}"
            x = hostile(rows, d)
            o = (0.5 * rng.standard_normal((rows, d))).astype(np.float32)
            g = rng.uniform(0.5, 1.5, d).astype(np.float32)
            b = rng.uniform(-1, 1, d).astype(np.float32)
            xs, os_, gs, bs = (stored(a, dtype) for a in (x, o, g, b))
            ty, vt = ttype((rows, d), dtype), ttype((d,), dtype)
            X, G, B, O = (x, dtype, ()), (g, dtype, ()), (b, dtype, ()), (o, dtype, ())
            res = [((rows, d), dtype, ())]

            run.run(f"layer_norm gain bias {tag}", [X, G, B],
                    f"  %0 = lf.layer_norm %a0 gain(%a1 : {vt}) bias(%a2 : {vt}) : {ty}\n"
                    f"  return %0 : {ty}", res, [R.layer_norm(xs, gs, bs)])
            run.run(f"layer_norm scale {tag}", [X],
                    f"  %0 = lf.layer_norm %a0 {{scale = 0.5 : f32}} : {ty}\n"
                    f"  return %0 : {ty}", res, [R.layer_norm(xs, scale=0.5)])
            run.run(f"rms_norm gain {tag}", [X, G],
                    f"  %0 = lf.rms_norm %a0 gain(%a1 : {vt}) : {ty}\n"
                    f"  return %0 : {ty}", res, [R.rms_norm(xs, gs)])
            run.run(f"simple rms_norm {tag}", [X],
                    f"  %0 = lf.rms_norm %a0 : {ty}\n  return %0 : {ty}", res,
                    [R.rms_norm(xs)])
            run.run(f"crms_norm gain {tag}", [X, G],
                    f"  %0 = lf.crms_norm %a0 gain(%a1 : {vt}) : {ty}\n"
                    f"  return %0 : {ty}", res, [R.crms_norm(xs, gs)])
            # residual + norm: the sum is rounded to the storage type before
            # it is normalized (it is a result of its own).
            s = stored((xs + os_).astype(np.float32), dtype)
            run.run(f"residual_norm layer {tag}", [X, O, G, B],
                    f"  %s, %n = lf.residual_norm layer %a0, %a1 gain(%a2 : {vt}) bias(%a3 : {vt}) {{eps = 1.0e-5 : f32}} : {ty}\n"
                    f"  return %s, %n : {ty}, {ty}", res * 2, [xs + os_, R.layer_norm(s, gs, bs)])
            run.run(f"residual_norm rms {tag}", [X, O],
                    f"  %s, %n = lf.residual_norm rms %a0, %a1 {{eps = 1.0e-6 : f32}} : {ty}\n"
                    f"  return %s, %n : {ty}, {ty}", res * 2, [xs + os_, R.rms_norm(s)])
run.finish()
