//===- FoldUtils.h - constant folding helpers of the lf passes --*- C++ -*-===//
//
// Part of lightfuse. Internal to lib/Transforms: reading constant weights as
// f64 and rounding folded f64 values back to a storage type under the
// numerics guard every folding pass shares.
//
//===----------------------------------------------------------------------===//

#ifndef LIGHTFUSE_LIB_TRANSFORMS_FOLDUTILS_H
#define LIGHTFUSE_LIB_TRANSFORMS_FOLDUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <optional>
#include <string>

namespace mlir::lf {

/// The most elements a compile-time fold expands into f64 values (512 MiB;
/// a 4096 x 11008 weight is 45M). A constant or splat beyond it is treated
/// as a run-time value, so the folds take their weight-side (prepared) form
/// or decline with their usual remark: a splat of 10^16 elements once made
/// lf-optimize abort ("SmallVector unable to grow").
constexpr int64_t kMaxFoldElements = int64_t(1) << 26;

/// The values of a constant float tensor of at most kMaxFoldElements
/// elements, or nothing.
inline std::optional<SmallVector<double>> constValues(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) ||
      !isa<FloatType>(attr.getElementType()) ||
      attr.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  SmallVector<double> out;
  out.reserve(attr.getNumElements());
  for (APFloat f : attr.getValues<APFloat>())
    out.push_back(f.convertToDouble());
  return out;
}

inline Type elemTy(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

inline Value splat(OpBuilder &b, Location loc, RankedTensorType ty, double v) {
  auto attr = DenseElementsAttr::get(
      ty, b.getFloatAttr(ty.getElementType(), v).getValue());
  return arith::ConstantOp::create(b, loc, ty, attr);
}

/// Rounds exact f64 values to `ty`'s element type, refusing (unless
/// `allowLossy`) non-finite results and relative errors above `maxRel`.
inline DenseElementsAttr roundTo(RankedTensorType ty, ArrayRef<double> vals,
                          bool allowLossy, double maxRel, std::string &why) {
  auto ft = cast<FloatType>(ty.getElementType());
  SmallVector<APFloat> out;
  out.reserve(vals.size());
  for (double v : vals) {
    APFloat f(v);
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    if (!allowLossy) {
      double back = f.convertToDouble();
      if (!std::isfinite(back) || !std::isfinite(v)) {
        why = "a folded value (" + std::to_string(v) + ") is not finite in " +
              (ft.isF32() ? "f32" : ft.isF16() ? "f16" : "bf16");
        return {};
      }
      if (v != 0.0 && std::fabs(back - v) > maxRel * std::fabs(v)) {
        why = "a folded value (" + std::to_string(v) + ") loses more than " +
              std::to_string(maxRel) + " relative precision in its type";
        return {};
      }
    }
    out.push_back(f);
  }
  return DenseElementsAttr::get(ty, out);
}

/// `vals` rounded to `ty` under the guard of roundTo, as an arith.constant;
/// null (with `why`) when the guard refuses.
inline Value constantOf(OpBuilder &b, Location loc, RankedTensorType ty,
                        ArrayRef<double> vals, bool allowLossy, double maxRel,
                        std::string &why) {
  DenseElementsAttr a = roundTo(ty, vals, allowLossy, maxRel, why);
  return a ? arith::ConstantOp::create(b, loc, ty, a).getResult() : Value();
}

/// `v` rounded to `ty` under the same guard, as a splat constant (no
/// per-element copy, whatever the size of `ty`).
inline Value splatOf(OpBuilder &b, Location loc, RankedTensorType ty, double v,
                     bool allowLossy, double maxRel, std::string &why) {
  return constantOf(b, loc, ty, ArrayRef<double>(v), allowLossy, maxRel, why);
}

/// `count` lines of `len` values in `v`: line l starts at l * lineStride and
/// its elements are elemStride apart (rows of a row-major [count, len]
/// array: (len, 1); its columns: (1, count)).
struct Lines {
  int64_t count, len, lineStride, elemStride;
  int64_t at(int64_t line, int64_t i) const {
    return line * lineStride + i * elemStride;
  }
  static Lines rows(int64_t rows, int64_t d) { return {rows, d, d, 1}; }
  static Lines columns(int64_t rows, int64_t d) { return {d, rows, 1, d}; }
};

inline double lineMean(ArrayRef<double> v, const Lines &ls, int64_t line) {
  double m = 0;
  for (int64_t i = 0; i < ls.len; ++i)
    m += v[ls.at(line, i)];
  return m / ls.len;
}

/// Subtracts each line's mean from it.
inline void recentre(MutableArrayRef<double> v, const Lines &ls) {
  for (int64_t line = 0; line < ls.count; ++line) {
    double m = lineMean(v, ls, line);
    for (int64_t i = 0; i < ls.len; ++i)
      v[ls.at(line, i)] -= m;
  }
}

/// Whether every line has |mean| <= tol * max|v|.
inline bool zeroMean(ArrayRef<double> v, const Lines &ls, double tol) {
  double mx = 0;
  for (double x : v)
    mx = std::max(mx, std::fabs(x));
  for (int64_t line = 0; line < ls.count; ++line)
    if (std::fabs(lineMean(v, ls, line)) > tol * mx + 1e-30)
      return false;
  return true;
}

} // namespace mlir::lf

#endif // LIGHTFUSE_LIB_TRANSFORMS_FOLDUTILS_H
