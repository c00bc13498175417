// RUN: lf-opt %s --pass-pipeline='builtin.module(func.func(lf-gpu-linear-attention{explain}))' \
// RUN:   --split-input-file --verify-diagnostics | FileCheck %s

// One kernel: a thread block per (value slice, head, batch), the state and
// the blocks in dynamic shared memory, the decay powers as one table, the
// sequence in blocks of 64 with a barrier after each of the four phases.
// CHECK-LABEL: func.func @blocks
// CHECK-NOT: lf.linear_attention
// CHECK: %[[H:.*]] = memref.dim %{{.*}}, %c1
// CHECK: gpu.launch blocks(%{{.*}}, %[[HEAD:.*]], %[[B:.*]]) in (%{{.*}} = %c2{{.*}}, %{{.*}} = %[[H]], %{{.*}} = %{{.*}}) threads({{.*}}) in (%{{.*}} = %c256{{.*}}, {{.*}}) dynamic_shared_memory_size %c32004_i32
// CHECK: gpu.dynamic_shared_memory
// CHECK-COUNT-2: memref.view {{.*}} to memref<64x20xf32, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<64x16xf32
// CHECK: memref.view {{.*}} to memref<64x64xf32
// CHECK: memref.view {{.*}} to memref<16x16xf32
// CHECK: memref.view {{.*}} to memref<65xf32
// CHECK: math.exp
// CHECK: gpu.barrier
// CHECK: arith.ceildivui %{{.*}}, %c64
// CHECK: scf.for
// CHECK:   gpu.barrier
// CHECK:   math.fma
// CHECK:   gpu.barrier
// CHECK:   gpu.barrier
// CHECK:   gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
// CHECK: bufferization.to_tensor
func.func @blocks(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x32xf32>, %s: tensor<2xf32>) -> tensor<1x2x?x32xf32> {
  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<2xf32>) : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32> -> tensor<1x2x?x32xf32>
  return %o : tensor<1x2x?x32xf32>
}

// -----

// The decode step: q, k and the new state (16-column slices: 2 x 4 x 1
// thread blocks) in shared memory.
// CHECK-LABEL: func.func @step
// CHECK-NOT: lf.linear_attention_step
// CHECK: gpu.launch {{.*}} in (%{{.*}} = %c2{{.*}}) threads{{.*}} dynamic_shared_memory_size %c1152_i32
// CHECK-COUNT-2: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @step(%q: tensor<1x4x16xf16>, %k: tensor<1x4x16xf16>, %v: tensor<1x4x32xf16>, %s: tensor<1x4x16x32xf32>) -> (tensor<1x4x32xf16>, tensor<1x4x16x32xf32>) {
  %o, %s1 = lf.linear_attention_step %q, %k, %v, %s : tensor<1x4x16xf16>, tensor<1x4x16xf16>, tensor<1x4x32xf16>, tensor<1x4x16x32xf32> -> tensor<1x4x32xf16>, tensor<1x4x16x32xf32>
  return %o, %s1 : tensor<1x4x32xf16>, tensor<1x4x16x32xf32>
}

// -----

// Declined forms keep the generic lowering and say why.
// CHECK-LABEL: func.func @declined
// CHECK: lf.linear_attention
// CHECK: lf.linear_attention
// CHECK: lf.linear_attention
// CHECK-NOT: gpu.launch
func.func @declined(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %c: tensor<2x16xf32>,
                    %qd: tensor<1x2x8x?xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  // expected-remark @below {{non-causal (two GEMMs) keeps the generic lowering}}
  %a = lf.linear_attention %q, %q, %v {causal = false} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  // expected-remark @below {{per-channel decay keeps the generic lowering}}
  %b = lf.linear_attention %q, %q, %v decay(%c : tensor<2x16xf32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  // expected-remark @below {{dynamic head dims keep the generic lowering}}
  %d = lf.linear_attention %qd, %qd, %v : tensor<1x2x8x?xf32>, tensor<1x2x8x?xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %a, %b, %d : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// -----

// RUN: not lf-opt %s --pass-pipeline='builtin.module(func.func(lf-gpu-linear-attention{block=6}))' 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not lf-opt %s --pass-pipeline='builtin.module(func.func(lf-gpu-row-norms{block-size=48}))' 2>&1 | FileCheck %s --check-prefix=BADROWS
// BADOPT: error: lf-gpu-linear-attention: needs block-size in [1, 1024], block a positive multiple of 4 and value-tile >= 0; got block-size=256 block=6 value-tile=0
// BADROWS: error: lf-gpu-row-norms: block-size must be a multiple of 32 (one warp per row) in [32, 1024], got 48
func.func @options(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %y = lf.rms_norm %x : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
