"""The main job: compile the Pre-LN transformer block in prenorm_block.mlir
for the CPU, run it with lf-run on random weights, and check the result
against an independent numpy reference."""

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from lightfuse.testing import reference as R  # noqa: E402

lf_run = sys.argv[1]
tokens = int(os.environ.get("LF_DEMO_TOKENS", "64"))
rng = np.random.default_rng(42)
d, f = 256, 512
args = {
    "x": rng.standard_normal((tokens, d)).astype(np.float32),
    "ln_g": rng.uniform(0.5, 1.5, d).astype(np.float32),
    "ln_b": rng.uniform(-0.1, 0.1, d).astype(np.float32),
    "w_gate": (rng.standard_normal((f, d)) / np.sqrt(d)).astype(np.float32),
    "w_up": (rng.standard_normal((f, d)) / np.sqrt(d)).astype(np.float32),
    "w_down": (rng.standard_normal((d, f)) / np.sqrt(f)).astype(np.float32),
    "b_down": rng.uniform(-0.1, 0.1, d).astype(np.float32),
    "lnf_g": rng.uniform(0.5, 1.5, d).astype(np.float32),
    "lnf_b": rng.uniform(-0.1, 0.1, d).astype(np.float32),
}
tmp = tempfile.mkdtemp(prefix="lf-demo-")
cmd = [lf_run, os.path.join(HERE, "prenorm_block.mlir"), "--entry", "prenorm_block",
       "--output-dir", tmp]
for name, a in args.items():
    p = os.path.join(tmp, name + ".npy")
    np.save(p, a)
    cmd += ["--input", p]
print(f"-- inputs: x f32[{tokens}x{d}], MLP width {f}, weights random")
print("-- running:", " ".join(os.path.relpath(c) if os.path.exists(c) else c for c in cmd[:5]), "...")
t0 = time.perf_counter()
proc = subprocess.run(cmd, capture_output=True, text=True)
elapsed = time.perf_counter() - t0
if proc.returncode:
    sys.exit("lf-run failed:\n" + proc.stderr)
print(proc.stdout.strip())
print(f"-- compile + run took {elapsed:.2f} s (JIT compilation dominates)")
out = np.load(os.path.join(tmp, "result0.npy"))

a = {k: v.astype(np.float64) for k, v in args.items()}
h = R.layer_norm(a["x"], a["ln_g"], a["ln_b"])
g = R.glu("silu", R.linear(h, a["w_gate"]), R.linear(h, a["w_up"]))
s = a["x"] + R.linear(g, a["w_down"], a["b_down"])
ref = R.layer_norm(s, a["lnf_g"], a["lnf_b"])
err = np.max(np.abs(out - ref))
print(f"-- max |lightfuse - numpy reference| = {err:.3g}")
if not err < 1e-4:
    sys.exit("-- MISMATCH against the reference")
print("-- ok: the compiled block matches the reference")
