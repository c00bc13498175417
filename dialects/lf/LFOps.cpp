//===- LFOps.cpp - lf dialect operations ----------------------------------===//
//
// Part of lightfuse. Verifiers, type inference, folders and canonicalization
// patterns of the ops defined in LFOps.td.
//
//===----------------------------------------------------------------------===//

#include "dialects/lf/LFOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SmallString.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lf;

//===----------------------------------------------------------------------===//
// Shared verification helpers
//===----------------------------------------------------------------------===//

namespace {

/// Renders a dimension for diagnostics: `?` for dynamic sizes.
std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Two dimensions agree unless both are static and differ.
bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// The more static of two agreeing dimensions.
int64_t joinDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A compact rendering of a float attribute value for diagnostics ("-1",
/// "1.0E-6", "NaN").
std::string numStr(const APFloat &v) {
  SmallString<32> buf;
  v.toString(buf);
  return std::string(buf);
}

/// eps must be a finite positive number.
LogicalResult verifyEps(Operation *op, const APFloat &eps,
                        StringRef name = "eps") {
  double v = eps.convertToDouble();
  if (!(v > 0.0) || !std::isfinite(v))
    return op->emitOpError() << name << " must be a finite positive number, got "
                             << numStr(eps);
  return success();
}

/// A scalar multiplier (LayerNorm Scaling's depth factor, attention scales)
/// must be finite and positive.
LogicalResult verifyPositiveScale(Operation *op, std::optional<APFloat> scale,
                                  StringRef name = "scale") {
  if (!scale)
    return success();
  double v = scale->convertToDouble();
  if (!(v > 0.0) || !std::isfinite(v))
    return op->emitOpError() << name << " must be a finite positive number, got "
                             << numStr(*scale);
  return success();
}

/// Verifies that `param` (when present) is a rank-1 tensor of `size`
/// elements with the element type of `ref`.
LogicalResult verifyVectorParam(Operation *op, Value param, StringRef name,
                                int64_t size, Type elemTy, StringRef sizeWhat) {
  if (!param)
    return success();
  auto ty = rankedType(param);
  if (ty.getElementType() != elemTy)
    return op->emitOpError() << name << " element type " << ty.getElementType()
                             << " does not match input element type " << elemTy;
  if (ty.getRank() != 1)
    return op->emitOpError() << "expects " << name << " of rank 1, got rank "
                             << ty.getRank();
  if (!dimsAgree(ty.getDimSize(0), size))
    return op->emitOpError() << name << " has " << dimStr(ty.getDimSize(0))
                             << " elements but " << sizeWhat << " is "
                             << dimStr(size);
  return success();
}

/// Normalizes `axis` (which may be negative) against `rank`; emits an error
/// when it is out of range.
FailureOr<int64_t> normalizeAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    op->emitOpError() << "axis " << axis << " is out of range for rank "
                      << rank << " (expected [" << -rank << ", " << rank
                      << "))";
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Checks a grouped reduction: `groups` must be positive and divide the
/// channel count when it is static.
LogicalResult verifyGroups(Operation *op, int64_t groups, int64_t channels) {
  if (groups <= 0)
    return op->emitOpError() << "groups must be positive, got " << groups;
  if (!ShapedType::isDynamic(channels) && channels % groups != 0)
    return op->emitOpError() << "groups (" << groups
                             << ") must divide the channel count (" << channels
                             << ")";
  return success();
}

/// Common checks of the last-axis norms: rank >= 1, gain/bias of shape [d].
LogicalResult verifyRowNorm(Operation *op, Value input, Value gain, Value bias,
                            const APFloat &eps, StringRef what = "") {
  auto ty = rankedType(input);
  if (ty.getRank() < 1)
    return op->emitOpError("expects input of rank >= 1");
  int64_t d = ty.getDimSize(ty.getRank() - 1);
  if (d == 0)
    return op->emitOpError("the normalized dimension is empty (size 0)");
  Type elemTy = ty.getElementType();
  if (failed(verifyVectorParam(op, gain, "gain", d, elemTy,
                               "the normalized dimension")) ||
      failed(verifyVectorParam(op, bias, "bias", d, elemTy,
                               "the normalized dimension")))
    return failure();
  return verifyEps(op, eps);
}

/// Common checks of the per-channel ops: axis in range and every parameter
/// of shape [C] with the input's element type.
LogicalResult verifyChannelParams(Operation *op, Value input, int64_t axis,
                                  ArrayRef<std::pair<Value, StringRef>> params,
                                  int64_t *channelsOut = nullptr) {
  auto ty = rankedType(input);
  if (ty.getRank() < 1)
    return op->emitOpError("expects input of rank >= 1");
  FailureOr<int64_t> ax = normalizeAxis(op, axis, ty.getRank());
  if (failed(ax))
    return failure();
  int64_t c = ty.getDimSize(*ax);
  for (auto [v, name] : params)
    if (failed(verifyVectorParam(op, v, name, c, ty.getElementType(),
                                 "the channel dimension")))
      return failure();
  if (channelsOut)
    *channelsOut = c;
  return success();
}

/// Result types are compatible when element types match and shapes agree
/// dimension by dimension (a dynamic dimension agrees with anything).
bool compatibleResultTypes(TypeRange l, TypeRange r) {
  if (l.size() != r.size())
    return false;
  for (auto [a, b] : llvm::zip(l, r)) {
    auto ta = dyn_cast<RankedTensorType>(a);
    auto tb = dyn_cast<RankedTensorType>(b);
    if (!ta || !tb || ta.getElementType() != tb.getElementType() ||
        failed(verifyCompatibleShape(ta, tb)))
      return false;
  }
  return true;
}

/// Returns true when `v` is a constant splat equal to `value`.
bool isSplatOf(Value v, double value) {
  if (!v)
    return false;
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return false;
  auto fp = dyn_cast<FloatType>(attr.getElementType());
  if (!fp)
    return false;
  return attr.getSplatValue<APFloat>().convertToDouble() == value;
}

} // namespace

//===----------------------------------------------------------------------===//
// Normalization ops
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  if (failed(verifyRowNorm(*this, getInput(), getGain(), getBias(), getEps())))
    return failure();
  return verifyPositiveScale(*this, getScale());
}

