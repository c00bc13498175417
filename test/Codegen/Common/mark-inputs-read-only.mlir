// RUN: lf-opt %s --lf-mark-inputs-read-only | FileCheck %s
// Then one-shot bufferization copies an argument before writing it.
// RUN: lf-opt %s --lf-mark-inputs-read-only --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// CHECK-LABEL: func.func @update(
// CHECK-SAME: %{{.*}}: tensor<4xf32> {bufferization.writable = false}, %{{.*}}: f32)
// BUF-LABEL: func.func @update(
// BUF: %[[COPY:.*]] = memref.alloc
// BUF: memref.copy %arg0, %[[COPY]]
// BUF: linalg.generic {{.*}} outs(%[[COPY]]
func.func @update(%s: tensor<4xf32>, %v: f32) -> tensor<4xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%s : tensor<4xf32>) {
  ^bb0(%o: f32):
    %r = arith.addf %o, %v : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// Private functions are internal calls: left alone.
// CHECK-LABEL: func.func private @inner(
// CHECK-NOT: writable
// CHECK-SAME: )
func.func private @inner(%s: tensor<4xf32>) -> tensor<4xf32> {
  return %s : tensor<4xf32>
}
