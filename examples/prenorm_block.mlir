// A Pre-LN transformer MLP block written in lf ops, with static weights
// passed as arguments: x' = x + W2 silu-gate(W1 LN(x), W3 LN(x)), then the
// final LayerNorm. Tokens are a dynamic dimension.
func.func @prenorm_block(%x: tensor<?x256xf32>,
                         %ln_g: tensor<256xf32>, %ln_b: tensor<256xf32>,
                         %w_gate: tensor<512x256xf32>, %w_up: tensor<512x256xf32>,
                         %w_down: tensor<256x512xf32>, %b_down: tensor<256xf32>,
                         %lnf_g: tensor<256xf32>, %lnf_b: tensor<256xf32>)
    -> tensor<?x256xf32> {
  %h = lf.layer_norm %x gain(%ln_g : tensor<256xf32>) bias(%ln_b : tensor<256xf32>) : tensor<?x256xf32>
  %a = lf.linear %h, %w_gate : tensor<?x256xf32>, tensor<512x256xf32> -> tensor<?x512xf32>
  %u = lf.linear %h, %w_up : tensor<?x256xf32>, tensor<512x256xf32> -> tensor<?x512xf32>
  %g = lf.glu silu %a, %u : tensor<?x512xf32>
  %o = lf.linear %g, %w_down bias(%b_down : tensor<256xf32>) : tensor<?x512xf32>, tensor<256x512xf32> -> tensor<?x256xf32>
  %s = lf.add %x, %o : tensor<?x256xf32>
  %y = lf.layer_norm %s gain(%lnf_g : tensor<256xf32>) bias(%lnf_b : tensor<256xf32>) : tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}