LogicalResult RMSNormOp::verify() {
  if (failed(verifyRowNorm(*this, getInput(), getGain(), Value(), getEps())))
    return failure();
  return verifyPositiveScale(*this, getScale());
}

LogicalResult ResidualNormOp::verify() {
  if (getKind() == NormKind::rms && getBias())
    return emitOpError("an rms residual norm has no bias");
  if (failed(verifyRowNorm(*this, getInput(), getGain(), getBias(), getEps())))
    return failure();
  return verifyPositiveScale(*this, getScale());
}

LogicalResult CRMSNormOp::verify() {
  return verifyRowNorm(*this, getInput(), getGain(), Value(), getEps());
}

namespace {
/// A gain that is a splat of one, a bias that is a splat of zero and a scale
/// of exactly one change nothing: drop them.
template <typename NormOp>
struct DropTrivialNormParams : OpRewritePattern<NormOp> {
  using OpRewritePattern<NormOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(NormOp op,
                                PatternRewriter &rewriter) const override {
    bool dropGain = isSplatOf(op.getGain(), 1.0);
    bool dropBias = false;
    if constexpr (std::is_same_v<NormOp, LayerNormOp>)
      dropBias = isSplatOf(op.getBias(), 0.0);
    std::optional<APFloat> scale = op.getScale();
    bool dropScale = scale && scale->isExactlyValue(1.0);
    if (!dropGain && !dropBias && !dropScale)
      return rewriter.notifyMatchFailure(op, "no trivial gain, bias or scale");
    rewriter.modifyOpInPlace(op, [&] {
      if (dropGain)
        op.getGainMutable().clear();
      if constexpr (std::is_same_v<NormOp, LayerNormOp>)
        if (dropBias)
          op.getBiasMutable().clear();
      if (dropScale)
        op.removeScaleAttr();
    });
    return success();
  }
};
} // namespace

void LayerNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<DropTrivialNormParams<LayerNormOp>>(context);
}

void RMSNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<DropTrivialNormParams<RMSNormOp>>(context);
}

LogicalResult BatchNormOp::verify() {
  if (failed(verifyChannelParams(*this, getInput(), getAxis(),
                                 {{getRunningMean(), "running_mean"},
                                  {getRunningVar(), "running_var"},
                                  {getGain(), "gain"},
                                  {getBias(), "bias"}})))
    return failure();
  return verifyEps(*this, getEps());
}

