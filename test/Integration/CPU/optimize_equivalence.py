# Semantic equivalence of lf-optimize (lf-fold-norm-into-linear and
# lf-fuse-residual-norm): random graphs and random weights (as constants and
# as arguments) run through the JIT with and without it must agree; each
# case also checks that the rewrite fired.
# RUN: %PYTHON %s
import os
import subprocess
import sys
import tempfile

import numpy as np

rng = np.random.default_rng(7)
tmp = tempfile.mkdtemp(prefix="lf-fold-")
FOLD = "builtin.module(lf-cpu-pipeline)"  # lf-optimize runs first by default
failures = []


def const(name, a):
    vals = ", ".join(repr(float(v)) for v in a.ravel())
    shape = "x".join(map(str, a.shape))
    if a.ndim == 2:
        rows = ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]" for r in a)
        vals = rows
    return f"  %{name} = arith.constant dense<[{vals}]> : tensor<{shape}xf32>\n"


def run(src, inputs, pipeline, tag):
    path = os.path.join(tmp, f"{tag}.mlir")
    with open(path, "w") as f:
        f.write(src)
    out = os.path.join(tmp, tag)
    cmd = ["lf-run", path, "--entry", "main", "--output-dir", out]
    if pipeline:
        cmd += ["--pass-pipeline", pipeline]
    for i, a in enumerate(inputs):
        p = os.path.join(tmp, f"{tag}_in{i}.npy")
        np.save(p, a.astype(np.float32))
        cmd += ["--input", p]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"lf-run failed for {tag}:\n{r.stderr}\n{src}")
    res, i = [], 0
    while os.path.exists(os.path.join(out, f"result{i}.npy")):
        res.append(np.load(os.path.join(out, f"result{i}.npy")))
        i += 1
    return res


def check(name, src, inputs, gone, passes="lf-optimize"):
    folded = subprocess.run(["lf-opt", "-", f"--pass-pipeline=builtin.module({passes})"],
                            input=src, capture_output=True, text=True).stdout
    fired = gone(folded) if callable(gone) else all(g not in folded for g in gone)
    a = run(src, inputs, "builtin.module(lf-cpu-pipeline{optimize=false})", name + "_ref")
    b = run(src, inputs, FOLD if passes == "lf-optimize" else
            f"builtin.module({passes},lf-cpu-pipeline)", name + "_fold")
    worst = 0.0
    for x, y in zip(a, b):
        scale = max(1.0, float(np.abs(x).max()))
        worst = max(worst, float(np.abs(x - y).max()) / scale)
    ok = fired and worst < 1e-5
    print(f"{'PASS' if ok else 'FAIL'} {name}: fired={fired} max rel diff {worst:.2e}")
    if not ok:
        failures.append(name)


T, C, N = 7, 16, 12
x = rng.standard_normal((T, C))

# 1. BN (constant statistics) -> linear (constant weights): F1 at compile time.
m, v = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
g, b = rng.uniform(0.5, 1.5, C), rng.standard_normal(C)
W, bb = rng.standard_normal((N, C)), rng.standard_normal(N)
src = ("func.func @main(%x: tensor<?x16xf32>) -> tensor<?x12xf32> {\n" + const("m", m) + const("v", v)
       + const("g", g) + const("b", b) + const("w", W) + const("bb", bb)
       + "  %n = lf.batch_norm %x, %m, %v gain(%g : tensor<16xf32>) bias(%b : tensor<16xf32>) : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>\n"
       + "  %y = lf.linear %n, %w bias(%bb : tensor<12xf32>) : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>\n"
       + "  return %y : tensor<?x12xf32>\n}\n")
check("bn_const_into_following", src, [x], ["lf.batch_norm"])

# 2. linear -> BN with everything as arguments: F2 as emitted ops.
src = """func.func @main(%x: tensor<?x16xf32>, %w: tensor<12x16xf32>, %bb: tensor<12xf32>, %m: tensor<12xf32>, %v: tensor<12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>) -> tensor<?x12xf32> {
  %l = lf.linear %x, %w bias(%bb : tensor<12xf32>) : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>
  %n = lf.batch_norm %l, %m, %v gain(%g : tensor<12xf32>) bias(%b : tensor<12xf32>) : tensor<?x12xf32>, tensor<12xf32>, tensor<12xf32>
  return %n : tensor<?x12xf32>
}
"""
check("bn_args_into_preceding", src,
      [x, W, bb, rng.standard_normal(N), rng.uniform(0.5, 2, N), rng.uniform(0.5, 1.5, N), rng.standard_normal(N)],
      ["lf.batch_norm"])

