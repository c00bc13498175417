// The tiled GEMM kernels (lf-gpu-linear): a linear with bias and GELU, and
// the fused GLU family (SwiGLU f16, SGLU bf16, GeGLU f32 with biases), and
// SwiGLU of two RMS norm_linears (statistics in the prologue).
func.func @linear_gelu(%x: tensor<?x1024xf32>, %w: tensor<4096x1024xf32>, %b: tensor<4096xf32>) -> tensor<?x4096xf32> {
  %a = lf.linear %x, %w bias(%b : tensor<4096xf32>) : tensor<?x1024xf32>, tensor<4096x1024xf32> -> tensor<?x4096xf32>
  %y = lf.activation gelu %a : tensor<?x4096xf32>
  return %y : tensor<?x4096xf32>
}
func.func @swiglu_f16(%x: tensor<?x1024xf16>, %w1: tensor<2816x1024xf16>, %w2: tensor<2816x1024xf16>) -> tensor<?x2816xf16> {
  %a = lf.linear %x, %w1 : tensor<?x1024xf16>, tensor<2816x1024xf16> -> tensor<?x2816xf16>
  %u = lf.linear %x, %w2 : tensor<?x1024xf16>, tensor<2816x1024xf16> -> tensor<?x2816xf16>
  %y = lf.glu silu %a, %u : tensor<?x2816xf16>
  return %y : tensor<?x2816xf16>
}
func.func @sglu_bf16(%x: tensor<4x?x512xbf16>, %w1: tensor<1024x512xbf16>, %w2: tensor<1024x512xbf16>) -> tensor<4x?x1024xbf16> {
  %a = lf.linear %x, %w1 : tensor<4x?x512xbf16>, tensor<1024x512xbf16> -> tensor<4x?x1024xbf16>
  %u = lf.linear %x, %w2 : tensor<4x?x512xbf16>, tensor<1024x512xbf16> -> tensor<4x?x1024xbf16>
  %y = lf.glu none %a, %u : tensor<4x?x1024xbf16>
  return %y : tensor<4x?x1024xbf16>
}
func.func @geglu_bias(%x: tensor<64x256xf32>, %w1: tensor<512x256xf32>, %b1: tensor<512xf32>, %w2: tensor<512x256xf32>, %b2: tensor<512xf32>) -> tensor<64x512xf32> {
  %a = lf.linear %x, %w1 bias(%b1 : tensor<512xf32>) : tensor<64x256xf32>, tensor<512x256xf32> -> tensor<64x512xf32>
  %u = lf.linear %x, %w2 bias(%b2 : tensor<512xf32>) : tensor<64x256xf32>, tensor<512x256xf32> -> tensor<64x512xf32>
  %y = lf.glu gelu %a, %u : tensor<64x512xf32>
  return %y : tensor<64x512xf32>
}
func.func @norm_linear_swiglu(%x: tensor<?x768xf16>, %w1: tensor<2048x768xf16>, %w2: tensor<2048x768xf16>) -> tensor<?x2048xf16> {
  %a = lf.norm_linear rms %x, %w1 {eps = 1.0e-06 : f32} : tensor<?x768xf16>, tensor<2048x768xf16> -> tensor<?x2048xf16>
  %u = lf.norm_linear rms %x, %w2 {eps = 1.0e-06 : f32} : tensor<?x768xf16>, tensor<2048x768xf16> -> tensor<?x2048xf16>
  %y = lf.glu silu %a, %u : tensor<?x2048xf16>
  return %y : tensor<?x2048xf16>
}