LogicalResult PowerNormOp::verify() {
  int64_t c;
  if (failed(verifyChannelParams(*this, getInput(), getAxis(),
                                 {{getRunningQm(), "running_qm"},
                                  {getGain(), "gain"},
                                  {getBias(), "bias"}},
                                 &c)) ||
      failed(verifyGroups(*this, getGroups(), c)) ||
      failed(verifyEps(*this, getEps())))
    return failure();
  return verifyEps(*this, getGroupEps(), "group_eps");
}

LogicalResult UnifiedNormOp::verify() {
  if (failed(verifyChannelParams(*this, getInput(), getAxis(),
                                 {{getRunningQm(), "running_qm"},
                                  {getGain(), "gain"},
                                  {getBias(), "bias"}})))
    return failure();
  return verifyEps(*this, getEps());
}

/// EvoNorm inputs are [N, C, spatial...] with channels on `axis` != 0.
static LogicalResult verifyEvoNormLayout(Operation *op, Value input,
                                         int64_t axis) {
  int64_t rank = rankedType(input).getRank();
  if (rank < 2)
    return op->emitOpError() << "expects input of rank >= 2 ([N, C, ...]), "
                                "got rank "
                             << rank;
  FailureOr<int64_t> ax = normalizeAxis(op, axis, rank);
  if (failed(ax))
    return failure();
  if (*ax == 0)
    return op->emitOpError("channel axis cannot be the batch axis 0");
  return success();
}

LogicalResult EvoNormB0Op::verify() {
  if (failed(verifyEvoNormLayout(*this, getInput(), getAxis())) ||
      failed(verifyChannelParams(*this, getInput(), getAxis(),
                                 {{getV(), "v"},
                                  {getGain(), "gain"},
                                  {getBias(), "bias"},
                                  {getRunningVar(), "running_var"}})))
    return failure();
  return verifyEps(*this, getEps());
}

LogicalResult EvoNormS0Op::verify() {
  int64_t c;
  if (failed(verifyEvoNormLayout(*this, getInput(), getAxis())) ||
      failed(verifyChannelParams(
          *this, getInput(), getAxis(),
          {{getV(), "v"}, {getGain(), "gain"}, {getBias(), "bias"}}, &c)))
    return failure();
  // A static channel count falls back to the largest divisor below
  // `groups` (docs/spec.md 3.10): only positivity is a rule.
  if (getGroups() <= 0)
    return emitOpError() << "groups must be positive, got " << getGroups();
  return verifyEps(*this, getEps());
}

int64_t EvoNormS0Op::getEffectiveGroups() {
  int64_t groups = getGroups();
  auto ty = cast<RankedTensorType>(getInput().getType());
  int64_t rank = ty.getRank();
  int64_t axis = getAxis() < 0 ? getAxis() + rank : getAxis();
  if (groups <= 0 || axis < 0 || axis >= rank || ty.isDynamicDim(axis))
    return groups;
  int64_t c = ty.getDimSize(axis);
  for (int64_t g = std::min(groups, c); g > 1; --g)
    if (c % g == 0)
      return g;
  return 1;
}

LogicalResult ChannelAffineOp::verify() {
  return verifyChannelParams(*this, getInput(), getAxis(),
                             {{getScale(), "scale"}, {getShift(), "shift"}});
}

OpFoldResult ChannelAffineOp::fold(FoldAdaptor) {
  if (isSplatOf(getScale(), 1.0) && isSplatOf(getShift(), 0.0))
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Linear and elementwise
//===----------------------------------------------------------------------===//

namespace {
/// The result type of x @ W^T + bias: the input's shape with the last
/// dimension replaced by the weight's output dimension.
LogicalResult inferLinearType(std::optional<Location> loc, StringRef opName,
                              Value input, Value weight, Value bias,
                              SmallVectorImpl<Type> &inferred) {
  auto xTy = dyn_cast<RankedTensorType>(input.getType());
  auto wTy = dyn_cast<RankedTensorType>(weight.getType());
  if (!xTy || !wTy || xTy.getRank() < 1 || wTy.getRank() != 2)
    return emitOptionalError(loc, opName, " expects input of rank >= 1 and "
                                          "weight of rank 2");
  SmallVector<int64_t> shape(xTy.getShape());
  int64_t n = wTy.getDimSize(0);
  if (bias) {
    auto bTy = cast<RankedTensorType>(bias.getType());
    if (bTy.getRank() == 1)
      n = joinDim(n, bTy.getDimSize(0));
  }
  shape.back() = n;
  inferred.push_back(RankedTensorType::get(shape, xTy.getElementType()));
  return success();
}

LogicalResult verifyLinearOperands(Operation *op, Value input, Value weight,
                                   Value bias) {
  auto xTy = rankedType(input);
  auto wTy = rankedType(weight);
  Type elemTy = xTy.getElementType();
  if (wTy.getElementType() != elemTy)
    return op->emitOpError() << "weight element type " << wTy.getElementType()
                             << " does not match input element type " << elemTy;
  if (xTy.getRank() < 1)
    return op->emitOpError("expects input of rank >= 1");
  if (wTy.getRank() != 2)
    return op->emitOpError()
           << "expects weight of rank 2 ([out, in]), got rank " << wTy.getRank();
  int64_t k = xTy.getDimSize(xTy.getRank() - 1);
  if (!dimsAgree(k, wTy.getDimSize(1)))
    return op->emitOpError() << "input has " << dimStr(k)
                             << " features but weight expects "
                             << dimStr(wTy.getDimSize(1));
  return verifyVectorParam(op, bias, "bias", wTy.getDimSize(0), elemTy,
                           "the weight's output dimension");
}
} // namespace

LogicalResult LinearOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, LinearOp::Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferLinearType(loc, "lf.linear", adaptor.getInput(),
                         adaptor.getWeight(), adaptor.getBias(), inferred);
}

