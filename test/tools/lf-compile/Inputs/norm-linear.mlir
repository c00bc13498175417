func.func @main(%x: tensor<16x64xf32>, %g: tensor<64xf32>, %w: tensor<32x64xf32> {lf.weight}) -> tensor<16x32xf32> {
  %n = lf.rms_norm %x gain(%g : tensor<64xf32>) : tensor<16x64xf32>
  %y = lf.linear %n, %w : tensor<16x64xf32>, tensor<32x64xf32> -> tensor<16x32xf32>
  return %y : tensor<16x32xf32>
}
