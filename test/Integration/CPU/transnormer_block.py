# The TransNormerLLM block of examples/ (SRMSNorm, Q/K/V/U projections,
# decayed causal linear attention over 2 heads, NormAttention gate, SGLU)
# against a numpy float64 model, through lf-run, the Python package and AOT
# objects with the default pipeline (lf-optimize: the channel mixer's add and
# norm fuse), and through lf-run with lf-fuse-glu and lf-fuse-norm-linear
# added (each checked to have fired).
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import os
import re
import subprocess

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "..", "..", "..", "examples", "transnormer_block.mlir")).read()
names = ["x", "wq", "wk", "wv", "wu", "wo", "decay", "w1", "w2", "w3"]
body = src[src.index("{\n", src.index("-> tensor<?x64xf32>")) + 2:src.rindex("}")]
for i, n in enumerate(names):
    body = re.sub(rf"%{n}\b", f"%a{i}", body)

rng = np.random.default_rng(2)
N, D, H, F = 37, 64, 2, 128
p = {"x": rng.standard_normal((N, D)), "wq": rng.standard_normal((D, D)) / 8, "wk": rng.standard_normal((D, D)) / 8,
     "wv": rng.standard_normal((D, D)) / 8, "wu": rng.standard_normal((D, D)) / 8,
     "wo": rng.standard_normal((D, D)) / 8, "decay": np.array([0.05, 0.5]),
     "w1": rng.standard_normal((F, D)) / 8, "w2": rng.standard_normal((F, D)) / 8,
     "w3": rng.standard_normal((D, F)) / 11}
p = {k: v.astype(np.float32) for k, v in p.items()}


def heads(t):  # [N, D] -> [1, H, N, D/H]
    return t.reshape(N, H, D // H).transpose(1, 0, 2)[None]


def model(p):
    x = p["x"].astype(np.float64)
    h = R.rms_norm(x)
    q, k, v, u = (R.linear(h, p[w]) for w in ("wq", "wk", "wv", "wu"))
    o = R.linear_attention(heads(q), heads(k), heads(v), p["decay"], True, "silu")
    o = o[0].transpose(1, 0, 2).reshape(N, D)
    x1 = x + R.linear(u * R.rms_norm(o), p["wo"])
    h2 = R.rms_norm(x1)
    return x1 + R.linear(R.linear(h2, p["w1"]) * R.linear(h2, p["w2"]), p["w3"])


run = Runner()
args = [(p[n], "f32", (0,) if n == "x" else ()) for n in names]
ref = model(p)
run.run("transnormer block, default pipeline", args, body, [((N, D), "f32", (0,))], [ref], rtol_scale=10.0)

if run.mode == "lf-run":
    for extra, marker in [("lf-fuse-glu", lambda ir: ir.count("lf.linear ") == 7 and "tensor<256x64xf32>" in ir),
                          ("lf-fuse-norm-linear", lambda ir: ir.count("lf.norm_linear") == 4)]:
        pipe = f"builtin.module(lf-optimize,func.func({extra}))"
        full = src.replace("@transnormer_block", "@main")
        ir = subprocess.run(["lf-opt", "-", "--pass-pipeline=" + pipe], input=full,
                            capture_output=True, text=True).stdout
        if not marker(ir):
            run.failures.append(extra + " did not fire")
            print(f"FAIL {extra} did not fire on the block\n{ir}")
        run.pipeline = pipe[:-1] + ",lf-cpu-pipeline{optimize=false})"
        run.run(f"transnormer block, {extra}", args, body, [((N, D), "f32", (0,))], [ref], rtol_scale=10.0)
run.finish()
