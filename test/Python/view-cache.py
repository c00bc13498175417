# A Function reuses the view it built for an argument position when the same
# array object comes again (weights, out= buffers of a decode loop), and a
# whole out= call's views when every array is the same. Every change that
# matters is seen: new contents of the same array, its shape, strides or
# dtype assigned in place, another array, a strided view of the same buffer,
# a Fortran-order copy, an output made read-only, a converted input, out=.
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

# A loop of out= calls with the same arrays skips building views (the
# Function keeps the last out= call's views); each change below must be seen
# by that path too, never read stale memory or pass a wrong dtype.
x = np.zeros((2, 3), np.float32)  # owns its memory: resize can move it
o = np.empty((2, 3), np.float32)
for step in range(3):
    x += 1
    f(x, out=o)
print("fast loop:", "ok" if np.array_equal(o, 2 * x) else "WRONG")
# CHECK: fast loop: ok
x.shape = (3, 2)
o2 = np.empty((3, 2), np.float32)
f(x, out=o2)
print("shape assigned:", "ok" if np.array_equal(o2, 2 * x) else "WRONG")
# CHECK: shape assigned: ok
f(x, out=o2)
# The one way an array's memory moves under the same shape: numpy refuses
# it while a weak reference (the Function's) exists.
try:
    x.resize((50, 1000), refcheck=False)
    print("resize: allowed")
except ValueError:
    print("resize: refused")
# CHECK: resize: refused
x[...] = 5
f(x, out=o2)
print("new contents:", "ok" if np.array_equal(o2, 2 * x) else "WRONG")
# CHECK: new contents: ok
o3 = np.empty((3, 2), np.float32)
f(x, out=o3)
print("another out:", "ok" if np.array_equal(o3, 2 * x) and np.array_equal(o2, 2 * x) else "WRONG")
# CHECK: another out: ok
x.dtype = np.int32  # same shape and strides, another element type
try:
    f(x, out=o3)
    print("dtype reassigned: not caught")
except lightfuse.LightfuseError as e:
    print("dtype reassigned:", "caught" if "dtype" in str(e) else e)
# CHECK: dtype reassigned: caught
x.dtype = np.float32
f(x, out=o3)
o3.flags.writeable = False
try:
    f(x, out=o3)
    print("read-only out: not caught")
except lightfuse.LightfuseError as e:
    print("read-only out:", "caught" if "writeable" in str(e) else e)
# CHECK: read-only out: caught
# A field of a packed record array: strides of 5 bytes, converted to a
# contiguous copy on every call, so never the fast path's view.
rec = np.zeros((3, 2), dtype=[("v", "<f4"), ("pad", "u1")])
rec["v"] = 1
f(rec["v"], out=o2)
rec["v"][0, 0] = 10
f(rec["v"], out=o2)
print("converted input:", "ok" if o2[0, 0] == 20 and o2[1, 1] == 2 else "WRONG")
# CHECK: converted input: ok
