// The Lightning Attention and decode-step kernels (lf-gpu-linear-attention)
// at the device check's shape (Dk = Dv = 128, 16 heads) in f32, f16 and bf16,
// and lf.norm_attention.
func.func @lightning_f32(%q: tensor<1x16x?x128xf32>, %k: tensor<1x16x?x128xf32>, %v: tensor<1x16x?x128xf32>, %s: tensor<16xf32>) -> (tensor<1x16x?x128xf32>, tensor<1x16x128x128xf32>) {
  %o, %S = lf.linear_attention %q, %k, %v decay(%s : tensor<16xf32>) {return_state} : tensor<1x16x?x128xf32>, tensor<1x16x?x128xf32>, tensor<1x16x?x128xf32> -> tensor<1x16x?x128xf32>, tensor<1x16x128x128xf32>
  return %o, %S : tensor<1x16x?x128xf32>, tensor<1x16x128x128xf32>
}
func.func @lightning_f16(%q: tensor<2x8x?x64xf16>, %k: tensor<2x8x?x64xf16>, %v: tensor<2x8x?x64xf16>, %s: tensor<8xf32>) -> tensor<2x8x?x64xf16> {
  %o = lf.linear_attention %q, %k, %v decay(%s : tensor<8xf32>) {feature_map = #lf.feature_map<silu>} : tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16> -> tensor<2x8x?x64xf16>
  return %o : tensor<2x8x?x64xf16>
}
func.func @lightning_bf16(%q: tensor<1x4x256x128xbf16>, %k: tensor<1x4x256x128xbf16>, %v: tensor<1x4x256x64xbf16>) -> tensor<1x4x256x64xbf16> {
  %o = lf.linear_attention %q, %k, %v : tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16>, tensor<1x4x256x64xbf16> -> tensor<1x4x256x64xbf16>
  return %o : tensor<1x4x256x64xbf16>
}
func.func @decode_bf16(%q: tensor<1x16x128xbf16>, %k: tensor<1x16x128xbf16>, %v: tensor<1x16x128xbf16>, %s: tensor<1x16x128x128xf32>, %d: tensor<16xf32>) -> (tensor<1x16x128xbf16>, tensor<1x16x128x128xf32>) {
  %o, %s1 = lf.linear_attention_step %q, %k, %v, %s decay(%d : tensor<16xf32>) : tensor<1x16x128xbf16>, tensor<1x16x128xbf16>, tensor<1x16x128xbf16>, tensor<1x16x128x128xf32> -> tensor<1x16x128xbf16>, tensor<1x16x128x128xf32>
  return %o, %s1 : tensor<1x16x128xbf16>, tensor<1x16x128x128xf32>
}
func.func @norm_attention(%q: tensor<1x4x?x64xf32>, %k: tensor<1x4x?x64xf32>, %v: tensor<1x4x?x64xf32>, %u: tensor<1x?x256xf32>, %s: tensor<4xf32>) -> tensor<1x?x256xf32> {
  %y = lf.norm_attention %q, %k, %v gate(%u : tensor<1x?x256xf32>) decay(%s : tensor<4xf32>) : tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32> -> tensor<1x?x256xf32>
  return %y : tensor<1x?x256xf32>
}
