// RUN: lf-opt %s --pass-pipeline="builtin.module(func.func(convert-lf-to-linalg),canonicalize)" -split-input-file | FileCheck %s

// lf.diag_ssm (StateSpace.cpp).

// Kernel form: the discretized complex parameters (ZOH: exp, cos, sin), the
// convolution kernel K[c, l] over the sequence, then y = K * u + D u.
// CHECK-LABEL: func @diag_ssm_kernel
// CHECK: linalg.generic {{.*}} ins(%arg1, %arg2, %arg2, %arg2, %arg2 :
// CHECK:   math.cos
// CHECK:   math.sin
// CHECK: %[[K:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x?xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x64x?xf32>) outs(%{{.*}} : tensor<2x64x?xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %arg0, %arg1 : tensor<2x64x?xf32>, tensor<2x64x?xf32>, tensor<64xf32>)
// CHECK-NOT: scf.for
// CHECK-NOT: lf.
func.func @diag_ssm_kernel(%u: tensor<2x64x?xf32>, %dt: tensor<64xf32>, %a: tensor<64x32xf32>) -> tensor<2x64x?xf32> {
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a skip(%dt : tensor<64xf32>) : tensor<2x64x?xf32>, tensor<64xf32>, tensor<64x32xf32>
  return %0 : tensor<2x64x?xf32>
}

// -----

// Recurrent form: a token loop carrying the real and imaginary state.
// CHECK-LABEL: func @diag_ssm_recurrent
// CHECK: %[[R:.*]]:3 = scf.for {{.*}} iter_args({{.*}}) -> (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x128xf32>)
// CHECK:   tensor.extract_slice %arg0[0, 0, %{{.*}}] [1, 4, 1]
// CHECK:   scf.yield
// CHECK: linalg.generic {{.*}} ins(%[[R]]#2, %arg0 :
// CHECK:   arith.truncf {{.*}} : f32 to bf16
func.func @diag_ssm_recurrent(%h: tensor<1x4x128xbf16>, %dt4: tensor<4xf32>, %a4: tensor<4x8xf32>) -> tensor<1x4x128xbf16> {
  %1 = lf.diag_ssm recurrent bilinear %h, %dt4, %a4, %a4, %a4, %a4 : tensor<1x4x128xbf16>, tensor<4xf32>, tensor<4x8xf32>
  return %1 : tensor<1x4x128xbf16>
}
