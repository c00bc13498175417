// RUN: lf-opt %s --lf-approximate-math | FileCheck %s

// exp, tanh, erf and log become polynomial approximations (vectorizable,
// no libm call); sqrt and rsqrt stay (the backend has instructions).
// CHECK-LABEL: func.func @act
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.log
// CHECK: math.rsqrt
func.func @act(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  %t = math.tanh %e : vector<16xf32>
  %r = math.erf %t : vector<16xf32>
  %l = math.log %r : vector<16xf32>
  %s = math.rsqrt %l : vector<16xf32>
  return %s : vector<16xf32>
}
