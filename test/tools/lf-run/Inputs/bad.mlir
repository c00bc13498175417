func.func @bad(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = lf.rms_norm %a {eps = 0.0 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
