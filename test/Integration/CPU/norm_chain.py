# A LayerNorm residual chain s = s + layer_norm(s) that lf-optimize leaves
# alone (the stream starts at an argument): lf-tile-rows once fused 2^n copies
# of the chain into each tile (5 layers took over a minute to compile). Now
# each producer is fused at most twice; the chain compiles in linear time and
# computes the same values. The 24-layer compile runs under `timeout` so a
# regression fails instead of hanging.
# RUN: %PYTHON %s
# RUN: env LF_THREADS=2 %PYTHON %s
import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, ttype, uniform

rng = np.random.default_rng(3)
run = Runner()
for n in (1, 3, 6, 24):
    x = uniform(rng, 13, 64)
    ty = ttype(x.shape, "f32", (0,))
    body = "".join(f"  %n{i} = lf.layer_norm %s{i} : {ty}\n  %s{i + 1} = lf.add %s{i}, %n{i} : {ty}\n"
                   for i in range(n))
    body = body.replace("%s0", "%a0") + f"  return %s{n} : {ty}"
    ref = x.astype(np.float64)
    for _ in range(n):
        ref = ref + R.layer_norm(ref)
    run.run(f"layer-norm chain of {n}", [(x, "f32", (0,))], body, [(x.shape, "f32", (0,))], [ref],
            rtol_scale=4.0)
run.finish()