bool LinearOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return compatibleResultTypes(l, r);
}

LogicalResult LinearOp::verify() {
  return verifyLinearOperands(*this, getInput(), getWeight(), getBias());
}

LogicalResult NormLinearOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, NormLinearOp::Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferLinearType(loc, "lf.norm_linear", adaptor.getInput(),
                         adaptor.getWeight(), adaptor.getBias(), inferred);
}

bool NormLinearOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return compatibleResultTypes(l, r);
}

LogicalResult NormLinearOp::verify() {
  if (failed(verifyLinearOperands(*this, getInput(), getWeight(), getBias())))
    return failure();
  auto xTy = rankedType(getInput());
  if (xTy.getDimSize(xTy.getRank() - 1) == 0)
    return emitOpError("the normalized dimension is empty (size 0)");
  return verifyEps(*this, getEps());
}

LogicalResult RecenterOp::verify() {
  auto ty = rankedType(getInput());
  FailureOr<int64_t> axis = normalizeAxis(*this, getAxis(), ty.getRank());
  if (failed(axis))
    return failure();
  if (ty.getDimSize(*axis) == 0)
    return emitOpError() << "cannot take the mean of the empty axis " << *axis;
  return success();
}

LogicalResult SigmaReparamOp::verify() {
  auto wTy = rankedType(getWeight());
  Type elemTy = wTy.getElementType();
  if (wTy.getRank() != 2)
    return emitOpError() << "expects weight of rank 2 ([out, in]), got rank "
                         << wTy.getRank();
  auto gTy = rankedType(getGamma());
  if (gTy.getElementType() != elemTy)
    return emitOpError() << "gamma element type " << gTy.getElementType()
                         << " does not match weight element type " << elemTy;
  if (gTy.getRank() > 1 || (gTy.getRank() == 1 && gTy.getDimSize(0) != 1))
    return emitOpError() << "gamma must hold one element (shape [] or [1]), got "
                         << gTy;
  return verifyVectorParam(*this, getU(), "u", wTy.getDimSize(1), elemTy,
                           "the weight's input dimension");
}

LogicalResult WeightStandardizeOp::verify() {
  auto wTy = rankedType(getWeight());
  if (wTy.getRank() < 2)
    return emitOpError() << "expects weight of rank >= 2 ([out, ...]), got rank "
                         << wTy.getRank();
  for (int64_t i = 1; i < wTy.getRank(); ++i)
    if (wTy.getDimSize(i) == 0)
      return emitOpError("the fan-in is empty (a dimension after the first is 0)");
  if (failed(verifyVectorParam(*this, getGain(), "gain", wTy.getDimSize(0),
                               wTy.getElementType(),
                               "the weight's output dimension")))
    return failure();
  double g = getGamma().convertToDouble();
  if (!std::isfinite(g) || g == 0.0)
    return emitOpError() << "gamma must be finite and non-zero, got "
                         << numStr(getGamma());
  return verifyEps(*this, getEps());
}

LogicalResult WeightCompandOp::verify() {
  double p = getExponent().convertToDouble();
  if (!(p > 0.0 && p <= 1.0))
    return emitOpError() << "exponent must be in (0, 1] (odd and monotone, "
                            "compressing large magnitudes), got "
                         << numStr(getExponent());
  return success();
}

