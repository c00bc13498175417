// One chunk per verifier rule of every lf op.
// RUN: lf-opt %s -split-input-file -verify-diagnostics

func.func @f0(%x: tensor<4x8xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = lf.rms_norm %x : tensor<4x8xi32>
  return
}

// -----

func.func @f1(%x: tensor<4x8xf64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = lf.activation relu %x : tensor<4x8xf64>
  return
}

// -----

func.func @f2(%x: tensor<f32>) {
  // expected-error @+1 {{expects input of rank >= 1}}
  %0 = lf.layer_norm %x : tensor<f32>
  return
}

// -----

func.func @f3(%x: tensor<4x8xf32>, %g: tensor<8xf16>) {
  // expected-error @+1 {{gain element type 'f16' does not match input element type 'f32'}}
  %0 = lf.layer_norm %x gain(%g : tensor<8xf16>) : tensor<4x8xf32>
  return
}

// -----

func.func @f4(%x: tensor<4x8xf32>, %g: tensor<1x8xf32>) {
  // expected-error @+1 {{expects gain of rank 1, got rank 2}}
  %0 = lf.rms_norm %x gain(%g : tensor<1x8xf32>) : tensor<4x8xf32>
  return
}

// -----

func.func @f5(%x: tensor<4x8xf32>, %g: tensor<7xf32>) {
  // expected-error @+1 {{gain has 7 elements but the normalized dimension is 8}}
  %0 = lf.rms_norm %x gain(%g : tensor<7xf32>) : tensor<4x8xf32>
  return
}

// -----

func.func @f6(%x: tensor<4x8xf32>, %g: tensor<9xf32>) {
  // expected-error @+1 {{bias has 9 elements but the normalized dimension is 8}}
  %0 = lf.layer_norm %x bias(%g : tensor<9xf32>) : tensor<4x8xf32>
  return
}

// -----

func.func @f7(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{eps must be a finite positive number, got 0}}
  %0 = lf.layer_norm %x {eps = 0.0 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @f8(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{eps must be a finite positive number}}
  %0 = lf.rms_norm %x {eps = -1.0e-6 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @f9(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{eps must be a finite positive number, got NaN}}
  %0 = lf.crms_norm %x {eps = 0x7FC00000 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @f10(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{scale must be a finite positive number, got 0}}
  %0 = lf.layer_norm %x {scale = 0.0 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @f11(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{scale must be a finite positive number, got -2}}
  %0 = lf.rms_norm %x {scale = -2.0 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @f12(%x: tensor<4x8xf32>, %g: tensor<9xf32>) {
  // expected-error @+1 {{gain has 9 elements but the normalized dimension is 8}}
  %0 = lf.crms_norm %x gain(%g : tensor<9xf32>) : tensor<4x8xf32>
  return
}

// -----

func.func @f13(%x: tensor<2x3x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{axis 3 is out of range for rank 3 (expected [-3, 3))}}
  %0 = lf.batch_norm %x, %c, %c {axis = 3 : i64} : tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @f14(%x: tensor<2x3x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{axis -4 is out of range for rank 3}}
  %0 = lf.batch_norm %x, %c, %c {axis = -4 : i64} : tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @f15(%x: tensor<2x3x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{running_mean has 4 elements but the channel dimension is 3}}
  %0 = lf.batch_norm %x, %c, %c {axis = 1 : i64} : tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @f16(%x: tensor<2x3x4xf32>, %c: tensor<4xf32>, %v: tensor<5xf32>) {
  // expected-error @+1 {{running_var has 5 elements but the channel dimension is 4}}
  %0 = lf.batch_norm %x, %c, %v : tensor<2x3x4xf32>, tensor<4xf32>, tensor<5xf32>
  return
}

// -----

func.func @f17(%x: tensor<2x3x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{eps must be a finite positive number}}
  %0 = lf.batch_norm %x, %c, %c {eps = 0.0 : f32} : tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @f18(%x: tensor<2x12xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{groups (5) must divide the channel count (12)}}
  %0 = lf.power_norm %x running_qm(%c : tensor<12xf32>) {groups = 5 : i64} : tensor<2x12xf32>
  return
}

// -----

func.func @f19(%x: tensor<2x12xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{groups must be positive, got 0}}
  %0 = lf.power_norm %x running_qm(%c : tensor<12xf32>) {groups = 0 : i64} : tensor<2x12xf32>
  return
}

// -----

func.func @f20(%x: tensor<2x12xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{group_eps must be a finite positive number}}
  %0 = lf.power_norm %x running_qm(%c : tensor<12xf32>) {group_eps = -1.0 : f32} : tensor<2x12xf32>
  return
}

// -----

func.func @f21(%x: tensor<2x12xf32>, %c: tensor<12xf16>) {
  // expected-error @+1 {{running_qm element type 'f16' does not match input element type 'f32'}}
  %0 = lf.unified_norm %x, %c : tensor<2x12xf32>, tensor<12xf16>
  return
}

// -----

func.func @f22(%x: tensor<2x12xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = lf.unified_norm %x, %c {axis = 2 : i64} : tensor<2x12xf32>, tensor<12xf32>
  return
}

// -----

func.func @f23(%x: tensor<12xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{expects input of rank >= 2 ([N, C, ...]), got rank 1}}
  %0 = lf.evonorm_b0 %x, %c, %c, %c, %c {axis = 0 : i64} : tensor<12xf32>, tensor<12xf32>
  return
}

// -----

func.func @f24(%x: tensor<4x12xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{channel axis cannot be the batch axis 0}}
  %0 = lf.evonorm_b0 %x, %c, %c, %c, %c {axis = 0 : i64} : tensor<4x12xf32>, tensor<4xf32>
  return
}

