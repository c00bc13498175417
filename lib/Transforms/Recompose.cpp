//===- Recompose.cpp - decomposed norms, SiLU, GELU, GLU back into lf ops -===//
//
// Part of lightfuse. Exporters (torch.onnx, hand-written ONNX graphs) spell a
// LayerNorm as ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div, an
// RMSNorm as Pow / ReduceMean / Add / Sqrt / Reciprocal / Mul, SiLU as
// x * sigmoid(x). The importer maps them node for node onto tensor-level
// upstream ops (linalg.reduce, linalg.broadcast, arith on tensors); this
// pass reads those forms back into the lf ops every folding and fusion pass
// is written against. Each match is exact: the reduction over the last
// dimension, the divisor equal to its size (biased variance), every
// intermediate used only inside the pattern; anything else is left alone
// (with a remark under `explain` once the candidate is recognisably a norm).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Transforms/Passes.h"
#include "PassDetail.h"

#include "lightfuse/Support/Remarks.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::lf {
#define GEN_PASS_DEF_RECOMPOSEPASS
#include "lightfuse/Transforms/Passes.h.inc"
} // namespace mlir::lf

using namespace mlir;
using namespace mlir::lf;

namespace {

using OpSet = llvm::SmallSetVector<Operation *, 16>;

/// Tensor-level ops only: the scalar arithmetic inside linalg bodies and
/// kernels is never a candidate.
bool onTensors(Operation *op) {
  return op->getNumResults() == 1 &&
         isa<RankedTensorType>(op->getResult(0).getType());
}
bool isMul(Operation *op) {
  return op && isa<arith::MulFOp, MulOp>(op) && onTensors(op);
}
bool isAdd(Operation *op) {
  return op && isa<arith::AddFOp, AddOp>(op) && onTensors(op);
}

bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(b));
}

/// The value of a splat constant, seen through broadcasts, reshapes and
/// tensor.splat of a scalar constant.
std::optional<double> scalarConst(Value v) {
  for (;;) {
    Operation *op = v.getDefiningOp();
    if (!op) return std::nullopt;
    if (auto bc = dyn_cast<linalg::BroadcastOp>(op)) { v = bc.getInput(); continue; }
    if (auto e = dyn_cast<tensor::ExpandShapeOp>(op)) { v = e.getSrc(); continue; }
    if (auto c = dyn_cast<tensor::CollapseShapeOp>(op)) { v = c.getSrc(); continue; }
    if (auto s = dyn_cast<tensor::SplatOp>(op)) { v = s.getInput(); continue; }
    Attribute a;
    if (!matchPattern(v, m_Constant(&a))) return std::nullopt;
    if (auto f = dyn_cast<FloatAttr>(a)) return f.getValueAsDouble();
    if (auto d = dyn_cast<DenseFPElementsAttr>(a); d && d.isSplat())
      return d.getSplatValue<APFloat>().convertToDouble();
    return std::nullopt;
  }
}

/// `v` broadcast along one dimension (`axis`, normally the last) of a
/// rank-`r` tensor from a statistic: returns the statistic (rank r-1, or
/// rank r with a unit dimension when it came through a collapse),
/// recording the ops walked.
Value rowStat(Value v, int64_t r, OpSet &chain, int64_t *axis = nullptr) {
  auto bc = v.getDefiningOp<linalg::BroadcastOp>();
  if (!bc || bc.getDimensions().size() != 1) return {};
  int64_t a = bc.getDimensions()[0];
  if (axis) *axis = a;
  else if (a != r - 1) return {};
  chain.insert(bc);
  Value s = bc.getInput();
  if (auto c = s.getDefiningOp<tensor::CollapseShapeOp>()) {
    auto st = cast<RankedTensorType>(c.getSrcType());
    if (st.getRank() == r && st.getDimSize(a) == 1) {
      chain.insert(c);
      s = c.getSrc();
    }
  }
  return s;
}

