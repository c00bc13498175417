func.func @rms(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = lf.rms_norm %x gain(%g : tensor<8xf32>) : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
func.func @swiglu(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = lf.glu silu %a, %b : tensor<2x3xf32>
  %1 = lf.add %a, %b : tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
func.func @half(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = lf.activation relu %x : tensor<4xf16>
  return %0 : tensor<4xf16>
}
