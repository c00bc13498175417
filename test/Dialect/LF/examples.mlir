// The examples shipped in examples/ parse, verify and round-trip.
// RUN: lf-opt %lf_src_root/examples/prenorm_block.mlir --verify-roundtrip | FileCheck %s
// CHECK: func.func @prenorm_block
// CHECK-COUNT-2: lf.layer_norm