/// `v` (possibly with a trailing unit dimension added by expand_shape) is
/// mean over the last dimension of `of` (rank `r`, last size `d`). Sets
/// `why` when the shape of a mean is there but it is not this one.
bool isMeanLast(Value v, Value &of, int64_t r, int64_t d, OpSet &chain,
                std::string &why, int64_t axis = -1) {
  if (axis < 0) axis = r - 1;
  if (auto e = v.getDefiningOp<tensor::ExpandShapeOp>()) {
    chain.insert(e);
    v = e.getSrc();
  }
  Operation *op = v.getDefiningOp();
  if (!op || !isa<arith::DivFOp, arith::MulFOp>(op)) return false;
  auto divisor = scalarConst(op->getOperand(1));
  if (!divisor) return false;
  auto red = op->getOperand(0).getDefiningOp<linalg::ReduceOp>();
  if (!red || red.getInputs().size() != 1) return false;
  Block &body = red.getCombiner().front();
  if (body.getOperations().size() != 2 || !isa<arith::AddFOp>(body.front()))
    return false;
  if (red.getDimensions() != ArrayRef<int64_t>{axis}) {
    why = "the reduction runs over other dimensions than the statistic is broadcast along";
    return false;
  }
  double n = isa<arith::DivFOp>(op) ? *divisor : 1.0 / *divisor;
  if (!close(n, static_cast<double>(d))) {
    why = "the mean divides by " + std::to_string(n) + ", not by the " +
          std::to_string(d) + " elements of a row (an unbiased variance?)";
    return false;
  }
  chain.insert(op);
  chain.insert(red);
  if (Operation *init = red.getInits()[0].getDefiningOp()) chain.insert(init);
  of = red.getInputs()[0];
  return true;
}

/// `v` is a*a (or powf(a, 2)); returns a.
Value squareOf(Value v, OpSet &chain) {
  Operation *op = v.getDefiningOp();
  if (isMul(op) && op->getOperand(0) == op->getOperand(1)) {
    chain.insert(op);
    return op->getOperand(0);
  }
  if (auto p = dyn_cast_or_null<math::PowFOp>(op)) {
    if (auto e = scalarConst(p.getRhs()); e && *e == 2.0) {
      chain.insert(op);
      return p.getLhs();
    }
  }
  return {};
}

/// `v` = M + eps; returns M and eps.
Value addEps(Value v, float &eps, OpSet &chain) {
  Operation *op = v.getDefiningOp();
  if (!isAdd(op)) return {};
  for (int i = 0; i < 2; ++i)
    if (auto c = scalarConst(op->getOperand(1 - i))) {
      eps = static_cast<float>(*c);
      chain.insert(op);
      return op->getOperand(i);
    }
  return {};
}

/// A recognised norm: y = norm(x) with an optional gain and bias, rooted at
/// `last` (the op whose result the lf op replaces).
struct NormMatch {
  bool layer = false;
  Value x, gain, bias;
  float eps = 0;
  Operation *last = nullptr;
  OpSet chain;
};

/// A per-feature parameter broadcast over the leading dimensions of a
/// rank-`r` tensor with last size `d`.
Value featureParam(Value v, int64_t r, int64_t d, OpSet &chain) {
  auto bc = v.getDefiningOp<linalg::BroadcastOp>();
  if (!bc) return {};
  SmallVector<int64_t> lead;
  for (int64_t i = 0; i + 1 < r; ++i) lead.push_back(i);
  auto it = cast<RankedTensorType>(bc.getInput().getType());
  if (bc.getDimensions() != ArrayRef<int64_t>(lead) || it.getRank() != 1 ||
      it.getDimSize(0) != d)
    return {};
  chain.insert(bc);
  return bc.getInput();
}

struct RecomposePass : lf::impl::RecomposePassBase<RecomposePass> {
  using Base::Base;