OpFoldResult MulOp::fold(FoldAdaptor) {
  // x * 1 == x exactly (NaN and -0 included).
  if (isSplatOf(getRhs(), 1.0))
    return getLhs();
  if (isSplatOf(getLhs(), 1.0))
    return getRhs();
  return {};
}

OpFoldResult ActivationOp::fold(FoldAdaptor) {
  if (getKind() == ActivationKind::identity)
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

namespace {
/// Operand shapes of the [B, H, N, D] attention ops.
struct AttnShapes {
  RankedTensorType q, k, v;
};

/// Checks q [B, H, N, Dk], k [B, H, M, Dk], v [B, H, M, Dv] with one element
/// type; `sameLength` additionally requires N == M (causal attention).
LogicalResult verifyAttentionOperands(Operation *op, AttnShapes s,
                                      bool sameLength) {
  for (auto [ty, name] : {std::pair{s.q, "query"}, std::pair{s.k, "key"},
                          std::pair{s.v, "value"}})
    if (ty.getRank() != 4)
      return op->emitOpError() << "expects " << name
                               << " of rank 4 ([B, H, N, D]), got rank "
                               << ty.getRank();
  Type elemTy = s.q.getElementType();
  if (s.k.getElementType() != elemTy || s.v.getElementType() != elemTy)
    return op->emitOpError("query, key and value must have the same element "
                           "type");
  static const char *dimNames[] = {"batch", "head"};
  for (int i = 0; i < 2; ++i)
    if (!dimsAgree(s.q.getDimSize(i), s.k.getDimSize(i)) ||
        !dimsAgree(s.q.getDimSize(i), s.v.getDimSize(i)))
      return op->emitOpError() << dimNames[i]
                               << " dimensions of query, key and value differ";
  if (!dimsAgree(s.k.getDimSize(2), s.v.getDimSize(2)))
    return op->emitOpError() << "key and value lengths differ ("
                             << dimStr(s.k.getDimSize(2)) << " vs "
                             << dimStr(s.v.getDimSize(2)) << ")";
  if (!dimsAgree(s.q.getDimSize(3), s.k.getDimSize(3)))
    return op->emitOpError() << "query and key head dims differ ("
                             << dimStr(s.q.getDimSize(3)) << " vs "
                             << dimStr(s.k.getDimSize(3)) << ")";
  if (sameLength && !dimsAgree(s.q.getDimSize(2), s.k.getDimSize(2)))
    return op->emitOpError() << "causal attention needs as many keys as "
                                "queries ("
                             << dimStr(s.q.getDimSize(2)) << " vs "
                             << dimStr(s.k.getDimSize(2)) << ")";
  return success();
}

/// The output type [B, H, N, Dv] joined from q and v, or null when the
/// operands are not rank-4 tensors (the verifier reports those).
RankedTensorType inferAttentionOutput(Value q, Value k, Value v) {
  auto qTy = dyn_cast<RankedTensorType>(q.getType());
  auto kTy = dyn_cast<RankedTensorType>(k.getType());
  auto vTy = dyn_cast<RankedTensorType>(v.getType());
  if (!qTy || !kTy || !vTy || qTy.getRank() != 4 || kTy.getRank() != 4 ||
      vTy.getRank() != 4)
    return nullptr;
  int64_t shape[4] = {
      joinDim(joinDim(qTy.getDimSize(0), kTy.getDimSize(0)),
              vTy.getDimSize(0)),
      joinDim(joinDim(qTy.getDimSize(1), kTy.getDimSize(1)),
              vTy.getDimSize(1)),
      qTy.getDimSize(2), vTy.getDimSize(3)};
  return RankedTensorType::get(shape, qTy.getElementType());
}

/// The decay rates are [H] or [H, Dk], f32.
LogicalResult verifyDecay(Operation *op, Value decay, int64_t h, int64_t dk) {
  if (!decay)
    return success();
  auto ty = rankedType(decay);
  if (ty.getRank() != 1 && ty.getRank() != 2)
    return op->emitOpError() << "expects decay of shape [H] or [H, Dk], got "
                                "rank "
                             << ty.getRank();
  if (!dimsAgree(ty.getDimSize(0), h))
    return op->emitOpError() << "decay has " << dimStr(ty.getDimSize(0))
                             << " heads but the inputs have " << dimStr(h);
  if (ty.getRank() == 2 && !dimsAgree(ty.getDimSize(1), dk))
    return op->emitOpError() << "decay has " << dimStr(ty.getDimSize(1))
                             << " channels but the key head dim is "
                             << dimStr(dk);
  return success();
}
} // namespace

LogicalResult LinearAttentionOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc,
    LinearAttentionOp::Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  RankedTensorType out = inferAttentionOutput(
      adaptor.getQuery(), adaptor.getKey(), adaptor.getValue());
  if (!out)
    return emitOptionalError(loc, "lf.linear_attention expects rank-4 query, "
                                  "key and value");
  inferred.push_back(out);
  if (adaptor.getReturnState()) {
    auto kTy = cast<RankedTensorType>(adaptor.getKey().getType());
    int64_t dk = joinDim(
        cast<RankedTensorType>(adaptor.getQuery().getType()).getDimSize(3),
        kTy.getDimSize(3));
    inferred.push_back(RankedTensorType::get(
        {out.getDimSize(0), out.getDimSize(1), dk, out.getDimSize(3)},
        Float32Type::get(out.getContext())));
  }
  return success();
}

