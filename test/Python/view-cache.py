# A Function reuses the view it built for an argument position when the same
# array object comes again (weights, out= buffers of a decode loop). Every
# change that matters is seen: new contents of the same array, its shape or
# strides assigned in place, another array, a strided view of the same
# buffer, a Fortran-order copy, and out=.
# RUN: %PYTHON %s | FileCheck %s
import numpy as np

import lightfuse

m = lightfuse.compile("""
func.func @main(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = lf.add %x, %x : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}""")
f = m.main


def check(name, a):
    y = f(a)
    ok = np.array_equal(y, 2 * np.asarray(a, np.float32))
    print(f"{name}: {'ok' if ok else 'WRONG'}")


a = np.arange(8, dtype=np.float32).reshape(2, 4)
check("first call", a)
# CHECK: first call: ok
a[:] = 7
check("same array, new contents", a)
# CHECK: same array, new contents: ok
a.shape = (4, 2)
check("same array, shape assigned", a)
# CHECK: same array, shape assigned: ok
b = np.arange(12, dtype=np.float32).reshape(3, 4)
check("another array", b)
# CHECK: another array: ok
check("a strided view of it", b[::2])
# CHECK: a strided view of it: ok
check("a transposed view", b.T)
# CHECK: a transposed view: ok
check("a Fortran-order copy", np.asfortranarray(b))
# CHECK: a Fortran-order copy: ok
check("the array again", b)
# CHECK: the array again: ok
out = np.empty((3, 4), np.float32)
f(b, out=out)
b[0, 0] = 100
f(b, out=out)
print("out= reused:", "ok" if out[0, 0] == 200 and np.array_equal(out, 2 * b) else "WRONG")
# CHECK: out= reused: ok