  /// The core y = z * rstd(mean(z^2)) or z / sqrt(mean(z^2) + eps) at
  /// `root`; then whether z = x - mean(x) (LayerNorm) or not (RMSNorm).
  std::optional<NormMatch> matchNorm(Operation *root, std::string &why) {
    if (root->getNumResults() != 1) return std::nullopt;
    auto rt = dyn_cast<RankedTensorType>(root->getResult(0).getType());
    if (!rt || rt.getRank() < 1 ||
        !(rt.getElementType().isF32() || rt.getElementType().isF16() ||
          rt.getElementType().isBF16()))
      return std::nullopt;
    int64_t r = rt.getRank();
    NormMatch m;
    m.chain.insert(root);
    Value z, denom;
    bool divides = isa<arith::DivFOp>(root);
    if (!divides && !isMul(root)) return std::nullopt;
    // Which operand is the broadcast statistic.
    int64_t axis = r - 1;
    for (int i = 0; i < 2 && !denom; ++i) {
      OpSet c;
      if (Value s = rowStat(root->getOperand(1 - i), r, c, &axis)) {
        if (divides && i == 1) break; // the statistic must be the divisor
        denom = s;
        z = root->getOperand(i);
        m.chain.insert(c.begin(), c.end());
      }
    }
    if (!denom || rt.isDynamicDim(axis)) return std::nullopt;
    int64_t d = rt.getDimSize(axis);
    // rstd from M + eps.
    Value sumEps;
    Operation *dop = denom.getDefiningOp();
    if (divides) {
      auto sq = dyn_cast_or_null<math::SqrtOp>(dop);
      if (!sq) return std::nullopt;
      m.chain.insert(sq);
      sumEps = sq.getOperand();
    } else if (auto rs = dyn_cast_or_null<math::RsqrtOp>(dop)) {
      m.chain.insert(rs);
      sumEps = rs.getOperand();
    } else if (auto dv = dyn_cast_or_null<arith::DivFOp>(dop)) {
      auto one = scalarConst(dv.getLhs());
      auto sq = dv.getRhs().getDefiningOp<math::SqrtOp>();
      if (!one || *one != 1.0 || !sq) return std::nullopt;
      m.chain.insert(dv);
      m.chain.insert(sq);
      sumEps = sq.getOperand();
    } else {
      return std::nullopt;
    }
    Value meanSq = addEps(sumEps, m.eps, m.chain);
    if (!meanSq) return std::nullopt;
    Value sqArg;
    if (!isMeanLast(meanSq, sqArg, r, d, m.chain, why, axis)) return std::nullopt;
    Value base = squareOf(sqArg, m.chain);
    if (!base) return std::nullopt;
    if (base != z) {
      why = "the statistic is of another tensor than the one it scales";
      return std::nullopt;
    }
    if (axis != r - 1) {
      why = "it normalizes dimension " + std::to_string(axis) +
            ", not the last (lf's norms normalize the last dimension)";
      return std::nullopt;
    }
    // LayerNorm when z = x - mean(x).
    m.x = z;
    if (auto sub = z.getDefiningOp<arith::SubFOp>()) {
      OpSet c;
      if (Value mu = rowStat(sub.getRhs(), r, c)) {
        Value of;
        std::string w2;
        if (isMeanLast(mu, of, r, d, c, w2) && of == sub.getLhs()) {
          m.layer = true;
          m.x = sub.getLhs();
          m.chain.insert(sub);
          m.chain.insert(c.begin(), c.end());
        } else if (!w2.empty()) {
          why = "centring: " + w2;
          return std::nullopt;
        }
      }
    }
    m.last = root;
    // Gain, then (LayerNorm) bias, when the norm's only user applies them.
    auto soleUser = [](Operation *op) -> Operation * {
      Value v = op->getResult(0);
      return v.hasOneUse() ? *v.user_begin() : nullptr;
    };
    // The sole user of the norm so far applying a [d] parameter by `isOp`.
    auto absorb = [&](bool (*isOp)(Operation *)) -> Value {
      Operation *u = soleUser(m.last);
      if (!isOp(u))
        return {};
      Value other = u->getOperand(0) == m.last->getResult(0) ? u->getOperand(1)
                                                             : u->getOperand(0);
      OpSet c;
      Value p = featureParam(other, r, d, c);
      if (p) {
        m.chain.insert(c.begin(), c.end());
        m.chain.insert(u);
        m.last = u;
      }
      return p;
    };
    m.gain = absorb(isMul);
    if (m.layer)
      m.bias = absorb(isAdd);
    if (m.x.getType() != rt) return std::nullopt;
    // Intermediates are used only inside the pattern (constants aside).
    for (Operation *op : m.chain) {
      if (op == m.last) continue;
      for (Operation *user : op->getUsers())
        if (!m.chain.contains(user)) {
          why = "an intermediate ('" + op->getName().getStringRef().str() +
                "') has a user outside the pattern";
          return std::nullopt;
        }
    }
    return m;
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    DeclineReporter decline("lf-recompose", "not recomposed", explain,
                            &numDeclined);
    IRRewriter rw(&getContext());

    // 1. SiLU and GELU, so that GLUs see activations.
    SmallVector<Operation *> muls;
    fn.walk([&](Operation *op) { if (isMul(op)) muls.push_back(op); });
    DenseSet<Operation *> erased;
    for (Operation *op : muls) {
      if (erased.contains(op)) continue;
      // x * sigmoid(x)
      for (int i = 0; i < 2; ++i) {
        auto sig = op->getOperand(1 - i).getDefiningOp<ActivationOp>();
        if (!sig || sig.getKind() != ActivationKind::sigmoid ||
            sig.getInput() != op->getOperand(i) || !sig->hasOneUse())
          continue;
        rw.setInsertionPoint(op);
        auto silu = ActivationOp::create(
            rw, op->getLoc(), op->getResult(0).getType(),
            ActivationKindAttr::get(&getContext(), ActivationKind::silu),
            op->getOperand(i));
        rw.replaceOp(op, silu.getResult());
        erased.insert(op);
        rw.eraseOp(sig);
        ++numSilu;
        break;
      }
      if (erased.contains(op)) continue;
      // 0.5 * x * (1 + erf(x / sqrt(2))), as (x * P) * 0.5 or (x * 0.5) * P.
      if (Value x = matchGeluErf(op)) {
        rw.setInsertionPoint(op);
        auto g = ActivationOp::create(
            rw, op->getLoc(), op->getResult(0).getType(),
            ActivationKindAttr::get(&getContext(), ActivationKind::gelu), x);
        rw.replaceOp(op, g.getResult());
        erased.insert(op);
        ++numGelu;
      }
    }

    // 2. Norms, rooted at the mul / div applying the statistic.
    SmallVector<Operation *> roots;
    fn.walk([&](Operation *op) {
      if (isMul(op) || (isa<arith::DivFOp>(op) && onTensors(op)))
        roots.push_back(op);
    });
    for (Operation *root : roots) {
      if (erased.contains(root)) continue;
      std::string why;
      auto m = matchNorm(root, why);
      if (!m) {
        if (!why.empty()) decline(root, why);
        continue;
      }
      rw.setInsertionPoint(m->last);
      Type t = m->last->getResult(0).getType();
      FloatAttr eps = rw.getF32FloatAttr(m->eps);
      Value y = m->layer
                    ? LayerNormOp::create(rw, root->getLoc(), t, m->x, m->gain,
                                          m->bias, eps, FloatAttr())
                          .getResult()
                    : RMSNormOp::create(rw, root->getLoc(), t, m->x, m->gain, eps,
                                        FloatAttr())
                          .getResult();
      rw.replaceAllUsesWith(m->last->getResult(0), y);
      for (Operation *op : m->chain) erased.insert(op);
      ++(m->layer ? numLayerNorm : numRMSNorm);
    }
    eraseDead(fn);

    // 3. Linear + bias add -> linear with bias.
    SmallVector<Operation *> adds;
    fn.walk([&](Operation *op) { if (isAdd(op)) adds.push_back(op); });
    for (Operation *add : adds) {
      for (int i = 0; i < 2; ++i) {
        auto lin = add->getOperand(i).getDefiningOp<LinearOp>();
        if (!lin || lin.getBias() || !lin->hasOneUse()) continue;
        auto lt = cast<RankedTensorType>(lin.getType());
        OpSet c;
        Value bias = featureParam(add->getOperand(1 - i), lt.getRank(),
                                  lt.getDimSize(lt.getRank() - 1), c);
        if (!bias || cast<RankedTensorType>(bias.getType()).getElementType() !=
                         lt.getElementType())
          continue;
        rw.setInsertionPoint(add);
        auto nl = LinearOp::create(rw, lin.getLoc(), lt, lin.getInput(),
                                   lin.getWeight(), bias);
        rw.replaceOp(add, nl.getResult());
        rw.eraseOp(lin);
        ++numBias;
        break;
      }
    }

    // 4. GLU: act(x W1^T) * (x W2^T), or (x W1^T) * (x W2^T) (SGLU).
    muls.clear();
    fn.walk([&](Operation *op) { if (isMul(op)) muls.push_back(op); });
    for (Operation *op : muls) {
      Type t = op->getResult(0).getType();
      for (int i = 0; i < 2; ++i) {
        Value gate = op->getOperand(i), up = op->getOperand(1 - i);
        auto upLin = up.getDefiningOp<LinearOp>();
        if (!upLin || gate.getType() != t || up.getType() != t) continue;
        GluActivation kind = GluActivation::none;
        Value pre = gate;
        ActivationOp act = gate.getDefiningOp<ActivationOp>();
        if (act) {
          auto k = act.getKind();
          std::optional<GluActivation> g =
              k == ActivationKind::silu      ? std::optional(GluActivation::silu)
              : k == ActivationKind::gelu    ? std::optional(GluActivation::gelu)
              : k == ActivationKind::sigmoid ? std::optional(GluActivation::sigmoid)
              : k == ActivationKind::relu    ? std::optional(GluActivation::relu)
                                             : std::nullopt;
          if (!g || !act->hasOneUse()) continue;
          kind = *g;
          pre = act.getInput();
        }
        auto gateLin = pre.getDefiningOp<LinearOp>();
        if (!gateLin || gateLin.getInput() != upLin.getInput()) continue;
        rw.setInsertionPoint(op);
        auto glu = GluOp::create(rw, op->getLoc(), t,
                                 GluActivationAttr::get(&getContext(), kind),
                                 pre, up);
        rw.replaceOp(op, glu.getResult());
        if (act) rw.eraseOp(act);
        ++numGlu;
        break;
      }
    }
    eraseDead(fn);
  }

