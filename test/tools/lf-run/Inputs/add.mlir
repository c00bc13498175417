func.func @add(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = lf.add %a, %b : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
func.func @half(%a: tensor<2xf16>) -> tensor<2xf16> {
  %0 = lf.activation relu %a : tensor<2xf16>
  return %0 : tensor<2xf16>
}
func.func @norm(%x: tensor<?x?xf32>, %g: tensor<?xf32>) -> tensor<?x?xf32> {
  %0 = lf.rms_norm %x gain(%g : tensor<?xf32>) : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