// -----

func.func @f25(%x: tensor<4x12x5xf32>, %c: tensor<5xf32>) {
  // expected-error @+1 {{v has 5 elements but the channel dimension is 12}}
  %0 = lf.evonorm_s0 %x, %c, %c, %c : tensor<4x12x5xf32>, tensor<5xf32>
  return
}

// -----

func.func @f26(%x: tensor<4x12x5xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{groups must be positive, got 0}}
  %0 = lf.evonorm_s0 %x, %c, %c, %c {groups = 0 : i64} : tensor<4x12x5xf32>, tensor<12xf32>
  return
}

// -----

func.func @f27(%x: tensor<4x12x5xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{axis 5 is out of range for rank 3}}
  %0 = lf.evonorm_s0 %x, %c, %c, %c {axis = 5 : i64, groups = 4 : i64} : tensor<4x12x5xf32>, tensor<12xf32>
  return
}

// -----

func.func @f28(%x: tensor<4x12x5xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{eps must be a finite positive number}}
  %0 = lf.evonorm_b0 %x, %c, %c, %c, %c {eps = 0.0 : f32} : tensor<4x12x5xf32>, tensor<12xf32>
  return
}

// -----

func.func @f29(%x: tensor<4x12xf32>, %c: tensor<12xf32>, %d: tensor<12xf16>) {
  // expected-error @+1 {{failed to verify that all of {v, gain, bias} have same type}}
  %0 = "lf.evonorm_s0"(%x, %c, %d, %c) : (tensor<4x12xf32>, tensor<12xf32>, tensor<12xf16>, tensor<12xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @f30(%x: tensor<4x12xf32>, %c: tensor<12xf32>, %d: tensor<4xf32>) {
  // expected-error @+1 {{failed to verify that all of {scale, shift} have same type}}
  %0 = "lf.channel_affine"(%x, %c, %d) : (tensor<4x12xf32>, tensor<12xf32>, tensor<4xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @f31(%x: tensor<4x12xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{scale has 4 elements but the channel dimension is 12}}
  %0 = lf.channel_affine %x, %c, %c : tensor<4x12xf32>, tensor<4xf32>
  return
}

// -----

func.func @f32(%x: tensor<4x12xf32>, %c: tensor<12xf32>) {
  // expected-error @+1 {{axis -3 is out of range for rank 2}}
  %0 = lf.channel_affine %x, %c, %c {axis = -3 : i64} : tensor<4x12xf32>, tensor<12xf32>
  return
}

// -----

func.func @f33(%x: tensor<4x12xf32>) {
  // expected-error @+1 {{expects scale of rank 1, got rank 2}}
  %0 = "lf.channel_affine"(%x, %x, %x) : (tensor<4x12xf32>, tensor<4x12xf32>, tensor<4x12xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @f34(%x: tensor<4x12xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "lf.layer_norm"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x12xf32>) -> tensor<4x13xf32>
  return
}

// -----

func.func @f35(%x: tensor<4x12xf32>, %w: tensor<12xf32>) {
  // expected-error @+1 {{expects weight of rank 2 ([out, in]), got rank 1}}
  %0 = lf.linear %x, %w : tensor<4x12xf32>, tensor<12xf32> -> tensor<4x12xf32>
  return
}

// -----

func.func @f36(%x: tensor<4x12xf32>, %w: tensor<6x10xf32>) {
  // expected-error @+1 {{input has 12 features but weight expects 10}}
  %0 = lf.linear %x, %w : tensor<4x12xf32>, tensor<6x10xf32> -> tensor<4x6xf32>
  return
}

// -----

func.func @f37(%x: tensor<4x12xf32>, %w: tensor<6x12xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{bias has 5 elements but the weight's output dimension is 6}}
  %0 = lf.linear %x, %w bias(%b : tensor<5xf32>) : tensor<4x12xf32>, tensor<6x12xf32> -> tensor<4x6xf32>
  return
}

// -----

func.func @f38(%x: tensor<4x12xf32>, %w: tensor<6x12xbf16>) {
  // expected-error @+1 {{weight element type 'bf16' does not match input element type 'f32'}}
  %0 = lf.linear %x, %w : tensor<4x12xf32>, tensor<6x12xbf16> -> tensor<4x6xf32>
  return
}

// -----

func.func @f39(%x: tensor<4x12xf32>, %w: tensor<6x12xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<4x6xf32>' are incompatible with return type(s) of operation 'tensor<4x7xf32>'}}
  %0 = lf.linear %x, %w : tensor<4x12xf32>, tensor<6x12xf32> -> tensor<4x7xf32>
  return
}

// -----

func.func @f40(%x: tensor<f32>, %w: tensor<6x12xf32>) {
  // expected-error @+1 {{expects input of rank >= 1}}
  %0 = lf.linear %x, %w : tensor<f32>, tensor<6x12xf32> -> tensor<6xf32>
  return
}

// -----

func.func @f41(%x: tensor<4x12xf32>, %y: tensor<4x12xf16>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "lf.add"(%x, %y) : (tensor<4x12xf32>, tensor<4x12xf16>) -> tensor<4x12xf32>
  return
}

// -----

func.func @f42(%x: tensor<4x12xf32>, %y: tensor<4x11xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "lf.mul"(%x, %y) : (tensor<4x12xf32>, tensor<4x11xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @f43(%x: tensor<4x12xf32>, %y: tensor<4x11xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "lf.glu"(%x, %y) <{activation = 2 : i32}> : (tensor<4x12xf32>, tensor<4x11xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @f44(%x: tensor<4x12xf32>) {
  // expected-error @+1 {{Invalid attribute `activation` in property conversion: 9 : i32}}
  %0 = "lf.glu"(%x, %x) <{activation = 9 : i32}> : (tensor<4x12xf32>, tensor<4x12xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @na_rank(%q: tensor<2x8x64xf32>, %u: tensor<2x8x64xf32>) {
  // expected-error @+1 {{expects query of rank 4 ([B, H, N, D]), got rank 3}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<2x8x64xf32>) : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @na_decay(%q: tensor<1x2x8x4xf32>, %u: tensor<1x8x8xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{decay has 3 heads but the inputs have 2}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<1x8x8xf32>) decay(%s : tensor<3xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x8x8xf32>
  return
}

// -----

func.func @na_eps(%q: tensor<1x2x8x4xf32>, %u: tensor<1x8x8xf32>) {
  // expected-error @+1 {{eps must be non-negative, got -1}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<1x8x8xf32>) {eps = -1.0 : f32} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x8x8xf32>
  return
}

// -----

func.func @na_gate_rank(%q: tensor<1x2x8x4xf32>, %u: tensor<8x8xf32>) {
  // expected-error @+1 {{expects the gate of rank 3 ([B, N, H * Dv]), got rank 2}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<8x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x8x8xf32>
  return
}

// -----

func.func @na_gate_type(%q: tensor<1x2x8x4xf32>, %u: tensor<1x8x8xf16>) {
  // expected-error @+1 {{the gate must have the element type of the query}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<1x8x8xf16>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x8x8xf32>
  return
}

// -----

func.func @na_result_shape(%q: tensor<1x2x8x4xf32>, %u: tensor<1x8x8xf32>) {
  // expected-error @+1 {{the result must be [B, N, H * Dv] = [1, 8, 8], got [1, 8, 4]}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<1x8x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x8x4xf32>
  return
}

// -----

func.func @na_gain(%q: tensor<1x2x8x4xf32>, %u: tensor<1x8x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{expects a gain of shape [H * Dv] = [8] with the element type of the query}}
  %0 = lf.norm_attention %q, %q, %q gate(%u : tensor<1x8x8xf32>) gain(%g : tensor<4xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x8x8xf32>
  return
}

// -----

func.func @f45(%q: tensor<2x8x64xf32>) {
  // expected-error @+1 {{expects query of rank 4 ([B, H, N, D]), got rank 3}}
  %0 = lf.linear_attention %q, %q, %q : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @f46(%q: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf16>) {
  // expected-error @+1 {{query, key and value must have the same element type}}
  %0 = lf.linear_attention %q, %q, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf16> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f47(%q: tensor<1x2x8x4xf32>, %v: tensor<2x2x8x4xf32>) {
  // expected-error @+1 {{batch dimensions of query, key and value differ}}
  %0 = lf.linear_attention %q, %q, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<2x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f48(%q: tensor<1x2x8x4xf32>, %k: tensor<1x3x8x4xf32>) {
  // expected-error @+1 {{head dimensions of query, key and value differ}}
  %0 = lf.linear_attention %q, %k, %q : tensor<1x2x8x4xf32>, tensor<1x3x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f49(%q: tensor<1x2x8x4xf32>, %v: tensor<1x2x9x4xf32>) {
  // expected-error @+1 {{key and value lengths differ (8 vs 9)}}
  %0 = lf.linear_attention %q, %q, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x9x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f50(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x5xf32>) {
  // expected-error @+1 {{query and key head dims differ (4 vs 5)}}
  %0 = lf.linear_attention %q, %k, %q : tensor<1x2x8x4xf32>, tensor<1x2x8x5xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f51(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>) {
  // expected-error @+1 {{causal attention needs as many keys as queries (8 vs 6)}}
  %0 = lf.linear_attention %q, %k, %k : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f52(%q: tensor<1x2x8x4xf32>, %s: tensor<1x2x4xf32>) {
  // expected-error @+1 {{expects decay of shape [H] or [H, Dk], got rank 3}}
  %0 = lf.linear_attention %q, %q, %q decay(%s : tensor<1x2x4xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f53(%q: tensor<1x2x8x4xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{decay has 3 heads but the inputs have 2}}
  %0 = lf.linear_attention %q, %q, %q decay(%s : tensor<3xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f54(%q: tensor<1x2x8x4xf32>, %s: tensor<2x5xf32>) {
  // expected-error @+1 {{decay has 5 channels but the key head dim is 4}}
  %0 = lf.linear_attention %q, %q, %q decay(%s : tensor<2x5xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f55(%q: tensor<1x2x8x4xf16>, %s: tensor<2xf16>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit float values, but got 'tensor<2xf16>'}}
  %0 = lf.linear_attention %q, %q, %q decay(%s : tensor<2xf16>) : tensor<1x2x8x4xf16>, tensor<1x2x8x4xf16>, tensor<1x2x8x4xf16> -> tensor<1x2x8x4xf16>
  return
}

// -----

func.func @f56(%q: tensor<1x2x8x4xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{decay requires causal = true (non-causal linear attention has no decay)}}
  %0 = lf.linear_attention %q, %q, %q decay(%s : tensor<2xf32>) {causal = false} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f57(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{return_state requires causal = true}}
  %0:2 = lf.linear_attention %q, %q, %q {causal = false, return_state} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f58(%q: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x3xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<1x2x8x3xf32>' are incompatible with return type(s) of operation 'tensor<1x2x8x4xf32>'}}
  %0 = lf.linear_attention %q, %q, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x3xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f59(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<1x2x8x4xf32>', 'tensor<1x2x4x4xf32>' are incompatible with return type(s) of operation 'tensor<1x2x8x4xf32>'}}
  %0 = lf.linear_attention %q, %q, %q {return_state} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f60(%q: tensor<1x2x4xf32>, %s: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{expects value of rank 3 ([B, H, D]), got rank 4}}
  %0:2 = lf.linear_attention_step %q, %q, %s, %s : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f61(%q: tensor<1x2x4xf16>, %s: tensor<1x2x4x4xf16>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit float values}}
  %0:2 = lf.linear_attention_step %q, %q, %q, %s : tensor<1x2x4xf16>, tensor<1x2x4xf16>, tensor<1x2x4xf16>, tensor<1x2x4x4xf16> -> tensor<1x2x4xf16>, tensor<1x2x4x4xf16>
  return
}

// -----

func.func @f62(%q: tensor<1x2x4xf32>, %v: tensor<1x2x3xf32>, %s: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{value has 3 channels but the state has 4}}
  %0:2 = lf.linear_attention_step %q, %q, %v, %s : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x3xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f63(%q: tensor<1x2x4xf32>, %s: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{head dimensions of query, key, value and state differ}}
  %0:2 = lf.linear_attention_step %q, %q, %q, %s : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x3x4x4xf32> -> tensor<1x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f64(%q: tensor<1x2x4xf32>, %k: tensor<1x2x5xf32>, %s: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{query, key and state disagree on the key head dim}}
  %0:2 = lf.linear_attention_step %q, %k, %q, %s : tensor<1x2x4xf32>, tensor<1x2x5xf32>, tensor<1x2x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f65(%q: tensor<1x2x4xf32>, %s: tensor<1x2x4x4xf32>, %d: tensor<4xf32>) {
  // expected-error @+1 {{decay has 4 heads but the inputs have 2}}
  %0:2 = lf.linear_attention_step %q, %q, %q, %s decay(%d : tensor<4xf32>) : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @f66(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{scale must be a finite positive number, got 0}}
  %0 = lf.softplus_attention %q, %q, %q {scale = 0.0 : f32} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f67(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{reweight_power must be a finite positive number, got -1}}
  %0 = lf.softplus_attention %q, %q, %q {reweight_power = -1.0 : f32} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f68(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{train_length must be at least 2, got 1}}
  %0 = lf.softplus_attention %q, %q, %q {train_length = 1 : i64} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f69(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>) {
  // expected-error @+1 {{causal attention needs as many keys as queries (8 vs 6)}}
  %0 = lf.softplus_attention %q, %k, %k : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f70(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{scale must be a finite positive number, got +Inf}}
  %0 = lf.sigmoid_attention %q, %q, %q {scale = 0x7F800000 : f32} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f71(%q: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xbf16>) {
  // expected-error @+1 {{query, key and value must have the same element type}}
  %0 = lf.sigmoid_attention %q, %q, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xbf16> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f72(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{eps must be a finite positive number, got 0}}
  %0 = lf.flow_attention %q, %q, %q {eps = 0.0 : f32} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f73(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>) {
  // expected-error @+1 {{causal attention needs as many keys as queries (8 vs 6)}}
  %0 = lf.flow_attention %q, %k, %k : tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32> -> tensor<1x2x8x4xf32>
  return
}

// -----

func.func @f74(%q: tensor<1x2x8xf32>) {
  // expected-error @+1 {{expects query of rank 4 ([B, H, N, D]), got rank 3}}
  %0 = lf.flow_attention %q, %q, %q : tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32> -> tensor<1x2x8xf32>
  return
}

// -----

func.func @residual_rms_bias(%x: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{an rms residual norm has no bias}}
  %s, %n = lf.residual_norm rms %x, %x bias(%b : tensor<8xf32>) {eps = 1.0e-6 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @residual_gain_size(%x: tensor<4x8xf32>, %g: tensor<7xf32>) {
  // expected-error @+1 {{gain has 7 elements but the normalized dimension is 8}}
  %s, %n = lf.residual_norm layer %x, %x gain(%g : tensor<7xf32>) {eps = 1.0e-5 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @residual_types(%x: tensor<4x8xf32>, %r: tensor<4x8xf16>) {
  // expected-error @+1 {{failed to verify that all of {input, residual, sum, result} have same type}}
  %s, %n = "lf.residual_norm"(%x, %r) <{kind = 0 : i32, eps = 1.0e-5 : f32, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<4x8xf32>, tensor<4x8xf16>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  return
}

// -----

func.func @residual_eps(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{eps must be a finite positive number, got 0}}
  %s, %n = lf.residual_norm layer %x, %x {eps = 0.0 : f32} : tensor<4x8xf32>
  return
}

// -----

func.func @empty_normalized_dim(%x: tensor<4x0xf32>) {
  // expected-error @+1 {{the normalized dimension is empty (size 0)}}
  %0 = lf.rms_norm %x : tensor<4x0xf32>
  return
}

// -----

func.func @norm_linear_k(%x: tensor<4x8xf32>, %w: tensor<3x9xf32>) {
  // expected-error @+1 {{input has 8 features but weight expects 9}}
  %0 = lf.norm_linear rms %x, %w {eps = 1.0e-6 : f32} : tensor<4x8xf32>, tensor<3x9xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @norm_linear_eps(%x: tensor<4x8xf32>, %w: tensor<3x8xf32>) {
  // expected-error @+1 {{eps must be a finite positive number, got -1}}
  %0 = lf.norm_linear layer %x, %w {eps = -1.0 : f32} : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @norm_linear_empty(%x: tensor<4x0xf32>, %w: tensor<3x0xf32>) {
  // expected-error @+1 {{the normalized dimension is empty (size 0)}}
  %0 = lf.norm_linear layer %x, %w {eps = 1.0e-5 : f32} : tensor<4x0xf32>, tensor<3x0xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @norm_linear_result(%x: tensor<4x8xf32>, %w: tensor<3x8xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x5xf32>'}}
  %0 = lf.norm_linear layer %x, %w {eps = 1.0e-5 : f32} : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @recenter_axis(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2 (expected [-2, 2))}}
  %0 = lf.recenter %x {axis = 2 : i64} : tensor<4x8xf32>
  return
}

// -----

func.func @recenter_empty(%x: tensor<4x0xf32>) {
  // expected-error @+1 {{cannot take the mean of the empty axis 1}}
  %0 = lf.recenter %x : tensor<4x0xf32>
  return
}

// -----

func.func @sigma_rank(%w: tensor<4x8x2xf32>, %g: tensor<f32>) {
  // expected-error @+1 {{expects weight of rank 2 ([out, in]), got rank 3}}
  %0 = lf.sigma_reparam %w, %g : tensor<4x8x2xf32>, tensor<f32>
  return
}

// -----

func.func @sigma_gamma(%w: tensor<4x8xf32>, %g: tensor<2xf32>) {
  // expected-error @+1 {{gamma must hold one element (shape [] or [1]), got 'tensor<2xf32>'}}
  %0 = lf.sigma_reparam %w, %g : tensor<4x8xf32>, tensor<2xf32>
  return
}

// -----

func.func @sigma_gamma_type(%w: tensor<4x8xf32>, %g: tensor<f16>) {
  // expected-error @+1 {{gamma element type 'f16' does not match weight element type 'f32'}}
  %0 = lf.sigma_reparam %w, %g : tensor<4x8xf32>, tensor<f16>
  return
}

// -----

func.func @sigma_u(%w: tensor<4x8xf32>, %g: tensor<f32>, %u: tensor<4xf32>) {
  // expected-error @+1 {{u has 4 elements but the weight's input dimension is 8}}
  %0 = lf.sigma_reparam %w, %g u(%u : tensor<4xf32>) : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

func.func @ws_rank(%w: tensor<8xf32>) {
  // expected-error @+1 {{expects weight of rank >= 2 ([out, ...]), got rank 1}}
  %0 = lf.weight_standardize %w : tensor<8xf32>
  return
}

// -----

func.func @ws_fanin(%w: tensor<8x0xf32>) {
  // expected-error @+1 {{the fan-in is empty (a dimension after the first is 0)}}
  %0 = lf.weight_standardize %w : tensor<8x0xf32>
  return
}

// -----

func.func @ws_gain(%w: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{gain has 4 elements but the weight's output dimension is 8}}
  %0 = lf.weight_standardize %w gain(%g : tensor<4xf32>) : tensor<8x4xf32>
  return
}

// -----

func.func @ws_gamma(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{gamma must be finite and non-zero, got 0}}
  %0 = lf.weight_standardize %w {gamma = 0.0 : f32} : tensor<8x4xf32>
  return
}

// -----

func.func @ws_eps(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{eps must be a finite positive number, got 0}}
  %0 = lf.weight_standardize %w {eps = 0.0 : f32} : tensor<8x4xf32>
  return
}

// -----

func.func @compand_exponent(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{exponent must be in (0, 1] (odd and monotone, compressing large magnitudes), got 1.5}}
  %0 = lf.weight_compand %w {exponent = 1.5 : f32} : tensor<8x4xf32>
  return
}

// -----

func.func @ssm_rank(%u: tensor<2x4xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>) {
  // expected-error @+1 {{expects input of rank 3 ([B, H, L]), got rank 2}}
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a : tensor<2x4xf32>, tensor<4xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @ssm_mode_rank(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{expects mode parameters of rank 2 ([H, N]), got rank 1}}
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @ssm_channels(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<5x8xf32>) {
  // expected-error @+1 {{mode parameters have 5 channels but the input has 4}}
  %0 = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a : tensor<2x4x9xf32>, tensor<4xf32>, tensor<5x8xf32>
  return
}

// -----

func.func @ssm_modes(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x0xf32>) {
  // expected-error @+1 {{has no modes (N = 0)}}
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x0xf32>
  return
}

// -----

func.func @ssm_state_no_result(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>, %s: tensor<2x4x8x2xf32>) {
  // expected-error @+1 {{returns a new state exactly when it is given a state(...)}}
  %0 = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a state(%s : tensor<2x4x8x2xf32>) : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @ssm_result_no_state(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>) {
  // expected-error @+1 {{returns a new state exactly when it is given a state(...)}}
  %0:2 = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf32> -> tensor<2x4x8x2xf32>
  return
}

// -----

func.func @ssm_state_rank(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>, %s: tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects a state of rank 4 ([B, H, N, 2]), got rank 3}}
  %0:2 = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a state(%s : tensor<2x4x8xf32>) : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @ssm_state_modes(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>, %s: tensor<2x4x7x2xf32>) {
  // expected-error @+1 {{state dimension 2 (mode) is 7, expected 8}}
  %0:2 = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a state(%s : tensor<2x4x7x2xf32>) : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf32> -> tensor<2x4x7x2xf32>
  return
}

// -----

func.func @ssm_state_type(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>, %s: tensor<2x4x8x2xf32>) {
  // expected-error @+1 {{new state type 'tensor<?x4x8x2xf32>' differs from the state type 'tensor<2x4x8x2xf32>'}}
  %0:2 = lf.diag_ssm recurrent zoh %u, %dt, %a, %a, %a, %a state(%s : tensor<2x4x8x2xf32>) : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf32> -> tensor<?x4x8x2xf32>
  return
}

// -----

func.func @ssm_dt(%u: tensor<2x4x9xf32>, %dt: tensor<3xf32>, %a: tensor<4x8xf32>) {
  // expected-error @+1 {{log_dt has 3 elements but the channel count is 4}}
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a : tensor<2x4x9xf32>, tensor<3xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @ssm_skip(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf32>, %d: tensor<2xf32>) {
  // expected-error @+1 {{skip has 2 elements but the channel count is 4}}
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a skip(%d : tensor<2xf32>) : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @ssm_param_type(%u: tensor<2x4x9xf32>, %dt: tensor<4xf32>, %a: tensor<4x8xf16>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 32-bit float values}}
  %0 = lf.diag_ssm kernel zoh %u, %dt, %a, %a, %a, %a : tensor<2x4x9xf32>, tensor<4xf32>, tensor<4x8xf16>
  return
}

// -----

func.func @lrpe_rank(%x: tensor<2x8xf32>, %t: tensor<2x8xf32>) {
  // expected-error @+1 {{expects input of rank 4 ([B, H, N, Dh]), got rank 2}}
  %0 = lf.lrpe %x, %t : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x16xf32>
  return
}

// -----

func.func @lrpe_theta(%x: tensor<1x2x5x8xf32>, %t: tensor<3x8xf32>) {
  // expected-error @+1 {{theta is [3, 8] but the input has 2 heads of width 8}}
  %0 = lf.lrpe %x, %t : tensor<1x2x5x8xf32>, tensor<3x8xf32> -> tensor<1x2x5x16xf32>
  return
}

// -----

func.func @lrpe_theta_rank(%x: tensor<1x2x5x8xf32>, %t: tensor<8xf32>) {
  // expected-error @+1 {{expects theta of rank 2 ([H, Dh]), got rank 1}}
  %0 = lf.lrpe %x, %t : tensor<1x2x5x8xf32>, tensor<8xf32> -> tensor<1x2x5x16xf32>
  return
}

// -----

func.func @lrpe_offset(%x: tensor<1x2x5x8xf32>, %t: tensor<2x8xf32>, %o: tensor<2xf32>) {
  // expected-error @+1 {{offset must hold one element (shape [] or [1]), got 'tensor<2xf32>'}}
  %0 = lf.lrpe %x, %t offset(%o : tensor<2xf32>) : tensor<1x2x5x8xf32>, tensor<2x8xf32> -> tensor<1x2x5x16xf32>
  return
}

// -----

func.func @lrpe_result(%x: tensor<1x2x5x8xf32>, %t: tensor<2x8xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<1x2x5x16xf32>' are incompatible with return type(s) of operation 'tensor<1x2x5x8xf32>'}}
  %0 = lf.lrpe %x, %t : tensor<1x2x5x8xf32>, tensor<2x8xf32> -> tensor<1x2x5x8xf32>
  return
}