  /// x for 0.5 * x * (1 + erf(x * c)) with c = 1/sqrt(2) (or / sqrt(2)).
  static Value matchGeluErf(Operation *root) {
    auto erfArg = [](Value p) -> Value {
      // p = 1 + erf(x / sqrt 2)
      Operation *add = p.getDefiningOp();
      if (!isAdd(add)) return {};
      for (int i = 0; i < 2; ++i) {
        auto one = scalarConst(add->getOperand(1 - i));
        auto erf = add->getOperand(i).getDefiningOp<math::ErfOp>();
        if (!one || *one != 1.0 || !erf) continue;
        Operation *scale = erf.getOperand().getDefiningOp();
        if (!scale || !isa<arith::DivFOp, arith::MulFOp, MulOp>(scale)) continue;
        auto c = scalarConst(scale->getOperand(1));
        if (!c) continue;
        double k = isa<arith::DivFOp>(scale) ? 1.0 / *c : *c;
        if (std::fabs(k - M_SQRT1_2) > 1e-6) continue;
        return scale->getOperand(0);
      }
      return {};
    };
    for (int i = 0; i < 2; ++i) {
      Value a = root->getOperand(i), c = root->getOperand(1 - i);
      Operation *inner = a.getDefiningOp();
      if (!isMul(inner)) continue;
      // (x * P) * 0.5
      if (auto h = scalarConst(c); h && *h == 0.5) {
        for (int j = 0; j < 2; ++j) {
          Value x = inner->getOperand(j);
          if (erfArg(inner->getOperand(1 - j)) == x && x) return x;
        }
      }
      // (x * 0.5) * P
      for (int j = 0; j < 2; ++j) {
        auto h = scalarConst(inner->getOperand(1 - j));
        Value x = inner->getOperand(j);
        if (h && *h == 0.5 && erfArg(c) == x && x) return x;
      }
    }
    return {};
  }

  /// Erases ops left without users (matched chains, their constants).
  static void eraseDead(func::FuncOp fn) {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<Operation *> dead;
      fn.walk<WalkOrder::PostOrder, mlir::ReverseIterator>([&](Operation *op) {
        if (op != fn && isOpTriviallyDead(op)) dead.push_back(op);
      });
      for (Operation *op : dead) {
        if (!op->use_empty()) continue;
        op->erase();
        changed = true;
      }
    }
  }
};

} // namespace
