//===- LFBase.td - lf dialect, enums and type constraints --*- tablegen -*-===//
//
// Part of lightfuse. The dialect definition, its enum attributes and the type
// constraints shared by every op in LFOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_DIALECTS_LF_LFBASE_TD
#define LIGHTFUSE_DIALECTS_LF_LFBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def LF_Dialect : Dialect {
  let name = "lf";
  let cppNamespace = "::mlir::lf";
  let summary = "Normalization, gating and linear-attention operators for fusion";
  let description = [{
    The `lf` dialect expresses, at tensor level, the operators of a family of
    recent papers on normalization (LayerNorm, RMSNorm, SimpleRMSNorm, CRMSNorm,
    the inference forms of BatchNorm, PowerNorm and Unified Normalization,
    EvoNorm B0/S0, LayerNorm Scaling), gating (the GLU family, including the
    activation-free SGLU) and attention (TransNormerLLM's decayed linear
    attention and its decode step, sigmoid, softplus and flow attention).

    Every op works on ranked tensors of `f32`, `f16` or `bf16` with static or
    dynamic dimensions. All operands of one op share one element type, except
    where an op says otherwise (decay rates and recurrent state are `f32`).
    Reductions accumulate in `f32` whatever the storage type; the result is
    cast back to the storage type. The math of every op is written in
    `docs/spec.md`; the op descriptions below restate it.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def LF_ActivationKind : I32EnumAttr<"ActivationKind",
    "elementwise activation function", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"relu", 1>,
      I32EnumAttrCase<"gelu", 2>,
      I32EnumAttrCase<"gelu_tanh", 3>,
      I32EnumAttrCase<"silu", 4>,
      I32EnumAttrCase<"sigmoid", 5>,
      I32EnumAttrCase<"softplus", 6>,
      I32EnumAttrCase<"elu_plus_one", 7>
    ]> {
  let cppNamespace = "::mlir::lf";
}
// Printed as a bare keyword in the op's format (`lf.activation silu %x`).
defvar LF_ActivationKindAttr = LF_ActivationKind;

def LF_GluActivation : I32EnumAttr<"GluActivation",
    "activation applied to the gate half of a GLU", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"sigmoid", 1>,
      I32EnumAttrCase<"silu", 2>,
      I32EnumAttrCase<"gelu", 3>,
      I32EnumAttrCase<"relu", 4>
    ]> {
  let cppNamespace = "::mlir::lf";
}
// Printed as a bare keyword in the op's format (`lf.activation silu %x`).
defvar LF_GluActivationAttr = LF_GluActivation;

def LF_NormKind : I32EnumAttr<"NormKind",
    "the normalization of a fused residual norm", [
      I32EnumAttrCase<"layer", 0>,
      I32EnumAttrCase<"rms", 1>
    ]> {
  let cppNamespace = "::mlir::lf";
}
defvar LF_NormKindAttr = LF_NormKind;

def LF_SSMDiscretization : I32EnumAttr<"SSMDiscretization",
    "discretization of a continuous state-space model", [
      I32EnumAttrCase<"zoh", 0>,
      I32EnumAttrCase<"bilinear", 1>
    ]> {
  let cppNamespace = "::mlir::lf";
}
defvar LF_SSMDiscretizationAttr = LF_SSMDiscretization;

def LF_SSMForm : I32EnumAttr<"SSMForm",
    "how a diagonal state-space model is evaluated", [
      I32EnumAttrCase<"kernel", 0>,
      I32EnumAttrCase<"recurrent", 1>
    ]> {
  let cppNamespace = "::mlir::lf";
}
defvar LF_SSMFormAttr = LF_SSMForm;

def LF_FeatureMap : I32EnumAttr<"FeatureMap",
    "feature map applied to queries and keys of a linear attention", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"silu", 1>,
      I32EnumAttrCase<"elu_plus_one", 2>,
      I32EnumAttrCase<"relu", 3>,
      I32EnumAttrCase<"sigmoid", 4>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::lf";
}
def LF_FeatureMapAttr : EnumAttr<LF_Dialect, LF_FeatureMap, "feature_map"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def LF_FloatType : AnyTypeOf<[F32, F16, BF16]>;
def LF_Tensor : RankedTensorOf<[F32, F16, BF16]>;
def LF_F32Tensor : RankedTensorOf<[F32]>;

#endif // LIGHTFUSE_DIALECTS_LF_LFBASE_TD