bool LinearAttentionOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return compatibleResultTypes(l, r);
}

LogicalResult LinearAttentionOp::verify() {
  AttnShapes s{rankedType(getQuery()), rankedType(getKey()),
               rankedType(getValue())};
  if (failed(verifyAttentionOperands(*this, s, getCausal())))
    return failure();
  if (getDecay() && !getCausal())
    return emitOpError("decay requires causal = true (non-causal linear "
                       "attention has no decay)");
  if (getReturnState() && !getCausal())
    return emitOpError("return_state requires causal = true");
  return verifyDecay(*this, getDecay(), s.q.getDimSize(1), s.q.getDimSize(3));
}

LogicalResult NormAttentionOp::verify() {
  AttnShapes s{rankedType(getQuery()), rankedType(getKey()),
               rankedType(getValue())};
  if (failed(verifyAttentionOperands(*this, s, /*sameLength=*/true)) ||
      failed(verifyDecay(*this, getDecay(), s.q.getDimSize(1),
                         s.q.getDimSize(3))))
    return failure();
  if (getEps().convertToDouble() < 0.0)
    return emitOpError() << "eps must be non-negative, got "
                         << getEps().convertToDouble();
  int64_t h = s.q.getDimSize(1), dv = s.v.getDimSize(3);
  int64_t channels = ShapedType::isDynamic(h) || ShapedType::isDynamic(dv)
                         ? ShapedType::kDynamic
                         : h * dv;
  // [B, N, H * Dv]: the gate and the result.
  for (auto [ty, name] : {std::pair{rankedType(getGate()), "gate"},
                          std::pair{rankedType(getOutput()), "result"}}) {
    if (ty.getRank() != 3)
      return emitOpError() << "expects the " << name
                           << " of rank 3 ([B, N, H * Dv]), got rank "
                           << ty.getRank();
    if (ty.getElementType() != s.q.getElementType())
      return emitOpError() << "the " << name
                           << " must have the element type of the query";
    if (!dimsAgree(ty.getDimSize(0), s.q.getDimSize(0)) ||
        !dimsAgree(ty.getDimSize(1), s.q.getDimSize(2)) ||
        !dimsAgree(ty.getDimSize(2), channels))
      return emitOpError() << "the " << name << " must be [B, N, H * Dv] = ["
                           << dimStr(s.q.getDimSize(0)) << ", "
                           << dimStr(s.q.getDimSize(2)) << ", "
                           << dimStr(channels) << "], got ["
                           << dimStr(ty.getDimSize(0)) << ", "
                           << dimStr(ty.getDimSize(1)) << ", "
                           << dimStr(ty.getDimSize(2)) << "]";
  }
  if (Value g = getGain()) {
    auto ty = rankedType(g);
    if (ty.getRank() != 1 || !dimsAgree(ty.getDimSize(0), channels) ||
        ty.getElementType() != s.q.getElementType())
      return emitOpError() << "expects a gain of shape [H * Dv] = ["
                           << dimStr(channels)
                           << "] with the element type of the query";
  }
  return success();
}

