//===- Signature.cpp - the host ABI of compiled lf functions --------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Driver/Signature.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <optional>

using namespace mlir;
using namespace mlir::lf;

size_t mlir::lf::dtypeSize(DType t) {
  switch (t) {
  case DType::f16:
  case DType::bf16:
    return 2;
  case DType::f32:
  case DType::i32:
    return 4;
  case DType::i64:
    return 8;
  }
  return 0;
}

const char *mlir::lf::dtypeName(DType t) {
  switch (t) {
  case DType::f32:
    return "f32";
  case DType::f16:
    return "f16";
  case DType::bf16:
    return "bf16";
  case DType::i64:
    return "i64";
  case DType::i32:
    return "i32";
  }
  return "?";
}

std::string TensorSpec::str() const {
  std::string s = dtypeName(dtype);
  s += "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + (shape[i] < 0 ? std::string("?")
                                        : std::to_string(shape[i]));
  return s + "]";
}

static std::optional<TensorSpec> specOf(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return std::nullopt;
  TensorSpec s;
  Type e = rt.getElementType();
  if (e.isF32())
    s.dtype = DType::f32;
  else if (e.isF16())
    s.dtype = DType::f16;
  else if (e.isBF16())
    s.dtype = DType::bf16;
  else if (e.isSignlessInteger(64))
    s.dtype = DType::i64;
  else if (e.isSignlessInteger(32))
    s.dtype = DType::i32;
  else
    return std::nullopt;
  for (int64_t d : rt.getShape())
    s.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return s;
}

