# lf-layernorm-to-rmsnorm end to end, against a numpy float64 model with the
# original LayerNorms: a two-layer Pre-LN model made of linears (an input
# projection writes the stream, GELU MLP blocks, a final LayerNorm and a
# head), with weights as constants (recentred at compile time; the default
# pipeline rewrites it) and as arguments (lf.recenter at run time, through
# --pass-pipeline), and a stream with a large mean (3e3) that the rewrite
# removes exactly.
# RUN: %PYTHON %s
# RUN: env LF_HARNESS=python %PYTHON %s
# RUN: env LF_HARNESS=aot %PYTHON %s
import os
import subprocess

import numpy as np

from lightfuse.testing import reference as R
from lightfuse.testing.harness import Runner

rng = np.random.default_rng(5)
run = Runner()
T, I, D, F, V = 6, 10, 16, 32, 5


def const(name, a):
    a = np.asarray(a, np.float64)
    body = np.array2string(a, separator=", ", threshold=10**9, floatmode="unique", max_line_width=10**9)
    return f"  %{name} = arith.constant dense<{body}> : tensor<{'x'.join(map(str, a.shape))}xf32>\n"


def gelu(x):
    return R.activation("gelu", x)


p = {"we": rng.standard_normal((D, I)) * 0.3, "be": rng.standard_normal(D) + 3e3,
     "wh": rng.standard_normal((V, D)) * 0.3, "gf": rng.uniform(0.5, 1.5, D), "bf": rng.standard_normal(D)}
for l in range(2):
    p[f"g{l}"] = rng.uniform(0.5, 1.5, D)
    p[f"b{l}"] = rng.standard_normal(D) * 0.1
    p[f"w1{l}"] = rng.standard_normal((F, D)) * 0.3
    p[f"w2{l}"] = rng.standard_normal((D, F)) * 0.3
    p[f"c2{l}"] = rng.standard_normal(D)
p = {k: v.astype(np.float32) for k, v in p.items()}
x = rng.standard_normal((T, I)).astype(np.float32)


def numpy_model(x):
    s = R.linear(x, p["we"], p["be"])
    for l in range(2):
        h = R.layer_norm(s, p[f"g{l}"], p[f"b{l}"])
        s = s + R.linear(gelu(R.linear(h, p[f"w1{l}"])), p[f"w2{l}"], p[f"c2{l}"])
    return R.linear(R.layer_norm(s, p["gf"], p["bf"]), p["wh"])


def body(ref):
    """The model; ref(name) names a parameter."""
    t = lambda n: f"tensor<{T}x{n}xf32>"
    out = [f"  %s0 = lf.linear %a0, {ref('we')} bias({ref('be')} : tensor<{D}xf32>) : {t(I)}, tensor<{D}x{I}xf32> -> {t(D)}"]
    for l in range(2):
        out += [
            f"  %h{l} = lf.layer_norm %s{l} gain({ref(f'g{l}')} : tensor<{D}xf32>) bias({ref(f'b{l}')} : tensor<{D}xf32>) : {t(D)}",
            f"  %u{l} = lf.linear %h{l}, {ref(f'w1{l}')} : {t(D)}, tensor<{F}x{D}xf32> -> {t(F)}",
            f"  %a{l}g = lf.activation gelu %u{l} : {t(F)}",
            f"  %o{l} = lf.linear %a{l}g, {ref(f'w2{l}')} bias({ref(f'c2{l}')} : tensor<{D}xf32>) : {t(F)}, tensor<{D}x{F}xf32> -> {t(D)}",
            f"  %s{l + 1} = lf.add %s{l}, %o{l} : {t(D)}"]
    out += [f"  %y = lf.layer_norm %s2 gain({ref('gf')} : tensor<{D}xf32>) bias({ref('bf')} : tensor<{D}xf32>) : {t(D)}",
            f"  %z = lf.linear %y, {ref('wh')} : {t(D)}, tensor<{V}x{D}xf32> -> {t(V)}",
            f"  return %z : {t(V)}"]
    return "\n".join(out)


# Constants: the default pipeline (lf-optimize) rewrites every LayerNorm.
src = "".join(const(k, v) for k, v in p.items()) + body(lambda n: f"%{n}")
full = f"func.func @main(%a0: tensor<{T}x{I}xf32>) -> tensor<{T}x{V}xf32> {{\n{src}\n}}\n"
opt = subprocess.run(["lf-opt", "-", "--lf-optimize"], input=full, capture_output=True, text=True)
fired = opt.returncode == 0 and "lf.layer_norm" not in opt.stdout and "residual_norm layer" not in opt.stdout
print(f"{'PASS' if fired else 'FAIL'} constants: every LayerNorm rewritten by lf-optimize")
if not fired:
    run.failures.append("constants: not rewritten")
run.run("pre-LN model, constant weights (mean 3e3 stream)", [(x, "f32", ())], src, [((T, V), "f32", ())],
        [numpy_model(x)], rtol_scale=10.0)

# On to CRMSNorm (lf-rmsnorm-to-crmsnorm): the stream is stored in D - 1
# channels, every reader linear absorbs the implicit last one.
if os.environ.get("LF_HARNESS", "lf-run") == "lf-run":
    crms = ("builtin.module(canonicalize,func.func(lf-fold-norm-into-linear,lf-layernorm-to-rmsnorm,"
            "lf-rmsnorm-to-crmsnorm))")
    ir = subprocess.run(["lf-opt", "-", "--pass-pipeline=" + crms], input=full, capture_output=True, text=True)
    fired = ir.returncode == 0 and ir.stdout.count("lf.crms_norm") == 3 and "lf.rms_norm" not in ir.stdout \
        and f"tensor<{T}x{D - 1}xf32>" in ir.stdout
    print(f"{'PASS' if fired else 'FAIL'} constants: the stream compressed to {D - 1} channels")
    if not fired:
        run.failures.append("crms: not compressed")
        print(ir.stdout, ir.stderr)
    run.pipeline = crms[:-1] + ",lf-cpu-pipeline{optimize=false})"
    run.run("pre-LN model -> CRMSNorm, constant weights", [(x, "f32", ())], src, [((T, V), "f32", ())],
            [numpy_model(x)], rtol_scale=10.0)
    run.pipeline = None

# Arguments: the explicit pass with center-inputs recentres at run time.
if os.environ.get("LF_HARNESS", "lf-run") == "lf-run":
    names = list(p)
    arg_src = body(lambda n: f"%a{1 + names.index(n)}")
    run.pipeline = "builtin.module(lf-cpu-pipeline{optimize=false})"
    run.run("same model, no rewrite (for comparison)", [(x, "f32", ())] + [(p[n], "f32", ()) for n in names], arg_src, [((T, V), "f32", ())], [numpy_model(x)], rtol_scale=10.0)
    run.pipeline = "builtin.module(func.func(lf-layernorm-to-rmsnorm),lf-cpu-pipeline)"
    run.run("pre-LN model, weights as arguments (lf.recenter)", [(x, "f32", ())] + [(p[n], "f32", ()) for n in names],
            arg_src, [((T, V), "f32", ())], [numpy_model(x)], rtol_scale=10.0)

run.finish()
