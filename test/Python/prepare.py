# lf-hoist-weight-prep through the Python package: @f equals
# @f_prepared(args..., *@f_prepare(weights)) on a graph whose folded
# weight-side arithmetic is hoisted.
# RUN: %PYTHON %s | FileCheck %s
import numpy as np

import lightfuse

SRC = """
func.func @f(%x: tensor<?x16xf32>, %g: tensor<16xf32> {lf.weight}, %b: tensor<16xf32> {lf.weight},
             %w: tensor<8x16xf32> {lf.weight}) -> tensor<?x8xf32> {
  %n = lf.layer_norm %x gain(%g : tensor<16xf32>) bias(%b : tensor<16xf32>) : tensor<?x16xf32>
  %y = lf.linear %n, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
"""
m = lightfuse.compile(SRC)
# CHECK: ['f', 'f_prepare', 'f_prepared']
print(list(m.functions))
rng = np.random.default_rng(0)
x = rng.standard_normal((5, 16)).astype(np.float32)
g, b = rng.uniform(0.5, 1.5, 16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
w = rng.standard_normal((8, 16)).astype(np.float32)
full = m.f(x, g, b, w)
prep = m.f_prepare(g, b, w)
prep = prep if isinstance(prep, tuple) else (prep,)
# CHECK: prepared values: 2
print("prepared values:", len(prep))
again = m.f_prepared(x, g, b, w, *prep)
# CHECK: equal: True
print("equal:", bool(np.allclose(full, again, rtol=1e-6, atol=1e-6)))
