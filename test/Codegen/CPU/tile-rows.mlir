// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg,linalg-fuse-elementwise-ops,lf-tile-rows{tile-rows=4}),canonicalize,cse)" -split-input-file | FileCheck %s
// RUN: not lf-opt %s --pass-pipeline="builtin.module(func.func(lf-tile-rows{tile-rows=0}))" -split-input-file 2>&1 | FileCheck %s --check-prefix=BADSIZE
// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg,linalg-fuse-elementwise-ops,lf-tile-rows{tile-rows=4 parallel}),canonicalize,cse)" -split-input-file | FileCheck %s --check-prefix=PAR
// BADSIZE: error: lf-tile-rows: tile-rows must be positive

// RMSNorm's reduction and epilogue share one loop over 4-row tiles.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[R:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C4]]
// CHECK:   tensor.extract_slice %arg0
// CHECK:   linalg.fill
// CHECK:   linalg.generic {{.*}}["parallel", "reduction"]
// CHECK:   linalg.generic {{.*}}["parallel", "parallel"]
// CHECK:   tensor.insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
// With `parallel` the tiles are scf.forall iterations writing disjoint rows.
// PAR-LABEL: func @rms_norm
// PAR: %[[R:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (4) shared_outs(%{{.*}} = %{{.*}})
// PAR:   linalg.generic {{.*}}["parallel", "reduction"]
// PAR:   linalg.generic {{.*}}["parallel", "parallel"]
// PAR:   scf.forall.in_parallel
// PAR-NEXT: tensor.parallel_insert_slice
// PAR: return %[[R]]
func.func @rms_norm(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = lf.rms_norm %x : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Residual add + LayerNorm returning both: the loop computes the sum once
// per tile and yields it instead of recomputing it outside.
// CHECK-LABEL: func @add_layer_norm
// CHECK: %[[L:.*]]:2 = scf.for
// CHECK:   arith.addf
// CHECK:   scf.yield %{{.*}}, %{{.*}} : tensor<?x32xf32>, tensor<?x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[L]]#{{[01]}}, %[[L]]#{{[01]}}
// PAR-LABEL: func @add_layer_norm
// PAR: %[[L:.*]]:2 = scf.forall
// PAR:   arith.addf
// PAR:   scf.forall.in_parallel
// PAR-COUNT-2: tensor.parallel_insert_slice
// PAR: return %[[L]]#{{[01]}}, %[[L]]#{{[01]}}
func.func @add_layer_norm(%x: tensor<?x32xf32>, %r: tensor<?x32xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %s = lf.add %x, %r : tensor<?x32xf32>
  %y = lf.layer_norm %s : tensor<?x32xf32>
  return %s, %y : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// Ops inside the linear-attention token loop are left alone; the rank-1
// result of a full reduction has no outer parallel loop to tile.
// CHECK-LABEL: func @untouched
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]
func.func @untouched(%x: tensor<?xf32>) -> tensor<1xf32> {
  %e = tensor.empty() : tensor<1xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1xf32>) -> tensor<1xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (0)>], iterator_types = ["reduction"]}
      ins(%x : tensor<?xf32>) outs(%f : tensor<1xf32>) {
  ^bb0(%a: f32, %b: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<1xf32>
  return %s : tensor<1xf32>
}

// -----

// A producer whose slice does not move with the row loop (here a transposed
// weight) is loop-invariant: it stays outside instead of being recomputed
// on every tile.
// CHECK-LABEL: func @invariant_producer
// CHECK: linalg.transpose
// CHECK: scf.for
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @invariant_producer(%x: tensor<?x16xf32>, %w: tensor<16x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %wt = linalg.transpose ins(%w : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) permutation = [1, 0]
  %m = tensor.dim %x, %c0 : tensor<?x16xf32>
  %o = tensor.empty(%m) : tensor<?x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%o : tensor<?x16xf32>) -> tensor<?x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>, affine_map<(m, k, n) -> (m, n)>],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %wt : tensor<?x16xf32>, tensor<16x16xf32>) outs(%f : tensor<?x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