/// Equal-dimension requirements of lf ops between two function inputs, read
/// off the ops that consume the arguments directly (the common case: weights
/// and activations passed as arguments). Derived values are not tracked.
static void collectDimConstraints(func::FuncOp fn, FunctionSignature &sig) {
  auto argOf = [&](Value v) -> std::optional<unsigned> {
    if (auto ba = dyn_cast<BlockArgument>(v))
      if (ba.getOwner()->getParentOp() == fn.getOperation())
        return ba.getArgNumber();
    return std::nullopt;
  };
  auto rankOf = [](Value v) {
    return static_cast<int64_t>(cast<RankedTensorType>(v.getType()).getRank());
  };
  auto isDynamic = [&](unsigned arg, unsigned d) {
    return sig.inputs[arg].shape[d] < 0;
  };
  auto require = [&](Operation *op, Value a, int64_t da, Value b, int64_t db) {
    if (!a || !b)
      return;
    auto ia = argOf(a), ib = argOf(b);
    if (!ia || !ib)
      return;
    if (da < 0)
      da += rankOf(a);
    if (db < 0)
      db += rankOf(b);
    if (da < 0 || db < 0 || da >= rankOf(a) || db >= rankOf(b))
      return;
    if (!isDynamic(*ia, da) && !isDynamic(*ib, db))
      return; // both static: the verifier checked them
    std::string where;
    llvm::raw_string_ostream os(where);
    os << op->getName() << " at ";
    if (auto fl = dyn_cast<FileLineColLoc>(op->getLoc()))
      os << fl.getFilename().getValue() << ":" << fl.getLine() << ":"
         << fl.getColumn();
    else
      os << op->getLoc();
    sig.constraints.push_back({*ia, static_cast<unsigned>(da), *ib,
                               static_cast<unsigned>(db), where});
  };
  auto sameShape = [&](Operation *op, Value a, Value b) {
    for (int64_t d = 0; d < rankOf(a); ++d)
      require(op, a, d, b, d);
  };
  fn.walk([&](Operation *op) {
    llvm::TypeSwitch<Operation *>(op)
        .Case<LayerNormOp>([&](auto n) {
          require(n, n.getInput(), -1, n.getGain(), 0);
          require(n, n.getInput(), -1, n.getBias(), 0);
        })
        .Case<RMSNormOp, CRMSNormOp>(
            [&](auto n) { require(n, n.getInput(), -1, n.getGain(), 0); })
        .Case<ResidualNormOp>([&](ResidualNormOp n) {
          sameShape(n, n.getInput(), n.getResidual());
          require(n, n.getInput(), -1, n.getGain(), 0);
          require(n, n.getInput(), -1, n.getBias(), 0);
        })
        .Case<BatchNormOp>([&](BatchNormOp n) {
          for (Value p : {n.getRunningMean(), n.getRunningVar(), n.getGain(),
                          n.getBias()})
            require(n, n.getInput(), n.getAxis(), p, 0);
        })
        .Case<PowerNormOp>([&](PowerNormOp n) {
          for (Value p : {n.getRunningQm(), n.getGain(), n.getBias()})
            require(n, n.getInput(), n.getAxis(), p, 0);
        })
        .Case<UnifiedNormOp>([&](UnifiedNormOp n) {
          for (Value p : {n.getRunningQm(), n.getGain(), n.getBias()})
            require(n, n.getInput(), n.getAxis(), p, 0);
        })
        .Case<EvoNormB0Op>([&](EvoNormB0Op n) {
          for (Value p : {n.getV(), n.getGain(), n.getBias(),
                          n.getRunningVar()})
            require(n, n.getInput(), n.getAxis(), p, 0);
        })
        .Case<EvoNormS0Op>([&](EvoNormS0Op n) {
          for (Value p : {n.getV(), n.getGain(), n.getBias()})
            require(n, n.getInput(), n.getAxis(), p, 0);
        })
        .Case<ChannelAffineOp>([&](ChannelAffineOp n) {
          require(n, n.getInput(), n.getAxis(), n.getScale(), 0);
          require(n, n.getInput(), n.getAxis(), n.getShift(), 0);
        })
        .Case<LinearOp>([&](LinearOp n) {
          require(n, n.getInput(), -1, n.getWeight(), 1);
          require(n, n.getWeight(), 0, n.getBias(), 0);
        })
        .Case<AddOp, MulOp>(
            [&](auto n) { sameShape(n, n.getLhs(), n.getRhs()); })
        .Case<GluOp>([&](GluOp n) { sameShape(n, n.getGate(), n.getUp()); })
        .Case<LinearAttentionOp, SoftplusAttentionOp, SigmoidAttentionOp,
              FlowAttentionOp>([&](auto n) {
          Value q = n.getQuery(), k = n.getKey(), v = n.getValue();
          for (int64_t d = 0; d < 2; ++d) {
            require(n, q, d, k, d);
            require(n, q, d, v, d);
          }
          require(n, k, 2, v, 2);
          require(n, q, 3, k, 3);
          if (n.getCausal())
            require(n, q, 2, k, 2);
          if constexpr (std::is_same_v<decltype(n), LinearAttentionOp>) {
            require(n, q, 1, n.getDecay(), 0);
            if (n.getDecay() &&
                cast<RankedTensorType>(n.getDecay().getType()).getRank() == 2)
              require(n, q, 3, n.getDecay(), 1);
          }
        })
        .Case<LinearAttentionStepOp>([&](LinearAttentionStepOp n) {
          Value q = n.getQuery(), k = n.getKey(), v = n.getValue(),
                s = n.getState();
          for (int64_t d = 0; d < 2; ++d) {
            require(n, q, d, k, d);
            require(n, q, d, v, d);
            require(n, q, d, s, d);
          }
          require(n, q, 2, k, 2);
          require(n, q, 2, s, 2);
          require(n, v, 2, s, 3);
          require(n, q, 1, n.getDecay(), 0);
        });
  });
}

bool lf::collectSignatures(ModuleOp module,
                           std::vector<FunctionSignature> &out) {
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (!fn.isPublic() || fn.isExternal())
      continue;
    FunctionSignature sig;
    sig.name = fn.getSymName().str();
    auto collect = [&](TypeRange types, const char *what,
                       std::vector<TensorSpec> &specs) {
      for (auto [i, t] : llvm::enumerate(types)) {
        auto s = specOf(t);
        if (!s) {
          fn.emitError() << what << " #" << i << " has type " << t
                         << "; lightfuse functions take and return ranked "
                            "tensors of f32, f16 or bf16";
          return false;
        }
        specs.push_back(*s);
      }
      return true;
    };
    auto fty = fn.getFunctionType();
    if (!collect(fty.getInputs(), "argument", sig.inputs) ||
        !collect(fty.getResults(), "result", sig.results))
      return false;
    collectDimConstraints(fn, sig);
    out.push_back(std::move(sig));
  }
  return true;
}

