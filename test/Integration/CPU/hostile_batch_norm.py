# BatchNorm on hostile data: |mean| is 1e4 times the spread of x, channel
# counts 1, 7 and 4097, rows 1 and 3, f32, f16 and bf16 storage (references
# from the stored values; f16/bf16 within their output rounding), on the CPU
# and the emulated GPU path. Centring first ((x - mean) * scale +
# bias) keeps f32 within 1e-5 of the float64 reference; the folded form
# a * x + (bias - a * mean) lost ~1e-4.
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env "LF_PIPELINE=builtin.module(lf-gpu-emulated-pipeline{emit-c-interface})" %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, stored, ttype

rng = np.random.default_rng(5)
run = Runner()
for dtype in ("f32", "f16", "bf16"):
  for rows in (1, 3):
    for c in (1, 7, 4097):
        mean = (1e4 + rng.uniform(-1, 1, c)).astype(np.float32)
        var = rng.uniform(0.5, 2.0, c).astype(np.float32)
        x = (mean + rng.standard_normal((rows, c))).astype(np.float32)
        g = rng.uniform(0.5, 1.5, c).astype(np.float32)
        b = rng.uniform(-1, 1, c).astype(np.float32)
        xt, vt = ttype(x.shape, dtype, ()), ttype((c,), dtype, ())
        body = (f"  %0 = lf.batch_norm %a0, %a1, %a2 gain(%a3 : {vt}) bias(%a4 : {vt}) : {xt}, {vt}, {vt}\n"
                f"  return %0 : {xt}")
        ref = R.batch_norm(*(stored(a, dtype) for a in (x, mean, var, g, b)))
        run.run(f"batch_norm mean 1e4 {dtype} rows={rows} C={c}",
                [(a, dtype, ()) for a in (x, mean, var, g, b)],
                body, [(x.shape, dtype, ())], [ref])
run.finish()
