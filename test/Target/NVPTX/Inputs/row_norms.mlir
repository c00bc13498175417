// Row-kernel inputs (lf-gpu-row-norms): residual+LayerNorm with 128-bit
// accesses, f16 residual+RMSNorm, and a row length with scalar lanes.
func.func @res(%x: tensor<?x1024xf32>, %r: tensor<?x1024xf32>, %g: tensor<1024xf32>, %b: tensor<1024xf32>) -> (tensor<?x1024xf32>, tensor<?x1024xf32>) {
  %s, %y = lf.residual_norm layer %x, %r gain(%g : tensor<1024xf32>) bias(%b : tensor<1024xf32>) {eps = 1.0e-05 : f32} : tensor<?x1024xf32>
  return %s, %y : tensor<?x1024xf32>, tensor<?x1024xf32>
}
func.func @rmsh(%x: tensor<4x?x64xf16>, %r: tensor<4x?x64xf16>) -> (tensor<4x?x64xf16>, tensor<4x?x64xf16>) {
  %s, %y = lf.residual_norm rms %x, %r {eps = 1.0e-06 : f32} : tensor<4x?x64xf16>
  return %s, %y : tensor<4x?x64xf16>, tensor<4x?x64xf16>
}
func.func @odd(%x: tensor<?x30xf32>) -> tensor<?x30xf32> {
  %y = lf.rms_norm %x : tensor<?x30xf32>
  return %y : tensor<?x30xf32>
}
