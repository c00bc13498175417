// A TransNormerLLM block (spec.md 4.1, 4.2) written in lf ops, weights as
// arguments, N tokens dynamic, d_model 64, 2 heads of width 32:
//   token mixer:   q, k, v, u = SRMSNorm(x) @ W{q,k,v,u}^T
//                  o = causal decayed linear attention (silu feature map)
//                  x1 = x + (u * SRMSNorm(concat_heads(o))) @ Wo^T
//   channel mixer: x2 = x1 + SGLU(SRMSNorm(x1))
//                     = x1 + ((h @ W1^T) * (h @ W2^T)) @ W3^T
func.func @transnormer_block(%x: tensor<?x64xf32>,
                             %wq: tensor<64x64xf32>, %wk: tensor<64x64xf32>,
                             %wv: tensor<64x64xf32>, %wu: tensor<64x64xf32>,
                             %wo: tensor<64x64xf32>, %decay: tensor<2xf32>,
                             %w1: tensor<128x64xf32>, %w2: tensor<128x64xf32>,
                             %w3: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  // Token mixer.
  %h = lf.rms_norm %x : tensor<?x64xf32>
  %q = lf.linear %h, %wq : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %k = lf.linear %h, %wk : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %v = lf.linear %h, %wv : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %u = lf.linear %h, %wu : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %q3 = tensor.expand_shape %q [[0, 1], [2, 3]] output_shape [1, %n, 2, 32] : tensor<?x64xf32> into tensor<1x?x2x32xf32>
  %k3 = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [1, %n, 2, 32] : tensor<?x64xf32> into tensor<1x?x2x32xf32>
  %v3 = tensor.expand_shape %v [[0, 1], [2, 3]] output_shape [1, %n, 2, 32] : tensor<?x64xf32> into tensor<1x?x2x32xf32>
  %eq = tensor.empty(%n) : tensor<1x2x?x32xf32>
  %q4 = linalg.transpose ins(%q3 : tensor<1x?x2x32xf32>) outs(%eq : tensor<1x2x?x32xf32>) permutation = [0, 2, 1, 3]
  %k4 = linalg.transpose ins(%k3 : tensor<1x?x2x32xf32>) outs(%eq : tensor<1x2x?x32xf32>) permutation = [0, 2, 1, 3]
  %v4 = linalg.transpose ins(%v3 : tensor<1x?x2x32xf32>) outs(%eq : tensor<1x2x?x32xf32>) permutation = [0, 2, 1, 3]
  %o4 = lf.linear_attention %q4, %k4, %v4 decay(%decay : tensor<2xf32>) {feature_map = #lf.feature_map<silu>}
          : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32> -> tensor<1x2x?x32xf32>
  %eo = tensor.empty(%n) : tensor<1x?x2x32xf32>
  %o3 = linalg.transpose ins(%o4 : tensor<1x2x?x32xf32>) outs(%eo : tensor<1x?x2x32xf32>) permutation = [0, 2, 1, 3]
  %o = tensor.collapse_shape %o3 [[0, 1], [2, 3]] : tensor<1x?x2x32xf32> into tensor<?x64xf32>
  %on = lf.rms_norm %o : tensor<?x64xf32>
  %g = lf.mul %u, %on : tensor<?x64xf32>
  %t = lf.linear %g, %wo : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %x1 = lf.add %x, %t : tensor<?x64xf32>
  // Channel mixer (SGLU).
  %h2 = lf.rms_norm %x1 : tensor<?x64xf32>
  %a = lf.linear %h2, %w1 : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  %b = lf.linear %h2, %w2 : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  %s = lf.glu none %a, %b : tensor<?x128xf32>
  %m = lf.linear %s, %w3 : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %x2 = lf.add %x1, %m : tensor<?x64xf32>
  return %x2 : tensor<?x64xf32>
}
