# One compiled module invoked from 8 threads at once gives results
# bit-identical to a single call (also with threads=2, where the GEMM pool is
# contended and callers that find it busy run their blocks themselves); four
# modules compiled at once from different threads all work.
# RUN: %PYTHON %s | FileCheck %s
import threading

import numpy as np

import lightfuse

SRC = """
func.func @f(%x: tensor<64x128xf32>, %w: tensor<96x128xf32>, %g: tensor<128xf32>) -> tensor<64x96xf32> {
  %n = lf.rms_norm %x gain(%g : tensor<128xf32>) : tensor<64x128xf32>
  %y = lf.linear %n, %w : tensor<64x128xf32>, tensor<96x128xf32> -> tensor<64x96xf32>
  %z = lf.activation silu %y : tensor<64x96xf32>
  return %z : tensor<64x96xf32>
}
"""
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 128)).astype(np.float32)
w = rng.standard_normal((96, 128)).astype(np.float32)
g = rng.uniform(0.5, 1.5, 128).astype(np.float32)

for threads in (1, 2):
    m = lightfuse.compile(SRC, threads=threads)
    want = m.f(x, w, g)
    bad = []

    def worker():
        for _ in range(20):
            if not np.array_equal(m.f(x, w, g), want):
                bad.append(1)
    ts = [threading.Thread(target=worker) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    # CHECK: threads=1: 8 callers x 20 calls identical: True
    # CHECK: threads=2: 8 callers x 20 calls identical: True
    print(f"threads={threads}: 8 callers x 20 calls identical: {not bad}")

results = {}


def compile_one(i):
    src = SRC.replace("@f", f"@f{i}")
    mod = lightfuse.compile(src, threads=1 + i % 2)
    results[i] = np.array_equal(getattr(mod, f"f{i}")(x, w, g), want)


ts = [threading.Thread(target=compile_one, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
# CHECK: 4 concurrent compiles correct: True
print("4 concurrent compiles correct:", len(results) == 4 and all(results.values()))