# 3. UN with gain and bias -> two linears (arguments): F1 per consumer.
src = """func.func @main(%x: tensor<?x16xf32>, %qm: tensor<16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>, %w1: tensor<12x16xf32>, %w2: tensor<5x16xf32>, %b2: tensor<5xf32>) -> (tensor<?x12xf32>, tensor<?x5xf32>) {
  %n = lf.unified_norm %x, %qm gain(%g : tensor<16xf32>) bias(%b : tensor<16xf32>) : tensor<?x16xf32>, tensor<16xf32>
  %y1 = lf.linear %n, %w1 : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>
  %y2 = lf.linear %n, %w2 bias(%b2 : tensor<5xf32>) : tensor<?x16xf32>, tensor<5x16xf32> -> tensor<?x5xf32>
  return %y1, %y2 : tensor<?x12xf32>, tensor<?x5xf32>
}
"""
check("un_args_into_two_following", src,
      [x, rng.uniform(0.5, 2, C), g, b, W, rng.standard_normal((5, C)), rng.standard_normal(5)], ["lf.unified_norm"])

# 4. LayerNorm gain, bias and LayerNorm-Scaling scale -> linear (constants).
src = ("func.func @main(%x: tensor<?x16xf32>) -> tensor<?x12xf32> {\n" + const("g", g) + const("b", b) + const("w", W)
       + "  %n = lf.layer_norm %x gain(%g : tensor<16xf32>) bias(%b : tensor<16xf32>) {scale = 0.57735026 : f32} : tensor<?x16xf32>\n"
       + "  %y = lf.linear %n, %w : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>\n"
       + "  return %y : tensor<?x12xf32>\n}\n")
# Fired: the LayerNorm lost its gain and bias, and the linear gained the
# folded bias.
check("ln_affine_const_into_following", src, [x * 3 + 1],
      lambda ir: "gain(" not in ir and ir.count("bias(") == 1 and "lf.linear" in ir
      and "lf.layer_norm %arg0 :" in ir)

# 5. RMSNorm gain -> linear (arguments).
src = """func.func @main(%x: tensor<?x16xf32>, %g: tensor<16xf32>, %w: tensor<12x16xf32>) -> tensor<?x12xf32> {
  %n = lf.rms_norm %x gain(%g : tensor<16xf32>) : tensor<?x16xf32>
  %y = lf.linear %n, %w : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}
"""
check("rms_gain_args_into_following", src, [x, g, W], ["gain("])

# 6. A convolution-free BN/UN model made of linears (constants throughout).
W1, W2, W3 = rng.standard_normal((C, C)) / 4, rng.standard_normal((C, C)) / 4, rng.standard_normal((N, C)) / 4
m2, v2, qm = rng.standard_normal(C), rng.uniform(0.5, 2, C), rng.uniform(0.5, 2, C)
src = ("func.func @main(%x: tensor<?x16xf32>) -> tensor<?x12xf32> {\n" + const("w1", W1) + const("w2", W2) + const("w3", W3)
       + const("m", m2) + const("v", v2) + const("qm", qm) + const("g", g)
       + "  %a = lf.linear %x, %w1 : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>\n"
       + "  %b = lf.batch_norm %a, %m, %v gain(%g : tensor<16xf32>) : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>\n"
       + "  %r = lf.activation relu %b : tensor<?x16xf32>\n"
       + "  %c = lf.linear %r, %w2 : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>\n"
       + "  %u = lf.unified_norm %c, %qm : tensor<?x16xf32>, tensor<16xf32>\n"
       + "  %y = lf.linear %u, %w3 : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>\n"
       + "  return %y : tensor<?x12xf32>\n}\n")
check("bn_un_linear_model", src, [x], ["lf.batch_norm", "lf.unified_norm"])

# 6b. PowerNorm's stage 2 (arguments) into the following linear.
src = """func.func @main(%x: tensor<?x16xf32>, %qm: tensor<16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>, %w: tensor<12x16xf32>) -> tensor<?x12xf32> {
  %n = lf.power_norm %x running_qm(%qm : tensor<16xf32>) gain(%g : tensor<16xf32>) bias(%b : tensor<16xf32>) {groups = 4 : i64} : tensor<?x16xf32>
  %y = lf.linear %n, %w : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}
"""
check("power_norm_stage2_args", src, [x, rng.uniform(0.5, 2, C), g, b, W], ["running_qm(", "gain("])

# 7. The Pre-LN block of examples/: both LayerNorm affines fold into the
# gate/up projections (the final one has no linear after it and stays).
here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "..", "..", "..", "examples", "prenorm_block.mlir")).read()
d, f = 256, 512
ins = [rng.standard_normal((5, d)), rng.uniform(0.5, 1.5, d), rng.standard_normal(d) * 0.1,
       rng.standard_normal((f, d)) / 16, rng.standard_normal((f, d)) / 16, rng.standard_normal((d, f)) / 22,
       rng.standard_normal(d) * 0.1, rng.uniform(0.5, 1.5, d), rng.standard_normal(d) * 0.1]
