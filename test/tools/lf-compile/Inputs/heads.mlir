// Tiled causal linear attention over 2 x 4 (batch, head) slices.
func.func @heads(%q: tensor<2x4x?x16xf32>, %k: tensor<2x4x?x16xf32>, %v: tensor<2x4x?x16xf32>, %s: tensor<4xf32>) -> tensor<2x4x?x16xf32> {
  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<4xf32>)
      : tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32>, tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}