LogicalResult LinearAttentionStepOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc,
    LinearAttentionStepOp::Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto qTy = dyn_cast<RankedTensorType>(adaptor.getQuery().getType());
  auto vTy = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  auto sTy = dyn_cast<RankedTensorType>(adaptor.getState().getType());
  if (!qTy || !vTy || !sTy || qTy.getRank() != 3 || vTy.getRank() != 3 ||
      sTy.getRank() != 4)
    return emitOptionalError(loc, "lf.linear_attention_step expects rank-3 "
                                  "query, key, value and a rank-4 state");
  int64_t b = joinDim(joinDim(qTy.getDimSize(0), vTy.getDimSize(0)),
                      sTy.getDimSize(0));
  int64_t h = joinDim(joinDim(qTy.getDimSize(1), vTy.getDimSize(1)),
                      sTy.getDimSize(1));
  int64_t dk = joinDim(qTy.getDimSize(2), sTy.getDimSize(2));
  int64_t dv = joinDim(vTy.getDimSize(2), sTy.getDimSize(3));
  inferred.push_back(RankedTensorType::get({b, h, dv}, qTy.getElementType()));
  inferred.push_back(
      RankedTensorType::get({b, h, dk, dv}, Float32Type::get(context)));
  return success();
}

bool LinearAttentionStepOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return compatibleResultTypes(l, r);
}

LogicalResult LinearAttentionStepOp::verify() {
  auto q = rankedType(getQuery()), k = rankedType(getKey()),
       v = rankedType(getValue()), st = rankedType(getState());
  for (auto [ty, name] : {std::pair{q, "query"}, std::pair{k, "key"},
                          std::pair{v, "value"}})
    if (ty.getRank() != 3)
      return emitOpError() << "expects " << name
                           << " of rank 3 ([B, H, D]), got rank "
                           << ty.getRank();
  if (st.getRank() != 4)
    return emitOpError() << "expects state of rank 4 ([B, H, Dk, Dv]), got "
                            "rank "
                         << st.getRank();
  if (k.getElementType() != q.getElementType() ||
      v.getElementType() != q.getElementType())
    return emitOpError("query, key and value must have the same element type");
  for (int i = 0; i < 2; ++i)
    for (RankedTensorType t : {k, v, st})
      if (!dimsAgree(q.getDimSize(i), t.getDimSize(i)))
        return emitOpError() << (i == 0 ? "batch" : "head")
                             << " dimensions of query, key, value and state "
                                "differ";
  if (!dimsAgree(q.getDimSize(2), k.getDimSize(2)) ||
      !dimsAgree(q.getDimSize(2), st.getDimSize(2)))
    return emitOpError() << "query, key and state disagree on the key head dim";
  if (!dimsAgree(v.getDimSize(2), st.getDimSize(3)))
    return emitOpError() << "value has " << dimStr(v.getDimSize(2))
                         << " channels but the state has "
                         << dimStr(st.getDimSize(3));
  return verifyDecay(*this, getDecay(), q.getDimSize(1), q.getDimSize(2));
}

#define LF_QUADRATIC_ATTENTION_INFER(OP)                                       \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, OP::Adaptor adaptor,         \
      SmallVectorImpl<Type> &inferred) {                                       \
    RankedTensorType out = inferAttentionOutput(                               \
        adaptor.getQuery(), adaptor.getKey(), adaptor.getValue());             \
    if (!out)                                                                  \
      return emitOptionalError(loc, OP::getOperationName(),                    \
                               " expects rank-4 query, key and value");        \
    inferred.push_back(out);                                                   \
    return success();                                                          \
  }                                                                            \
  bool OP::isCompatibleReturnTypes(TypeRange l, TypeRange r) {                 \
    return compatibleResultTypes(l, r);                                        \
  }

LF_QUADRATIC_ATTENTION_INFER(SoftplusAttentionOp)
LF_QUADRATIC_ATTENTION_INFER(SigmoidAttentionOp)
LF_QUADRATIC_ATTENTION_INFER(FlowAttentionOp)
#undef LF_QUADRATIC_ATTENTION_INFER

LogicalResult SoftplusAttentionOp::verify() {
  AttnShapes s{rankedType(getQuery()), rankedType(getKey()),
               rankedType(getValue())};
  if (failed(verifyAttentionOperands(*this, s, getCausal())) ||
      failed(verifyPositiveScale(*this, getScale())) ||
      failed(verifyPositiveScale(*this, getReweightPower(), "reweight_power")))
    return failure();
  if (auto len = getTrainLength(); len && *len < 2)
    return emitOpError() << "train_length must be at least 2, got " << *len;
  return success();
}

