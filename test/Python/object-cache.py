# The JIT's on-disk object cache: a second process compiling the same source
# with the same options loads the cached object (same results, no new entry);
# other options are another entry; a damaged entry is recompiled, not trusted.
# RUN: rm -rf %t && env LF_CACHE=1 LF_CACHE_DIR=%t %PYTHON %s first | FileCheck %s --check-prefix=FIRST
# RUN: env LF_CACHE=1 LF_CACHE_DIR=%t %PYTHON %s second | FileCheck %s --check-prefix=SECOND
# RUN: env LF_CACHE=1 LF_CACHE_DIR=%t %PYTHON %s damaged | FileCheck %s --check-prefix=DAMAGED
# RUN: env LF_CACHE=0 LF_CACHE_DIR=%t %PYTHON %s off | FileCheck %s --check-prefix=OFF
import glob
import os
import sys

import numpy as np

import lightfuse

SRC = """
func.func @f(%x: tensor<4x64xf32>, %w: tensor<32x64xf32>) -> tensor<4x32xf32> {
  %n = lf.rms_norm %x : tensor<4x64xf32>
  %y = lf.linear %n, %w : tensor<4x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}
"""
d = os.environ["LF_CACHE_DIR"]
mode = sys.argv[1]
x = np.linspace(-1, 1, 256, dtype=np.float32).reshape(4, 64)
w = np.linspace(-1, 1, 2048, dtype=np.float32).reshape(32, 64)


def entries():
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "*.o")))


if mode == "damaged":
    for p in glob.glob(os.path.join(d, "*.o")):
        with open(p, "wb") as f:
            f.write(b"not an object")
m = lightfuse.compile(SRC)
y = m.f(x, w)
ref = np.load(os.path.join(d, "ref.npy")) if mode != "first" else None
if mode == "first":
    np.save(os.path.join(d, "ref.npy"), y)
    # FIRST: entries: 1
    print("entries:", len(entries()))
    lightfuse.compile(SRC, threads=2)
    # FIRST: entries with threads=2 too: 2
    print("entries with threads=2 too:", len(entries()))
else:
    # SECOND: same result: True, entries: 2
    # DAMAGED: same result: True, entries: 2
    # OFF: same result: True, entries: 2
    print(f"same result: {bool(np.array_equal(y, ref))}, entries: {len(entries())}")