check("prenorm_block", src.replace("@prenorm_block", "@main"), ins,
      lambda ir: ir.count("lf.layer_norm") == 1 and "lf.residual_norm layer" in ir
      and ir.count("gain(") == 1)

# 7b. The TransNormerLLM block of examples/: the channel mixer's residual add
# and SRMSNorm fuse.
src = open(os.path.join(here, "..", "..", "..", "examples", "transnormer_block.mlir")).read()
ins = [rng.standard_normal((9, 64))] + [rng.standard_normal((64, 64)) / 8 for _ in range(5)] + \
      [np.array([0.1, 1.0]), rng.standard_normal((128, 64)) / 8, rng.standard_normal((128, 64)) / 8,
       rng.standard_normal((64, 128)) / 11]
check("transnormer_block", src.replace("@transnormer_block", "@main"), ins,
      lambda ir: "lf.residual_norm rms" in ir)

# 8. Residual + norm placements (lf-fuse-residual-norm): Pre-LN, Post-LN,
# Peri-LN and Mix-LN, RMSNorm and LayerNorm.
o1, o2 = rng.standard_normal((T, C)), rng.standard_normal((T, C))
placements = {
    "pre_ln": """  %s = lf.add %x, %o1 : tensor<?x16xf32>
  %n = lf.layer_norm %s gain(%g : tensor<16xf32>) bias(%b : tensor<16xf32>) : tensor<?x16xf32>
  %r = lf.mul %n, %o2 : tensor<?x16xf32>
  %s2 = lf.add %s, %r : tensor<?x16xf32>""",
    "post_ln": """  %s = lf.add %x, %o1 : tensor<?x16xf32>
  %n = lf.rms_norm %s gain(%g : tensor<16xf32>) : tensor<?x16xf32>
  %t = lf.add %n, %o2 : tensor<?x16xf32>
  %s2 = lf.rms_norm %t {scale = 0.5 : f32} : tensor<?x16xf32>""",
    "peri_ln": """  %no = lf.rms_norm %o1 gain(%g : tensor<16xf32>) : tensor<?x16xf32>
  %s = lf.add %x, %no : tensor<?x16xf32>
  %ni = lf.rms_norm %s : tensor<?x16xf32>
  %s2 = lf.add %s, %ni : tensor<?x16xf32>""",
    "mix_ln": """  %s = lf.add %x, %o1 : tensor<?x16xf32>
  %p = lf.layer_norm %s : tensor<?x16xf32>
  %t = lf.add %p, %o2 : tensor<?x16xf32>
  %n = lf.layer_norm %t bias(%b : tensor<16xf32>) : tensor<?x16xf32>
  %s2 = lf.add %t, %n : tensor<?x16xf32>""",
}
for name, body in placements.items():
    src = ("func.func @main(%x: tensor<?x16xf32>, %o1: tensor<?x16xf32>, %o2: tensor<?x16xf32>, "
           "%g: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<?x16xf32> {\n" + body
           + "\n  return %s2 : tensor<?x16xf32>\n}\n")
    adds = src.count("lf.add")
    check("residual_" + name, src, [x, o1, o2, g, b],
          lambda ir: ir.count("lf.residual_norm") >= 1 and ir.count("lf.add") < adds)

# 9. lf-fuse-glu (not in lf-optimize: slower with the current GEMM lowering):
# every GLU member, with and without biases.
for act, bias in [("silu", "b1"), ("none", ""), ("gelu", "both"), ("sigmoid", "b2")]:
    b1 = " bias(%b1 : tensor<12xf32>)" if bias in ("b1", "both") else ""
    b2 = " bias(%b2 : tensor<12xf32>)" if bias in ("b2", "both") else ""
    src = (f"func.func @main(%x: tensor<?x16xf32>, %w1: tensor<12x16xf32>, %w2: tensor<12x16xf32>, "
           f"%b1: tensor<12xf32>, %b2: tensor<12xf32>) -> tensor<?x12xf32> {{\n"
           f"  %a = lf.linear %x, %w1{b1} : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>\n"
           f"  %u = lf.linear %x, %w2{b2} : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>\n"
           f"  %y = lf.glu {act} %a, %u : tensor<?x12xf32>\n  return %y : tensor<?x12xf32>\n}}\n")
    check(f"fuse_glu_{act}_{bias or 'nobias'}", src,
          [x, W, rng.standard_normal((N, C)), bb, rng.standard_normal(N)],
          lambda ir: ir.count("lf.linear") == 1, passes="func.func(lf-fuse-glu)")

if failures:
    sys.exit("FAILED: " + ", ".join(failures))
print("all lf-optimize equivalence cases passed")
