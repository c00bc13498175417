# The Python package over the C API: compile from text and from a path,
# call with numpy arrays, every dtype, out=, and errors as exceptions.
# RUN: %PYTHON %s | FileCheck %s
import os
import sys
import tempfile
import threading

import numpy as np

import lightfuse
from lightfuse.testing import reference as R

SRC = """
func.func @norm(%x: tensor<?x16xf32>, %g: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = lf.rms_norm %x gain(%g : tensor<16xf32>) : tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
func.func @half(%x: tensor<3x5xf16>) -> tensor<3x5xf16> {
  %0 = lf.activation silu %x : tensor<3x5xf16>
  return %0 : tensor<3x5xf16>
}
func.func @brain(%a: tensor<4xbf16>, %b: tensor<4xbf16>) -> (tensor<4xbf16>, tensor<4xbf16>) {
  %0 = lf.add %a, %b : tensor<4xbf16>
  %1 = lf.glu none %a, %b : tensor<4xbf16>
  return %0, %1 : tensor<4xbf16>, tensor<4xbf16>
}
"""

m = lightfuse.compile(SRC)
# CHECK: <lightfuse.Function @norm(f32[?x16], f32[16]) -> (f32[?x16])>
print(repr(m.norm))
rng = np.random.default_rng(0)
x, g = rng.standard_normal((5, 16)).astype(np.float32), rng.uniform(0.5, 1.5, 16).astype(np.float32)
y = m.norm(x, g)
# CHECK: norm ok (5, 16) float32
print("norm", "ok" if np.allclose(y, R.rms_norm(x, g), rtol=1e-5, atol=1e-6) else "WRONG", y.shape, y.dtype)

# Non-contiguous input (a transposed view) and out= into a strided array.
xt = np.ascontiguousarray(x.T).T
out = np.zeros((16, 5), np.float32).T
m.norm(xt, g, out=out)
# CHECK: strided ok
print("strided", "ok" if np.allclose(out, y, rtol=1e-6, atol=1e-7) else "WRONG")

h = rng.standard_normal((3, 5)).astype(np.float16)
# CHECK: f16 ok float16
r = m.half(h)
print("f16", "ok" if np.allclose(r, R.activation("silu", h), rtol=2e-3, atol=2e-3) else "WRONG", r.dtype)

a, b = np.array([1.0, 2.5, -3.0, 1e-3], np.float32), np.array([0.5, 0.25, 4.0, 1.0], np.float32)
s, p = m.brain(a, b)
# CHECK: bf16 [1.5, 2.75, 1.0, 1.0] [0.5, 0.625, -12.0, 0.00099945068359375]
print("bf16", s.tolist(), p.tolist())

# From a path.
with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
    f.write(SRC)
m2 = lightfuse.compile(f.name)
# CHECK: from path: ['norm', 'half', 'brain']
print("from path:", list(m2.functions))
os.unlink(f.name)

# Concurrent calls of one function from Python threads.
def work(k, errs):
    xs = rng.standard_normal((3 + k, 16)).astype(np.float32)
    for _ in range(20):
        if not np.allclose(m.norm(xs, g), R.rms_norm(xs, g), rtol=1e-5, atol=1e-6):
            errs.append(k)
errs = []
ts = [threading.Thread(target=work, args=(k, errs)) for k in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
# CHECK: threads ok
print("threads", "ok" if not errs else errs)

def expect_error(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except lightfuse.LightfuseError as e:
        print("error:", str(e).splitlines()[0])
    else:
        print("no error!")

# CHECK: error: failed to parse the module:
expect_error(lightfuse.compile, "func.func @f() { %0 = lf.nope }")
# CHECK: error: input #0 of @norm must be f32[?x16], got f32[5x15]
expect_error(m.norm, x[:, :15].copy(), g)
# CHECK: error: input #0 of @norm must have dtype float32 for f32[?x16], got float64
expect_error(m.norm, x.astype(np.float64), g)
# CHECK: error: @norm takes 2 inputs, got 1
expect_error(m.norm, x)
# CHECK: error: output #0 of @norm must be f32[5x16], got f32[4x16]
expect_error(m.norm, x, g, out=np.zeros((4, 16), np.float32))
# Dynamic sizes an op needs equal are checked at every call.
dyn = lightfuse.compile("""func.func @n(%x: tensor<?x?xf32>, %g: tensor<?xf32>) -> tensor<?x?xf32> {
  %0 = lf.layer_norm %x gain(%g : tensor<?xf32>) : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}""")
# CHECK: error: @n: dimension 1 of input #0 (8) must equal dimension 0 of input #1 (7), as lf.layer_norm at <source>:2:8 requires
expect_error(dyn.n, np.ones((2, 8), np.float32), np.ones(7, np.float32))
# CHECK: error: cannot read 'no/such/file.mlir'
expect_error(lightfuse.compile, "no/such/file.mlir")
# CHECK: error: unknown target 'tpu' (expected one of ['cpu', 'nvptx'])
expect_error(lightfuse.compile, SRC, target="tpu")
# CHECK: error: threads must be an int >= 0, got -1
expect_error(lightfuse.compile, SRC, threads=-1)
# Threads of the generated parallel loops: the runtime's pool with threads=2.
LA = ("func.func @la(%q: tensor<2x2x?x8xf32>, %s: tensor<2xf32>) -> tensor<2x2x?x8xf32> {\n"
      "  %o = lf.linear_attention %q, %q, %q decay(%s : tensor<2xf32>)"
      " : tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32> -> tensor<2x2x?x8xf32>\n"
      "  return %o : tensor<2x2x?x8xf32>\n}\n")
qa = np.random.default_rng(3).uniform(-1, 1, (2, 2, 100, 8)).astype(np.float32)
sa = np.array([0.1, 0.01], np.float32)
o1 = lightfuse.compile(LA).la(qa, sa)
o2 = lightfuse.compile(LA, threads=2).la(qa, sa)
# CHECK: threads=2 ok
print("threads=2", "ok" if np.allclose(o1, o2, rtol=1e-5, atol=1e-6) else "MISMATCH")
# Compiling for the GPU needs no GPU (running it does: test/Target/NVPTX).
gm = lightfuse.compile(SRC, target="nvptx", chip="sm_90")
# CHECK: nvptx functions: ['norm', 'half', 'brain']
print("nvptx functions:", [f for f in gm.functions])
try:
    m.missing
except AttributeError as e:
    # CHECK: module has no public function @missing (it has: @norm, @half, @brain)
    print(e)
