// RUN: lf-opt %s --lf-drop-frontend-attrs | FileCheck %s

// CHECK-LABEL: func.func @f(%arg0: tensor<4xf32>, %arg1: tensor<4xf32> {other.attr}) -> tensor<4xf32> {
func.func @f(%x: tensor<4xf32> {lf.name = "x"}, %w: tensor<4xf32> {lf.weight, other.attr}) -> (tensor<4xf32> {lf.name = "y"}) {
  return %x : tensor<4xf32>
}
