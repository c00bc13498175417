# RUN: %PYTHON %s | FileCheck %s
# out= on functions with static result shapes: the results are computed in
# the caller's arrays (the <fn>__into destination-passing variant); aliasing
# or strided outputs fall back to the allocating call plus a copy. Every case
# is checked against numpy.
import numpy as np

import lightfuse

SRC = """
func.func @norm(%x: tensor<8x16xf32>, %g: tensor<16xf32>) -> tensor<8x16xf32> {
  %y = lf.rms_norm %x gain(%g : tensor<16xf32>) : tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
func.func @ident(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %y = lf.add %x, %x : tensor<4xf32>
  return %y, %y : tensor<4xf32>, tensor<4xf32>
}
func.func @la(%q: tensor<1x2x100x8xf32>, %s: tensor<2xf32>) -> tensor<1x2x100x8xf32> {
  %o = lf.linear_attention %q, %q, %q decay(%s : tensor<2xf32>)
      : tensor<1x2x100x8xf32>, tensor<1x2x100x8xf32>, tensor<1x2x100x8xf32> -> tensor<1x2x100x8xf32>
  return %o : tensor<1x2x100x8xf32>
}
"""
m = lightfuse.compile(SRC)
rng = np.random.default_rng(0)
x = rng.standard_normal((8, 16)).astype(np.float32)
g = rng.uniform(0.5, 1.5, 16).astype(np.float32)


def ref_norm(x, g):
    return x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + 1e-6) * g


def report(name, got, want):
    err = float(np.abs(got - want).max())
    print(name, "ok" if err < 1e-5 else f"MISMATCH {err}")


out = np.full((8, 16), np.nan, np.float32)
r = m.norm(x, g, out=out)
# CHECK: in place ok
report("in place", out, ref_norm(x, g))
# CHECK: returns out True
print("returns out", r is out)
# The output is the input (aliasing): the fallback reads x before writing.
xa = x.copy()
m.norm(xa, g, out=xa)
# CHECK: aliasing input ok
report("aliasing input", xa, ref_norm(x, g))
# A contiguous output inside a strided input's span (rows 4-7 of the input
# interleave with it): detected as overlapping, so the fallback reads the
# inputs intact before anything is written.
big = np.zeros(512, np.float32)
xs = big[:256].reshape(8, 32)[:, :16]
xs[...] = x
ov = big[144:144 + 128].reshape(8, 16)
m.norm(xs, g, out=ov)
# CHECK: overlapping strided input ok
report("overlapping strided input", ov, ref_norm(x, g))
# A strided output view: fallback.
big = np.zeros((8, 32), np.float32)
m.norm(x, g, out=big[:, ::2])
# CHECK: strided output ok
report("strided output", big[:, ::2], ref_norm(x, g))
# A result that is an argument, and one buffer returned twice.
v = np.arange(4, dtype=np.float32)
o = np.zeros(4, np.float32)
m.ident(v, out=o)
# CHECK: identity ok
report("identity", o, v)
o1, o2 = np.zeros(4, np.float32), np.zeros(4, np.float32)
m.twice(v, out=(o1, o2))
# CHECK: two results ok
report("two results", np.concatenate([o1, o2]), np.concatenate([2 * v, 2 * v]))
# Tiled linear attention into the caller's array equals the allocating call.
q = rng.uniform(-1, 1, (1, 2, 100, 8)).astype(np.float32)
s = np.array([0.1, 0.01], np.float32)
oa = np.empty_like(q)
m.la(q, s, out=oa)
# CHECK: attention in place ok
report("attention in place", oa, m.la(q, s))
