# lf-fuse-norm-linear end to end: a gain-free LayerNorm / RMSNorm read by
# three linears (and a norm with a gain, which lf-fold-norm-into-linear
# strips first), compiled with lf-optimize followed by the fusion, against
# numpy; checks that lf.norm_linear formed.
# RUN: %PYTHON %s
import subprocess

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner

rng = np.random.default_rng(3)
run = Runner()
PIPE = "builtin.module(lf-optimize,func.func(lf-fuse-norm-linear),lf-cpu-pipeline{optimize=false})"
T, D = 9, 24
for kind, eps, gain in [("layer_norm", 1e-5, False), ("rms_norm", 1e-6, False), ("layer_norm", 1e-5, True)]:
    x = rng.uniform(-1, 1, (T, D)).astype(np.float32)
    x[0] += 2e3  # a large-mean row
    ws = [rng.uniform(-0.3, 0.3, (n, D)).astype(np.float32) for n in (D, D, 8)]
    g = rng.uniform(0.5, 1.5, D).astype(np.float32)
    gp = f" gain(%a4 : tensor<{D}xf32>)" if gain else ""
    body = (f"  %n = lf.{kind} %a0{gp} : tensor<{T}x{D}xf32>\n" +
            "".join(f"  %y{i} = lf.linear %n, %a{i + 1} : tensor<{T}x{D}xf32>, tensor<{w.shape[0]}x{D}xf32> -> "
                    f"tensor<{T}x{w.shape[0]}xf32>\n" for i, w in enumerate(ws)) +
            f"  return %y0, %y1, %y2 : tensor<{T}x{D}xf32>, tensor<{T}x{D}xf32>, tensor<{T}x8xf32>")
    args = [(x, "f32", ())] + [(w, "f32", ()) for w in ws] + ([(g, "f32", ())] if gain else [])
    decl = ", ".join(f"%a{i}: tensor<{'x'.join(map(str, a.shape))}xf32>" for i, (a, _, _) in enumerate(args))
    src = f"func.func @main({decl}) -> (tensor<{T}x{D}xf32>, tensor<{T}x{D}xf32>, tensor<{T}x8xf32>) {{\n{body}\n}}\n"
    ir = subprocess.run(["lf-opt", "-", "--pass-pipeline=" + PIPE.replace(",lf-cpu-pipeline{optimize=false}", "")],
                        input=src, capture_output=True, text=True).stdout
    if ir.count("lf.norm_linear") != 3 or f"lf.{kind}" in ir:
        run.failures.append(f"{kind} gain={gain}: not fused")
        print(f"FAIL {kind} gain={gain}: not fused\n{ir}")
    norm = (R.layer_norm(x, g if gain else None, eps=eps) if kind == "layer_norm"
            else R.rms_norm(x, g if gain else None, eps=eps))
    run.pipeline = PIPE
    run.run(f"norm_linear from {kind} gain={gain}", args, body,
            [((T, D), "f32", ()), ((T, D), "f32", ()), ((T, 8), "f32", ())],
            [R.linear(norm, w) for w in ws], rtol_scale=4.0)
run.finish()
