# Results of a call without out= are numpy arrays over the runtime's own
# result buffers (no copy) when lfTensorOwnsData says the buffer is the
# result's alone; everything else is copied. Either way every result is an
# independent array: it outlives the module, survives later calls, never
# aliases an input or another result, and its buffer is freed only when the
# last array over it (views included) is gone.
# RUN: %PYTHON %s | FileCheck %s
import gc

import numpy as np

import lightfuse

src = """
func.func @main(%x: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>,
                                       tensor<8x4xf32>, tensor<8x4xf32>) {
  %c = arith.constant dense<1.0> : tensor<8x4xf32>
  %y = lf.add %x, %x : tensor<8x4xf32>
  return %c, %x, %y, %y : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}"""
m = lightfuse.compile(src)
x = np.arange(32, dtype=np.float32).reshape(8, 4)
c, ident, y, y2 = m.main(x)
zero_copy = [type(a.base).__name__ != "ndarray" for a in (c, ident, y, y2)]
# CHECK: y without a copy: True
print("y without a copy:", zero_copy[2])
# CHECK: second y copied: True
print("second y copied:", not zero_copy[3])

y[0, 0] = -1
ident[0, 0] = -2
c[0, 0] = -3
# CHECK: independent: ok
print("independent:", "ok" if y2[0, 0] == 0 and x[0, 0] == 0 and
      np.array_equal(y2, 2 * x) else "WRONG")

# A strided input is packed into a copy for the call; a result returning it
# is never that (freed) copy nor the caller's array.
ident_fn = lightfuse.compile("""
func.func @main(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  return %x : tensor<4x8xf32>
}""").main
xt = x.T
r_t = ident_fn(xt)
x[1, 1] = 77
for i in range(5):
    ident_fn(xt + 1)
# CHECK: strided input returned: ok
print("strided input returned:", "ok" if np.array_equal(
    r_t, np.arange(32, dtype=np.float32).reshape(8, 4).T) else "WRONG")
x[1, 1] = 5

# Later calls reuse freed buffers only: a live result and a view of a result
# whose array is gone keep theirs.
keep = m.main(x)[2]
view = m.main(x)[2][3:]
gc.collect()
for i in range(20):
    m.main(x + i)
# CHECK: live results unchanged: ok
print("live results unchanged:", "ok" if np.array_equal(keep, 2 * x) and
      np.array_equal(view, 2 * x[3:]) else "WRONG")

# Results outlive the module.
f = m.main
r = f(x)[2]
del f, m
gc.collect()
# CHECK: after the module: ok
print("after the module:", "ok" if np.array_equal(r, 2 * x) else "WRONG")

# A large result: the runtime's pool serves the next calls' buffers once
# the arrays are gone (no growth over many calls).
t = "tensor<1024x1024xf32>"
big = lightfuse.compile(f"func.func @main(%x: {t}) -> {t} {{\n"
                        f"  %y = lf.add %x, %x : {t}\n  return %y : {t}\n}}")
bx = np.ones((1024, 1024), np.float32)
ptrs = set()
for i in range(10):
    out = big.main(bx)
    ptrs.add(out.__array_interface__["data"][0])
    ok = np.array_equal(out, 2 * bx)
    del out
# CHECK: pool reuse: ok
print("pool reuse:", "ok" if ok and len(ptrs) <= 2 else f"WRONG {len(ptrs)}")