LogicalResult SigmoidAttentionOp::verify() {
  AttnShapes s{rankedType(getQuery()), rankedType(getKey()),
               rankedType(getValue())};
  if (failed(verifyAttentionOperands(*this, s, getCausal())))
    return failure();
  return verifyPositiveScale(*this, getScale());
}

LogicalResult FlowAttentionOp::verify() {
  AttnShapes s{rankedType(getQuery()), rankedType(getKey()),
               rankedType(getValue())};
  if (failed(verifyAttentionOperands(*this, s, getCausal())))
    return failure();
  return verifyEps(*this, getEps());
}

LogicalResult LRPEOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       LRPEOp::Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto xTy = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!xTy || xTy.getRank() != 4)
    return emitOptionalError(loc, "lf.lrpe expects input of rank 4 ([B, H, N, Dh])");
  SmallVector<int64_t> shape(xTy.getShape());
  if (!ShapedType::isDynamic(shape[3]))
    shape[3] *= 2;
  inferred.push_back(RankedTensorType::get(shape, xTy.getElementType()));
  return success();
}

bool LRPEOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return compatibleResultTypes(l, r);
}

LogicalResult LRPEOp::verify() {
  auto xTy = rankedType(getInput());
  if (xTy.getRank() != 4)
    return emitOpError() << "expects input of rank 4 ([B, H, N, Dh]), got rank "
                         << xTy.getRank();
  auto tTy = rankedType(getTheta());
  if (tTy.getRank() != 2)
    return emitOpError() << "expects theta of rank 2 ([H, Dh]), got rank "
                         << tTy.getRank();
  if (!dimsAgree(tTy.getDimSize(0), xTy.getDimSize(1)) ||
      !dimsAgree(tTy.getDimSize(1), xTy.getDimSize(3)))
    return emitOpError() << "theta is [" << dimStr(tTy.getDimSize(0)) << ", "
                         << dimStr(tTy.getDimSize(1)) << "] but the input has "
                         << dimStr(xTy.getDimSize(1)) << " heads of width "
                         << dimStr(xTy.getDimSize(3));
  if (Value off = getOffset()) {
    auto oTy = rankedType(off);
    if (oTy.getRank() > 1 || (oTy.getRank() == 1 && oTy.getDimSize(0) != 1))
      return emitOpError() << "offset must hold one element (shape [] or [1]), got "
                           << oTy;
  }
  return success();
}

LogicalResult DiagSSMOp::verify() {
  auto uTy = rankedType(getInput());
  if (uTy.getRank() != 3)
    return emitOpError() << "expects input of rank 3 ([B, H, L]), got rank "
                         << uTy.getRank();
  int64_t h = uTy.getDimSize(1);
  auto aTy = rankedType(getLogAReal());
  if (aTy.getRank() != 2)
    return emitOpError() << "expects mode parameters of rank 2 ([H, N]), got rank "
                         << aTy.getRank();
  if (!dimsAgree(aTy.getDimSize(0), h))
    return emitOpError() << "mode parameters have " << dimStr(aTy.getDimSize(0))
                         << " channels but the input has " << dimStr(h);
  if (aTy.getDimSize(1) == 0)
    return emitOpError("has no modes (N = 0)");
  Type f32 = Float32Type::get(getContext());
  if (failed(verifyVectorParam(*this, getLogDt(), "log_dt", h, f32,
                               "the channel count")) ||
      failed(verifyVectorParam(*this, getSkip(), "skip", h, f32,
                               "the channel count")))
    return failure();
  if (static_cast<bool>(getState()) != static_cast<bool>(getNewState()))
    return emitOpError("returns a new state exactly when it is given a "
                       "state(...)");
  if (Value st = getState()) {
    auto sTy = rankedType(st);
    if (sTy.getRank() != 4)
      return emitOpError() << "expects a state of rank 4 ([B, H, N, 2]), got rank "
                           << sTy.getRank();
    int64_t want[4] = {uTy.getDimSize(0), h, aTy.getDimSize(1), 2};
    const char *what[4] = {"batch", "channel", "mode", "(real, imaginary)"};
    for (int i = 0; i < 4; ++i)
      if (!dimsAgree(sTy.getDimSize(i), want[i]))
        return emitOpError() << "state dimension " << i << " (" << what[i]
                             << ") is " << dimStr(sTy.getDimSize(i))
                             << ", expected " << dimStr(want[i]);
    if (getNewState().getType() != sTy)
      return emitOpError() << "new state type " << getNewState().getType()
                           << " differs from the state type " << sTy;
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/lf/LFOps.cpp.inc"
