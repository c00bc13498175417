// Ops the GPU kernel passes leave to the generic kernels (explain-gpu.test).
func.func @main(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %x: tensor<16xf32>, %w: tensor<32x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<32xf32>) {
  %a = lf.linear_attention %q, %q, %v {causal = false} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %y = lf.linear %x, %w : tensor<16xf32>, tensor<32x16xf32> -> tensor<32xf32>
  return %a, %y : tensor<1x2x8x16xf32>, tensor<32xf32>
}
