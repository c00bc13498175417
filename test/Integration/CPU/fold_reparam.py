# lf-fold-weight-reparam end to end: linears whose weights are constant
# reparameterizations (sigmaReparam with and without u, Scaled Weight
# Standardization, the compander) and a LayerNorm-Scaling norm, compiled with
# the default pipeline (which folds them), against numpy (the spectral norm
# from numpy's SVD). Also checks that the fold fired.
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import subprocess

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner, ttype

rng = np.random.default_rng(11)
run = Runner()


def const(name, a):
    a = np.asarray(a, np.float64)
    if a.ndim == 0:
        return f"  %{name} = arith.constant dense<{float(a)!r}> : tensor<f32>\n"
    body = np.array2string(a, separator=", ", threshold=10**9, floatmode="unique",
                           max_line_width=10**9)
    return f"  %{name} = arith.constant dense<{body}> : tensor<{'x'.join(map(str, a.shape))}xf32>\n"


def folded(body, ops):
    src = f"func.func @main(%a0: tensor<5x16xf32>) -> tensor<5x8xf32> {{\n{body}\n}}\n"
    out = subprocess.run(["lf-opt", "-", "--lf-optimize"], input=src, capture_output=True, text=True)
    return out.returncode == 0 and not any(op in out.stdout for op in ops)


x = rng.uniform(-1, 1, (5, 16)).astype(np.float32)
W = rng.standard_normal((8, 16)).astype(np.float32)
u = rng.standard_normal(16).astype(np.float32)
gain = rng.uniform(0.5, 1.5, 8).astype(np.float32)
Wf = W.astype(np.float64)

cases = [
    ("sigma_reparam (spectral norm)", "%e = lf.sigma_reparam %w, %g : tensor<8x16xf32>, tensor<f32>",
     const("g", 2.5), R.sigma_reparam(Wf, 2.5)),
    ("sigma_reparam (stored u)", "%e = lf.sigma_reparam %w, %g u(%u : tensor<16xf32>) : tensor<8x16xf32>, tensor<f32>",
     const("g", 2.5) + const("u", u), R.sigma_reparam(Wf, 2.5, u)),
    ("weight_standardize", "%e = lf.weight_standardize %w gain(%s : tensor<8xf32>) {gamma = 1.7139 : f32} : tensor<8x16xf32>",
     const("s", gain), R.weight_standardize(Wf, gain, 1.7139)),
    ("weight_compand", "%e = lf.weight_compand %w {exponent = 0.6 : f32} : tensor<8x16xf32>",
     "", R.weight_compand(Wf, 0.6)),
]
for name, op, extra, weff in cases:
    body = (const("w", W) + extra + f"  {op}\n"
            "  %y = lf.linear %a0, %e : tensor<5x16xf32>, tensor<8x16xf32> -> tensor<5x8xf32>\n"
            "  return %y : tensor<5x8xf32>")
    if not folded(body, [op.split()[2]]):
        run.failures.append(name + " (not folded)")
        print(f"FAIL {name}: not folded")
    run.run(f"folded {name}", [(x, "f32", ())], body, [((5, 8), "f32", ())], [R.linear(x, weff)])

# LayerNorm Scaling: scale = 1/sqrt(l) for layer 4, folded into the gain.
g = rng.uniform(0.5, 1.5, 16).astype(np.float32)
body = (const("g", g) + "  %n = lf.rms_norm %a0 gain(%g : tensor<16xf32>) {scale = 0.5 : f32} : tensor<5x16xf32>\n"
        "  return %n : tensor<5x16xf32>")
run.run("layernorm scaling folded into the gain", [(x, "f32", ())], body, [((5, 16), "f32", ())],
        [R.rms_norm(x, g, scale=0.5)])

run.finish()
