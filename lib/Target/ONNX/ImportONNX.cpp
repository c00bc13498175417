//===- ImportONNX.cpp - ONNX model -> lf function -------------------------===//
//
// Part of lightfuse. Node-for-node import of an ONNX graph: every node
// becomes the `lf` op that states it (LayerNormalization -> lf.layer_norm,
// MatMul against a matrix -> lf.linear, ...) or, where `lf` has none, the
// upstream tensor / linalg / arith / math ops. Broadcasting is explicit
// (`linalg.broadcast`), reductions are `linalg.reduce`, and small integer
// tensors that describe shapes are tracked symbolically so that
// Shape -> Gather -> Concat -> Reshape chains of exports with dynamic axes
// import into static reshapes or `?` dimensions. The fused forms exporters
// decompose are left to `lf-recompose`.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/Target/ONNX/ImportONNX.h"

#include "dialects/lf/LFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::lf;

namespace {

using OFR = OpFoldResult;

//===----------------------------------------------------------------------===//
// Tensor contents
//===----------------------------------------------------------------------===//

/// The MLIR element type of an ONNX TensorProto data type, or null.
Type elementType(MLIRContext *ctx, int dt) {
  Builder b(ctx);
  switch (dt) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::FLOAT16: return b.getF16Type();
  case onnx::TensorProto::BFLOAT16: return b.getBF16Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::INT64: return b.getI64Type();
  case onnx::TensorProto::INT32: return b.getI32Type();
  case onnx::TensorProto::INT8: return b.getI8Type();
  case onnx::TensorProto::BOOL: return b.getI1Type();
  default: return {};
  }
}

const char *dataTypeName(int dt) {
  auto n = onnx::TensorProto::DataType_Name(
      static_cast<onnx::TensorProto::DataType>(dt));
  static thread_local std::string s;
  s = n.empty() ? "type #" + std::to_string(dt) : n;
  return s.c_str();
}

size_t byteWidth(Type t) {
  if (t.isInteger(1)) return 1;
  return (t.getIntOrFloatBitWidth() + 7) / 8;
}

/// The contents of `t` as little-endian bytes of its element type (one byte
/// per bool), from raw_data, the typed fields or an external file.
FailureOr<std::vector<char>> tensorBytes(const onnx::TensorProto &t,
                                         Type elt, int64_t numel,
                                         StringRef baseDir, std::string &err) {
  size_t width = byteWidth(elt);
  size_t want = static_cast<size_t>(numel) * width;
  std::vector<char> out;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = 0;
    bool hasLength = false;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::strtoull(kv.value().c_str(), nullptr, 10);
      else if (kv.key() == "length") { length = std::strtoull(kv.value().c_str(), nullptr, 10); hasLength = true; }
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        StringRef(location).contains("..")) {
      err = "external data of '" + t.name() + "' has no usable relative location";
      return failure();
    }
    SmallString<256> path(baseDir);
    llvm::sys::path::append(path, location);
    auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf) {
      err = "cannot read external data file '" + std::string(path) +
            "' of '" + t.name() + "': " + buf.getError().message();
      return failure();
    }
    if (!hasLength) length = want;
    if (length != want || offset > (*buf)->getBufferSize() ||
        (*buf)->getBufferSize() - offset < length) {
      err = "external data of '" + t.name() + "' holds " +
            std::to_string(length) + " bytes at offset " +
            std::to_string(offset) + " where " + std::to_string(want) +
            " are needed (file size " +
            std::to_string((*buf)->getBufferSize()) + ")";
      return failure();
    }
    const char *p = (*buf)->getBufferStart() + offset;
    out.assign(p, p + want);
    return out;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != want) {
      err = "'" + t.name() + "' holds " + std::to_string(t.raw_data().size()) +
            " bytes of raw data where its shape needs " + std::to_string(want);
      return failure();
    }
    out.assign(t.raw_data().begin(), t.raw_data().end());
    return out;
  }
  out.resize(want);
  auto mismatch = [&](size_t have) {
    err = "'" + t.name() + "' holds " + std::to_string(have) +
          " values where its shape needs " + std::to_string(numel);
    return failure();
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (t.float_data_size() != numel) return mismatch(t.float_data_size());
    if (want) std::memcpy(out.data(), t.float_data().data(), want);
    break;
  case onnx::TensorProto::DOUBLE:
    if (t.double_data_size() != numel) return mismatch(t.double_data_size());
    if (want) std::memcpy(out.data(), t.double_data().data(), want);
    break;
  case onnx::TensorProto::INT64:
    if (t.int64_data_size() != numel) return mismatch(t.int64_data_size());
    if (want) std::memcpy(out.data(), t.int64_data().data(), want);
    break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    // These travel in int32_data, one element per entry (16-bit floats as
    // their bit patterns).
    if (t.int32_data_size() != numel) return mismatch(t.int32_data_size());
    for (int64_t i = 0; i < numel; ++i) {
      int32_t v = t.int32_data(i);
      std::memcpy(out.data() + i * width, &v, width);
    }
    break;
  }
  default:
    err = "'" + t.name() + "' has unsupported data type " +
          dataTypeName(t.data_type());
    return failure();
  }
  return out;
}

/// A DenseElementsAttr (small) or DenseResourceElementsAttr (large) holding
/// `bytes` as `type`.
ElementsAttr elementsAttr(RankedTensorType type, ArrayRef<char> bytes,
                          StringRef resourceName, bool preferResource) {
  Type elt = type.getElementType();
  if (elt.isInteger(1)) {
    SmallVector<bool> v(bytes.begin(), bytes.end());
    for (auto &x : v) x = x != 0;
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  if (preferResource) {
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes);
    return DenseResourceElementsAttr::get(type, resourceName, std::move(blob));
  }
  bool splat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, bytes, splat))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}

std::string sanitizeSymbol(StringRef s) {
  std::string out;
  for (char c : s)
    out.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (out.empty() || llvm::isDigit(out[0])) out = "g_" + out;
  return out;
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

class Importer {
public:
  Importer(MLIRContext *ctx, const onnx::ModelProto &model, StringRef name,
           StringRef baseDir, const ONNXImportOptions &opts)
      : ctx(ctx), model(model), graph(model.graph()), fileName(name),
        baseDir(baseDir), opts(opts), b(ctx), loc(UnknownLoc::get(ctx)) {}

  FailureOr<ONNXImportResult> run();

private:
  // --- diagnostics ---------------------------------------------------------
  /// Converts to a failed LogicalResult or FailureOr<T>.
  struct Failed {
    operator LogicalResult() const { return failure(); }
    template <typename T> operator FailureOr<T>() const { return failure(); }
  };
  Failed fail(const Twine &msg) {
    emitError(loc) << msg;
    return {};
  }
  Location nodeLoc(const onnx::NodeProto &n, int index) {
    std::string nm = n.name().empty()
                         ? n.op_type() + "_" + std::to_string(index)
                         : n.name();
    return NameLoc::get(StringAttr::get(ctx, nm),
                        FileLineColLoc::get(ctx, fileName, index + 1, 0));
  }

  // --- values --------------------------------------------------------------
  LogicalResult define(const std::string &name, Value v) {
    if (name.empty()) return success();
    values[name] = v;
    return success();
  }
  FailureOr<Value> input(const onnx::NodeProto &n, int i) {
    if (i >= n.input_size() || n.input(i).empty())
      return fail("'" + n.op_type() + "' needs input #" + Twine(i));
    auto it = values.find(n.input(i));
    if (it == values.end())
      return fail("input '" + n.input(i) + "' of '" + n.op_type() +
                  "' is not defined before it is used");
    return it->second;
  }
  Value optionalInput(const onnx::NodeProto &n, int i) {
    if (i >= n.input_size() || n.input(i).empty()) return {};
    auto it = values.find(n.input(i));
    return it == values.end() ? Value() : it->second;
  }
  /// The name of output `i`, or "" when the node has fewer outputs (an
  /// unnamed output is not defined).
  static std::string outName(const onnx::NodeProto &n, int i) {
    return i < n.output_size() ? n.output(i) : std::string();
  }
  /// Sizes a tensor may have: every dimension below 2^31 and at most 2^40
  /// elements, so that no size arithmetic overflows.
  static bool sane(ArrayRef<int64_t> shape) {
    int64_t total = 1;
    for (int64_t d : shape) {
      if (ShapedType::isDynamic(d)) continue;
      if (d < 0 || d >= (int64_t(1) << 31)) return false;
      // total <= 2^40 and d < 2^31 here: checked before multiplying.
      if (d > 1 && total > (int64_t(1) << 40) / d) return false;
      total *= std::max<int64_t>(d, 1);
    }
    return true;
  }
  bool outputUsed(const onnx::NodeProto &n, int i) {
    return i < n.output_size() && !n.output(i).empty() &&
           usedNames.contains(n.output(i));
  }

  // --- attributes ----------------------------------------------------------
  const onnx::AttributeProto *attr(const onnx::NodeProto &n, StringRef name) {
    for (const auto &a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t intAttr(const onnx::NodeProto &n, StringRef name, int64_t dflt) {
    auto *a = attr(n, name);
    return a ? a->i() : dflt;
  }
  float floatAttr(const onnx::NodeProto &n, StringRef name, float dflt) {
    auto *a = attr(n, name);
    return a ? a->f() : dflt;
  }
  std::string stringAttr(const onnx::NodeProto &n, StringRef name,
                         StringRef dflt) {
    auto *a = attr(n, name);
    return a ? a->s() : dflt.str();
  }
  std::optional<SmallVector<int64_t>> intsAttr(const onnx::NodeProto &n,
                                               StringRef name) {
    auto *a = attr(n, name);
    if (!a) return std::nullopt;
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }

  // --- shapes and integer constants ---------------------------------------
  static RankedTensorType ty(Value v) { return cast<RankedTensorType>(v.getType()); }
  static int64_t rank(Value v) { return ty(v).getRank(); }
  /// The sizes of `v`, dynamic ones derived from the ops that made it (so
  /// the graph holds no `tensor.dim` of intermediate values, whose extra
  /// uses would hide single-use chains from the rewrites).
  SmallVector<OFR> sizes(Value v);
  Value indexValue(OFR f) {
    if (auto a = dyn_cast<Attribute>(f))
      return arith::ConstantIndexOp::create(b, loc, cast<IntegerAttr>(a).getInt());
    return cast<Value>(f);
  }
  OFR mulOFR(OFR x, OFR y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy) return b.getIndexAttr(*cx * *cy);
    if (cx == 1) return y;
    if (cy == 1) return x;
    return arith::MulIOp::create(b, loc, indexValue(x), indexValue(y)).getResult();
  }
  OFR addOFR(OFR x, OFR y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy) return b.getIndexAttr(*cx + *cy);
    if (cx == 0) return y;
    if (cy == 0) return x;
    return arith::AddIOp::create(b, loc, indexValue(x), indexValue(y)).getResult();
  }
  OFR subOFR(OFR x, OFR y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy) return b.getIndexAttr(*cx - *cy);
    if (cy == 0) return x;
    return arith::SubIOp::create(b, loc, indexValue(x), indexValue(y)).getResult();
  }
  OFR divOFR(OFR x, OFR y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy && *cy != 0) return b.getIndexAttr(*cx / *cy);
    if (cy == 1) return x;
    return arith::DivSIOp::create(b, loc, indexValue(x), indexValue(y)).getResult();
  }
  static SmallVector<int64_t> staticShape(ArrayRef<OFR> s) {
    SmallVector<int64_t> out;
    for (OFR f : s) out.push_back(getConstantIntValue(f).value_or(ShapedType::kDynamic));
    return out;
  }
  Value empty(ArrayRef<OFR> s, Type elt) {
    return tensor::EmptyOp::create(b, loc, s, elt);
  }
  Value filled(ArrayRef<OFR> s, Type elt, TypedAttr value) {
    Value c = arith::ConstantOp::create(b, loc, value);
    return linalg::FillOp::create(b, loc, ValueRange{c}, ValueRange{empty(s, elt)})
        .getResult(0);
  }
  /// A constant of static type `t`, every element `scalar`.
  Value splat(RankedTensorType t, Attribute scalar) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, scalar));
  }
  /// `scalar` in the shape of `like`, which may have dynamic dimensions (a
  /// dense constant cannot).
  Value splatLike(Value like, Attribute scalar) {
    if (ty(like).hasStaticShape())
      return splat(ty(like).clone(cast<TypedAttr>(scalar).getType()), scalar);
    auto scalarType = RankedTensorType::get({}, cast<TypedAttr>(scalar).getType());
    return broadcastTo(splat(scalarType, scalar), sizes(like));
  }
  TypedAttr scalarAttr(Type elt, double v) {
    if (isa<FloatType>(elt)) return b.getFloatAttr(elt, v);
    // Saturating: v may come from a float attribute of any size.
    double lim = 9.2e18;
    return b.getIntegerAttr(elt, static_cast<int64_t>(std::clamp(std::isnan(v) ? 0.0 : v, -lim, lim)));
  }

  /// Symbolic contents of a small integer tensor (rank <= 1): one entry per
  /// element, static or an `index` value. Constants and shape arithmetic.
  std::optional<SmallVector<OFR>> shapeValue(Value v) {
    auto it = shapeValues.find(v);
    if (it != shapeValues.end()) return it->second;
    DenseIntElementsAttr attr;
    // Shapes, axes and indices are short; a long constant is data (and
    // walking a huge splat element by element would hang the import).
    if (rank(v) <= 1 && ty(v).hasStaticShape() && ty(v).getNumElements() <= 64 &&
        matchPattern(v, m_Constant(&attr))) {
      SmallVector<OFR> out;
      for (APInt x : attr.getValues<APInt>()) out.push_back(b.getIndexAttr(x.getSExtValue()));
      return out;
    }
    return std::nullopt;
  }
  std::optional<SmallVector<int64_t>> constInts(Value v) {
    auto sv = shapeValue(v);
    if (!sv) return std::nullopt;
    SmallVector<int64_t> out;
    for (OFR f : *sv) {
      auto c = getConstantIntValue(f);
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  std::optional<double> constScalar(Value v) {
    DenseElementsAttr attr;
    if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat()) return std::nullopt;
    if (isa<FloatType>(attr.getElementType()))
      return attr.getSplatValue<APFloat>().convertToDouble();
    if (attr.getElementType().isInteger(1)) return attr.getSplatValue<bool>();
    return static_cast<double>(attr.getSplatValue<APInt>().getSExtValue());
  }
  /// Materializes symbolic shape contents as an i64 tensor (rank 1, or 0
  /// when `scalar`) and records them.
  Value materializeShape(ArrayRef<OFR> s, bool scalar) {
    Type i64 = b.getI64Type();
    Value out;
    SmallVector<int64_t> st = staticShape(s);
    if (llvm::none_of(st, ShapedType::isDynamic)) {
      auto t = RankedTensorType::get(scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)s.size()}, i64);
      out = arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(t, st));
    } else {
      SmallVector<Value> elems;
      for (OFR f : s)
        elems.push_back(arith::IndexCastOp::create(b, loc, i64, indexValue(f)));
      auto t = RankedTensorType::get(scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)s.size()}, i64);
      out = tensor::FromElementsOp::create(b, loc, t, elems);
    }
    shapeValues[out] = SmallVector<OFR>(s.begin(), s.end());
    return out;
  }

  /// Normalizes `axis` against `r` (ONNX allows -r..r-1).
  FailureOr<int64_t> normAxis(int64_t axis, int64_t r) {
    if (axis < -r || axis >= r)
      return fail("axis " + Twine(axis) + " is out of range for rank " + Twine(r));
    return axis < 0 ? axis + r : axis;
  }

  // --- building blocks -----------------------------------------------------
  FailureOr<SmallVector<OFR>> broadcastSizes(ArrayRef<Value> vs);
  Value broadcastTo(Value v, ArrayRef<OFR> s);
  Value reshape(Value v, ArrayRef<OFR> s);
  Value transpose(Value v, ArrayRef<int64_t> perm);
  Value castTo(Value v, Type elt);
  FailureOr<Value> binary(StringRef op, Value x, Value y);
  Value unaryMath(StringRef op, Value x);
  Value reduce(Value x, ArrayRef<int64_t> axes, bool keepdims, StringRef kind);
  FailureOr<Value> matmul(Value a, Value w);
  Value linear(Value a, Value wT, Value bias);
  FailureOr<Value> softmax(Value x, ArrayRef<int64_t> axes, bool log);
  FailureOr<SmallVector<int64_t>> axesOf(const onnx::NodeProto &n, int inputIdx,
                                         bool &present);

  // --- nodes ---------------------------------------------------------------
  LogicalResult importNode(const onnx::NodeProto &n);
  LogicalResult importCustomNode(const onnx::NodeProto &n);
  bool isSupported(const onnx::NodeProto &n);

  // --- state ---------------------------------------------------------------
  MLIRContext *ctx;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  std::string fileName;
  std::string baseDir;
  const ONNXImportOptions &opts;
  OpBuilder b;
  Location loc;
  int64_t opset = 1;
  llvm::StringMap<Value> values;
  llvm::StringSet<> usedNames;
  DenseMap<Value, SmallVector<OFR>> shapeValues;
  DenseMap<Value, SmallVector<OFR>> sizeCache;
};

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

SmallVector<OFR> Importer::sizes(Value v) {
  auto t = ty(v);
  if (t.hasStaticShape()) {
    SmallVector<OFR> out;
    for (int64_t d : t.getShape()) out.push_back(b.getIndexAttr(d));
    return out;
  }
  auto it = sizeCache.find(v);
  if (it != sizeCache.end()) return it->second;
  SmallVector<OFR> out;
  Operation *op = v.getDefiningOp();
  auto fromOperand = [&](Value o) {
    out = sizes(o);
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (!t.isDynamicDim(i)) out[i] = b.getIndexAttr(t.getDimSize(i));
  };
  if (!op) {
    out = tensor::getMixedSizes(b, loc, v);
  } else if (auto e = dyn_cast<tensor::EmptyOp>(op)) {
    out = e.getMixedSizes();
  } else if (auto e = dyn_cast<tensor::ExpandShapeOp>(op)) {
    out = e.getMixedOutputShape();
  } else if (auto c = dyn_cast<tensor::CollapseShapeOp>(op)) {
    SmallVector<OFR> src = sizes(c.getSrc());
    for (const auto &group : c.getReassociationIndices()) {
      OFR p = b.getIndexAttr(1);
      for (int64_t j : group) p = mulOFR(p, src[j]);
      out.push_back(p);
    }
  } else if (auto s = dyn_cast<tensor::ExtractSliceOp>(op)) {
    out = s.getMixedSizes();
    if ((int64_t)out.size() != t.getRank()) out = tensor::getMixedSizes(b, loc, v);
  } else if (auto s = dyn_cast<tensor::SplatOp>(op)) {
    out = tensor::getMixedSizes(b, loc, v);
  } else if (auto d = dyn_cast<DestinationStyleOpInterface>(op)) {
    fromOperand(d.getDpsInits()[cast<OpResult>(v).getResultNumber()]);
  } else if (auto l = dyn_cast<LinearOp>(op)) {
    fromOperand(l.getInput());
  } else {
    // Elementwise and shape-preserving ops: an operand of the same shape.
    Value same;
    for (Value o : op->getOperands())
      if (auto ot = dyn_cast<RankedTensorType>(o.getType());
          ot && ot.getShape() == t.getShape()) { same = o; break; }
    if (same) fromOperand(same);
    else out = tensor::getMixedSizes(b, loc, v);
  }
  sizeCache[v] = out;
  return out;
}

FailureOr<SmallVector<OFR>> Importer::broadcastSizes(ArrayRef<Value> vs) {
  int64_t r = 0;
  for (Value v : vs) r = std::max(r, rank(v));
  SmallVector<OFR> out(r, b.getIndexAttr(1));
  for (int64_t i = 0; i < r; ++i) {
    std::optional<int64_t> st;
    Value dyn;
    int64_t dynDim = 0;
    for (Value v : vs) {
      int64_t off = r - rank(v);
      if (i < off) continue;
      int64_t d = ty(v).getDimSize(i - off);
      if (ShapedType::isDynamic(d)) {
        if (!dyn) { dyn = v; dynDim = i - off; }
        continue;
      }
      if (d == 1) continue;
      if (st && *st != d)
        return fail("cannot broadcast dimension " + Twine(i) + ": sizes " +
                    Twine(*st) + " and " + Twine(d));
      st = d;
    }
    if (st) out[i] = b.getIndexAttr(*st);
    else if (dyn) out[i] = sizes(dyn)[dynDim];
  }
  return out;
}

Value Importer::broadcastTo(Value v, ArrayRef<OFR> s) {
  auto t = ty(v);
  int64_t r = s.size(), off = r - t.getRank();
  SmallVector<int64_t> target = staticShape(s);
  if (off == 0 && t.getShape() == ArrayRef<int64_t>(target)) return v;
  // A splat constant becomes a splat of the target shape.
  DenseElementsAttr cst;
  if (llvm::none_of(target, ShapedType::isDynamic) &&
      matchPattern(v, m_Constant(&cst)) && cst.isSplat())
    return splat(RankedTensorType::get(target, t.getElementType()),
                 cst.getSplatValue<Attribute>());
  // Source dimensions that stay: every one except a static 1 facing a
  // larger (or unknown) size.
  SmallVector<int64_t> kept;
  SmallVector<bool> keep(t.getRank());
  for (int64_t j = 0; j < t.getRank(); ++j) {
    int64_t d = t.getDimSize(j);
    keep[j] = !(d == 1 && target[j + off] != 1);
    if (keep[j]) kept.push_back(j);
  }
  Value src = v;
  if ((int64_t)kept.size() != t.getRank()) {
    SmallVector<ReassociationIndices> re;
    ReassociationIndices pending;
    for (int64_t j = 0; j < t.getRank(); ++j) {
      pending.push_back(j);
      if (keep[j]) { re.push_back(pending); pending.clear(); }
    }
    if (!pending.empty() && !re.empty()) re.back().append(pending.begin(), pending.end());
    src = tensor::CollapseShapeOp::create(b, loc, v, re);
  }
  SmallVector<int64_t> bdims;
  llvm::SmallDenseSet<int64_t> keptTarget;
  for (int64_t j : kept) keptTarget.insert(j + off);
  for (int64_t i = 0; i < r; ++i)
    if (!keptTarget.contains(i)) bdims.push_back(i);
  if (bdims.empty()) return src;
  Value init = empty(s, t.getElementType());
  return linalg::BroadcastOp::create(b, loc, src, init, bdims)->getResult(0);
}

Value Importer::reshape(Value v, ArrayRef<OFR> s) {
  auto t = ty(v);
  SmallVector<int64_t> target = staticShape(s);
  if (t.getShape() == ArrayRef<int64_t>(target) &&
      llvm::none_of(target, ShapedType::isDynamic))
    return v;
  Value flat = v;
  if (t.getRank() != 1) {
    SmallVector<ReassociationIndices> re;
    if (t.getRank() > 0) {
      re.emplace_back();
      for (int64_t j = 0; j < t.getRank(); ++j) re[0].push_back(j);
      flat = tensor::CollapseShapeOp::create(b, loc, v, re);
    } else {
      auto ft = RankedTensorType::get({1}, t.getElementType());
      flat = tensor::ExpandShapeOp::create(b, loc, ft, v, re,
                                           ArrayRef<OFR>{b.getIndexAttr(1)});
    }
  }
  auto rt = RankedTensorType::get(target, t.getElementType());
  if (target.empty())
    return tensor::CollapseShapeOp::create(b, loc, rt, flat,
                                           ArrayRef<ReassociationIndices>{});
  if (target.size() == 1 && ty(flat).getShape() == ArrayRef<int64_t>(target))
    return flat;
  SmallVector<ReassociationIndices> re(1);
  for (size_t j = 0; j < target.size(); ++j) re[0].push_back(j);
  return tensor::ExpandShapeOp::create(b, loc, rt, flat, re, s);
}

Value Importer::transpose(Value v, ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity &= perm[i] == (int64_t)i;
  if (identity) return v;
  SmallVector<OFR> in = sizes(v), out;
  for (int64_t p : perm) out.push_back(in[p]);
  Value init = empty(out, ty(v).getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm)->getResult(0);
}

Value Importer::castTo(Value v, Type elt) {
  Type from = ty(v).getElementType();
  if (from == elt) return v;
  auto rt = ty(v).clone(elt);
  bool fromF = isa<FloatType>(from), toF = isa<FloatType>(elt);
  if (fromF && toF)
    return from.getIntOrFloatBitWidth() < elt.getIntOrFloatBitWidth()
               ? arith::ExtFOp::create(b, loc, rt, v).getResult()
               : arith::TruncFOp::create(b, loc, rt, v).getResult();
  if (fromF)
    return elt.isInteger(1)
               ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                       splatLike(v, b.getFloatAttr(from, 0.0)))
                     .getResult()
               : arith::FPToSIOp::create(b, loc, rt, v).getResult();
  if (toF)
    return from.isInteger(1) ? arith::UIToFPOp::create(b, loc, rt, v).getResult()
                             : arith::SIToFPOp::create(b, loc, rt, v).getResult();
  if (elt.isInteger(1))
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 splatLike(v, b.getIntegerAttr(from, 0)));
  if (from.getIntOrFloatBitWidth() < elt.getIntOrFloatBitWidth())
    return from.isInteger(1) ? arith::ExtUIOp::create(b, loc, rt, v).getResult()
                             : arith::ExtSIOp::create(b, loc, rt, v).getResult();
  return arith::TruncIOp::create(b, loc, rt, v);
}

static bool isLFType(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

FailureOr<Value> Importer::binary(StringRef op, Value x, Value y) {
  Type elt = ty(x).getElementType();
  if (op == "Pow") {
    // x^2 and x^0.5 as the products a rewrite can read; the rest powf.
    if (auto e = constScalar(y); e && isa<FloatType>(elt)) {
      if (*e == 2.0) return binary("Mul", x, x);
      if (*e == 1.0) return x;
      if (*e == 0.5) return unaryMath("Sqrt", x);
    }
    if (!isa<FloatType>(elt)) {
      // Integer base: integer exponents by math.ipowi, float ones in f64
      // and back (ONNX's result has the base's type).
      auto s = broadcastSizes({x, y});
      if (failed(s)) return failure();
      Value xb = broadcastTo(x, *s);
      Type f64 = b.getF64Type();
      Value p = math::PowFOp::create(b, loc, castTo(xb, f64), broadcastTo(castTo(y, f64), *s));
      if (!isa<FloatType>(ty(y).getElementType()))
        p = math::RoundOp::create(b, loc, p); // exact integer powers
      return castTo(p, elt);
    }
    y = castTo(y, elt);
  } else if (ty(y).getElementType() != elt) {
    return fail(Twine("'") + op + "' mixes element types");
  }
  bool sameShape = ty(x) == ty(y) && ty(x).hasStaticShape();
  auto s = broadcastSizes({x, y});
  if (failed(s)) return failure();
  bool noBroadcast = sameShape || (ty(x) == ty(y) && llvm::equal(staticShape(*s), ty(x).getShape()));
  Value xb = broadcastTo(x, *s), yb = broadcastTo(y, *s);
  if (noBroadcast && isLFType(elt) && (op == "Add" || op == "Mul")) {
    if (op == "Add") return AddOp::create(b, loc, ty(xb), xb, yb).getResult();
    return MulOp::create(b, loc, ty(xb), xb, yb).getResult();
  }
  bool f = isa<FloatType>(elt);
  Value r;
  if (op == "Add") r = f ? arith::AddFOp::create(b, loc, xb, yb).getResult() : arith::AddIOp::create(b, loc, xb, yb).getResult();
  else if (op == "Sub") r = f ? arith::SubFOp::create(b, loc, xb, yb).getResult() : arith::SubIOp::create(b, loc, xb, yb).getResult();
  else if (op == "Mul") r = f ? arith::MulFOp::create(b, loc, xb, yb).getResult() : arith::MulIOp::create(b, loc, xb, yb).getResult();
  else if (op == "Div") r = f ? arith::DivFOp::create(b, loc, xb, yb).getResult() : arith::DivSIOp::create(b, loc, xb, yb).getResult();
  else if (op == "Max") r = f ? arith::MaximumFOp::create(b, loc, xb, yb).getResult() : arith::MaxSIOp::create(b, loc, xb, yb).getResult();
  else if (op == "Min") r = f ? arith::MinimumFOp::create(b, loc, xb, yb).getResult() : arith::MinSIOp::create(b, loc, xb, yb).getResult();
  else if (op == "Pow") r = math::PowFOp::create(b, loc, xb, yb);
  else return fail(Twine("unknown binary op ") + op);
  return r;
}

Value Importer::unaryMath(StringRef op, Value x) {
  if (op == "Sqrt") return math::SqrtOp::create(b, loc, x);
  if (op == "Exp") return math::ExpOp::create(b, loc, x);
  if (op == "Log") return math::LogOp::create(b, loc, x);
  if (op == "Tanh") return math::TanhOp::create(b, loc, x);
  if (op == "Erf") return math::ErfOp::create(b, loc, x);
  if (op == "Abs") return isa<FloatType>(ty(x).getElementType())
                              ? math::AbsFOp::create(b, loc, x).getResult()
                              : math::AbsIOp::create(b, loc, x).getResult();
  if (op == "Neg") return arith::NegFOp::create(b, loc, x);
  if (op == "Reciprocal")
    return arith::DivFOp::create(
        b, loc, splatLike(x, b.getFloatAttr(ty(x).getElementType(), 1.0)), x);
  llvm_unreachable("unknown unary op");
}

Value Importer::reduce(Value x, ArrayRef<int64_t> axes, bool keepdims,
                       StringRef kind) {
  auto t = ty(x);
  Type elt = t.getElementType();
  bool f = isa<FloatType>(elt);
  SmallVector<OFR> in = sizes(x), out;
  llvm::SmallDenseSet<int64_t> ax(axes.begin(), axes.end());
  OFR count = b.getIndexAttr(1);
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (ax.contains(i)) count = mulOFR(count, in[i]);
    else out.push_back(in[i]);
  }
  // The reduction's identity: -inf / +inf (floats) or the element type's
  // smallest / largest value (integers) for Max / Min, else 0.
  TypedAttr init;
  if (f) {
    double inf = std::numeric_limits<double>::infinity();
    init = b.getFloatAttr(elt, kind == "Max" ? -inf : kind == "Min" ? inf : 0.0);
  } else {
    unsigned w = elt.getIntOrFloatBitWidth();
    init = b.getIntegerAttr(elt, kind == "Max"   ? APInt::getSignedMinValue(w)
                                 : kind == "Min" ? APInt::getSignedMaxValue(w)
                                                 : APInt(w, 0));
  }
  Value acc = filled(out, elt, init);
  SmallVector<int64_t> dims(axes.begin(), axes.end());
  llvm::sort(dims);
  Value src = x;
  if (kind == "SumSquare") src = arith::MulFOp::create(b, loc, x, x);
  Value r = linalg::ReduceOp::create(
                b, loc, ValueRange{src}, ValueRange{acc}, dims,
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value v;
                  if (kind == "Max")
                    v = f ? arith::MaximumFOp::create(nb, l, args[0], args[1]).getResult()
                          : arith::MaxSIOp::create(nb, l, args[0], args[1]).getResult();
                  else if (kind == "Min")
                    v = f ? arith::MinimumFOp::create(nb, l, args[0], args[1]).getResult()
                          : arith::MinSIOp::create(nb, l, args[0], args[1]).getResult();
                  else
                    v = f ? arith::AddFOp::create(nb, l, args[0], args[1]).getResult()
                          : arith::AddIOp::create(nb, l, args[0], args[1]).getResult();
                  linalg::YieldOp::create(nb, l, v);
                })
                ->getResult(0);
  if (kind == "Mean") {
    auto rt = ty(r);
    Value cf;
    if (auto c = getConstantIntValue(count))
      cf = arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, static_cast<double>(*c)));
    else
      cf = arith::SIToFPOp::create(
          b, loc, elt,
          arith::IndexCastOp::create(b, loc, b.getI64Type(), indexValue(count)));
    Value n;
    if (rt.hasStaticShape()) {
      n = getConstantIntValue(count)
              ? splat(rt, b.getFloatAttr(elt, static_cast<double>(*getConstantIntValue(count))))
              : tensor::SplatOp::create(b, loc, cf, rt, ValueRange{}).getResult();
    } else {
      SmallVector<Value> dyn;
      SmallVector<OFR> rs = sizes(r);
      for (int64_t i = 0; i < rt.getRank(); ++i)
        if (rt.isDynamicDim(i)) dyn.push_back(indexValue(rs[i]));
      n = tensor::SplatOp::create(b, loc, cf, rt, dyn);
    }
    r = arith::DivFOp::create(b, loc, r, n);
  }
  if (!keepdims) return r;
  SmallVector<OFR> ks;
  SmallVector<ReassociationIndices> re;
  ReassociationIndices pending;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    pending.push_back(i);
    if (ax.contains(i)) ks.push_back(b.getIndexAttr(1));
    else { ks.push_back(in[i]); re.push_back(pending); pending.clear(); }
  }
  if (!pending.empty() && !re.empty()) re.back().append(pending.begin(), pending.end());
  auto kt = RankedTensorType::get(staticShape(ks), elt);
  return tensor::ExpandShapeOp::create(b, loc, kt, r, re, ks);
}

Value Importer::linear(Value a, Value wT, Value bias) {
  // lf.linear over the last dimension of `a` with `wT` = [N, K].
  SmallVector<int64_t> shape(ty(a).getShape());
  shape.back() = ty(wT).getDimSize(0);
  auto rt = RankedTensorType::get(shape, ty(a).getElementType());
  return LinearOp::create(b, loc, rt, a, wT, bias);
}

FailureOr<Value> Importer::matmul(Value a, Value w) {
  // numpy matmul. A matrix right operand of an lf type is lf.linear (its
  // transpose is weight preparation that lf-hoist-weight-prep runs once);
  // anything else a (batched) linalg matmul.
  Type elt = ty(a).getElementType();
  if (ty(w).getElementType() != elt)
    return fail("MatMul mixes element types");
  int64_t ra = rank(a), rw = rank(w);
  if (ra == 0 || rw == 0) return fail("MatMul of a scalar");
  bool vecA = ra == 1, vecW = rw == 1;
  if (vecA) a = reshape(a, {b.getIndexAttr(1), sizes(a)[0]});
  if (vecW) w = reshape(w, {sizes(w)[0], b.getIndexAttr(1)});
  ra = rank(a); rw = rank(w);
  int64_t ka = ty(a).getDimSize(ra - 1), kw = ty(w).getDimSize(rw - 2);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kw) && ka != kw)
    return fail("MatMul contracts " + Twine(ka) + " against " + Twine(kw));
  Value r;
  if (rw == 2 && isLFType(elt)) {
    r = linear(a, transpose(w, {1, 0}), Value());
  } else {
    // Broadcast the batch dimensions, collapse them into one.
    SmallVector<OFR> sa = sizes(a), sw = sizes(w);
    // Batch sizes by broadcasting two rank-(r-2) views of the shapes.
    int64_t rb = std::max(ra, rw) - 2;
    SmallVector<OFR> batch(rb, b.getIndexAttr(1));
    for (int64_t i = 0; i < rb; ++i) {
      auto pick = [&](Value v, ArrayRef<OFR> s, int64_t rv) -> std::optional<OFR> {
        int64_t off = rb - (rv - 2);
        if (i < off) return std::nullopt;
        return s[i - off];
      };
      auto da = pick(a, sa, ra), dw = pick(w, sw, rw);
      auto ca = da ? getConstantIntValue(*da) : std::optional<int64_t>(1);
      auto cw = dw ? getConstantIntValue(*dw) : std::optional<int64_t>(1);
      if (ca && cw && *ca != *cw && *ca != 1 && *cw != 1)
        return fail("MatMul batch dimensions " + Twine(*ca) + " and " + Twine(*cw) +
                    " do not broadcast");
      if (ca && *ca == 1) batch[i] = dw ? *dw : b.getIndexAttr(1);
      else batch[i] = *da;
    }
    SmallVector<OFR> ta(batch), tw(batch);
    ta.append({sa[ra - 2], sa[ra - 1]});
    tw.append({sw[rw - 2], sw[rw - 1]});
    Value ab = broadcastTo(a, ta), wb = broadcastTo(w, tw);
    OFR bsz = b.getIndexAttr(1);
    for (OFR f : batch) bsz = mulOFR(bsz, f);
    Value a3 = reshape(ab, {bsz, sa[ra - 2], sa[ra - 1]});
    Value w3 = reshape(wb, {bsz, sw[rw - 2], sw[rw - 1]});
    Value acc = filled({bsz, sa[ra - 2], sw[rw - 1]}, elt, scalarAttr(elt, 0));
    Value r3 = linalg::BatchMatmulOp::create(b, loc, ValueRange{a3, w3}, ValueRange{acc})
                   ->getResult(0);
    SmallVector<OFR> rs(batch);
    rs.append({sa[ra - 2], sw[rw - 1]});
    r = reshape(r3, rs);
  }
  SmallVector<OFR> rs = sizes(r);
  if (vecA) rs.erase(rs.end() - 2);
  if (vecW) rs.pop_back();
  if (vecA || vecW) r = reshape(r, rs);
  return r;
}

FailureOr<Value> Importer::softmax(Value x, ArrayRef<int64_t> axes, bool log) {
  Type elt = ty(x).getElementType();
  if (!isa<FloatType>(elt)) return fail("Softmax of a non-float tensor");
  SmallVector<OFR> s = sizes(x);
  Value m = broadcastTo(reduce(x, axes, true, "Max"), s);
  Value d = arith::SubFOp::create(b, loc, x, m);
  Value e = math::ExpOp::create(b, loc, d);
  Value z = broadcastTo(reduce(e, axes, true, "Sum"), s);
  if (log) return arith::SubFOp::create(b, loc, d, math::LogOp::create(b, loc, z)).getResult();
  return arith::DivFOp::create(b, loc, e, z).getResult();
}

FailureOr<SmallVector<int64_t>> Importer::axesOf(const onnx::NodeProto &n,
                                                 int inputIdx, bool &present) {
  present = true;
  if (auto a = intsAttr(n, "axes")) return *a;
  if (Value v = optionalInput(n, inputIdx)) {
    auto c = constInts(v);
    if (!c) return fail("'" + n.op_type() + "' needs constant axes");
    return *c;
  }
  present = false;
  return SmallVector<int64_t>{};
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

const llvm::StringSet<> &supportedOps() {
  static const llvm::StringSet<> ops = {
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sqrt", "Exp", "Log",
      "Tanh", "Erf", "Abs", "Neg", "Reciprocal", "Sigmoid", "Relu",
      "Softplus", "Gelu", "FastGelu", "BiasGelu", "MatMul", "Gemm",
      "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare",
      "Softmax", "LogSoftmax", "Reshape", "Flatten", "Transpose",
      "Unsqueeze", "Squeeze", "Concat", "Split", "Slice", "Gather", "Expand",
      "Shape", "Size", "ConstantOfShape", "Constant", "Identity", "Cast", "CastLike",
      "LayerNormalization", "RMSNormalization", "SimplifiedLayerNormalization",
      "SkipLayerNormalization", "SkipSimplifiedLayerNormalization",
      "BatchNormalization", "Dropout"};
  return ops;
}

const llvm::StringSet<> &customOps() {
  static const llvm::StringSet<> ops = {"LinearAttention", "LinearAttentionStep",
                                        "RMSNorm"};
  return ops;
}

bool Importer::isSupported(const onnx::NodeProto &n) {
  StringRef d = n.domain();
  if (d == kONNXDomain) return customOps().contains(n.op_type());
  if (d.empty() || d == "ai.onnx" || d == "com.microsoft")
    return supportedOps().contains(n.op_type());
  return false;
}

LogicalResult Importer::importNode(const onnx::NodeProto &n) {
  StringRef op = n.op_type();
  if (n.domain() == kONNXDomain) return importCustomNode(n);
  auto out = [&](Value v) { return define(outName(n, 0), v); };

  // Elementwise binary.
  if (llvm::is_contained({"Add", "Sub", "Mul", "Div", "Pow"}, op) ||
      ((op == "Max" || op == "Min") && n.input_size() == 2)) {
    auto x = input(n, 0), y = input(n, 1);
    if (failed(x) || failed(y)) return failure();
    // Integer shape arithmetic stays symbolic.
    auto sx = shapeValue(*x), sy = shapeValue(*y);
    if (sx && sy && op != "Pow" && op != "Max" && op != "Min" &&
        (sx->size() == sy->size() || sx->size() == 1 || sy->size() == 1) &&
        !isa<FloatType>(ty(*x).getElementType())) {
      size_t len = std::max(sx->size(), sy->size());
      SmallVector<OFR> r;
      for (size_t i = 0; i < len; ++i) {
        OFR p = (*sx)[sx->size() == 1 ? 0 : i], q = (*sy)[sy->size() == 1 ? 0 : i];
        r.push_back(op == "Add" ? addOFR(p, q) : op == "Sub" ? subOFR(p, q)
                    : op == "Mul" ? mulOFR(p, q) : divOFR(p, q));
      }
      return out(materializeShape(r, rank(*x) == 0 && rank(*y) == 0));
    }
    auto r = binary(op, *x, *y);
    if (failed(r)) return failure();
    return out(*r);
  }
  if (op == "Max" || op == "Min") {
    auto acc = input(n, 0);
    if (failed(acc)) return failure();
    Value r = *acc;
    for (int i = 1; i < n.input_size(); ++i) {
      auto y = input(n, i);
      if (failed(y)) return failure();
      auto v = binary(op, r, *y);
      if (failed(v)) return failure();
      r = *v;
    }
    return out(r);
  }
  // Elementwise unary.
  if (llvm::is_contained({"Sqrt", "Exp", "Log", "Tanh", "Erf", "Abs", "Neg",
                          "Reciprocal"}, op)) {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    if (op == "Neg" && !isa<FloatType>(ty(*x).getElementType())) {
      if (auto sv = shapeValue(*x)) {
        SmallVector<OFR> negs;
        for (OFR f : *sv) negs.push_back(subOFR(b.getIndexAttr(0), f));
        return out(materializeShape(negs, rank(*x) == 0));
      }
      return out(arith::SubIOp::create(b, loc, splatLike(*x, b.getIntegerAttr(ty(*x).getElementType(), 0)), *x));
    }
    if (op != "Abs" && !isa<FloatType>(ty(*x).getElementType()))
      return fail("'" + op + "' of a non-float tensor is not supported");
    return out(unaryMath(op, *x));
  }
  if (llvm::is_contained({"Sigmoid", "Relu", "Softplus", "Gelu", "FastGelu",
                          "BiasGelu"}, op)) {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    Value v = *x;
    if (op == "BiasGelu" || (op == "FastGelu" && optionalInput(n, 1))) {
      auto bias = input(n, 1);
      if (failed(bias)) return failure();
      auto s = binary("Add", v, *bias);
      if (failed(s)) return failure();
      v = *s;
    }
    if (!isLFType(ty(v).getElementType()))
      return fail("'" + op + "' needs an f32, f16 or bf16 tensor");
    ActivationKind kind = llvm::StringSwitch<ActivationKind>(op)
                              .Case("Sigmoid", ActivationKind::sigmoid)
                              .Case("Relu", ActivationKind::relu)
                              .Case("Softplus", ActivationKind::softplus)
                              .Case("FastGelu", ActivationKind::gelu_tanh)
                              .Default(ActivationKind::gelu);
    if (op == "Gelu") {
      std::string approx = stringAttr(n, "approximate", "none");
      if (approx == "tanh") kind = ActivationKind::gelu_tanh;
      else if (approx != "none")
        return fail("Gelu approximation '" + approx + "' is not supported");
    }
    return out(ActivationOp::create(b, loc, ty(v), ActivationKindAttr::get(ctx, kind), v));
  }
  if (op == "MatMul") {
    auto x = input(n, 0), w = input(n, 1);
    if (failed(x) || failed(w)) return failure();
    auto r = matmul(*x, *w);
    if (failed(r)) return failure();
    return out(*r);
  }
  if (op == "Gemm") {
    auto a = input(n, 0), w = input(n, 1);
    if (failed(a) || failed(w)) return failure();
    if (rank(*a) != 2 || rank(*w) != 2) return fail("Gemm needs matrices");
    Value c = optionalInput(n, 2);
    float alpha = floatAttr(n, "alpha", 1.0f), beta = floatAttr(n, "beta", 1.0f);
    Value av = intAttr(n, "transA", 0) ? transpose(*a, {1, 0}) : *a;
    Value wT = intAttr(n, "transB", 0) ? *w : transpose(*w, {1, 0});
    Type elt = ty(av).getElementType();
    if (!isLFType(elt) || ty(wT).getElementType() != elt)
      return fail("Gemm needs f32, f16 or bf16 matrices of one type");
    if (ty(av).getDimSize(1) != ty(wT).getDimSize(1) &&
        !ty(av).isDynamicDim(1) && !ty(wT).isDynamicDim(1))
      return fail("Gemm contracts " + Twine(ty(av).getDimSize(1)) + " against " +
                  Twine(ty(wT).getDimSize(1)));
    // A bias of shape [N] (or [1, N]) with beta 1 is lf.linear's bias.
    Value bias;
    if (c && beta == 1.0f && ty(c).getElementType() == elt) {
      int64_t nOut = ty(wT).getDimSize(0);
      auto ct = ty(c);
      if (ct.getRank() == 1 && ct.getDimSize(0) == nOut) bias = c;
      else if (ct.getRank() == 2 && ct.getDimSize(0) == 1 && ct.getDimSize(1) == nOut)
        bias = reshape(c, {b.getIndexAttr(nOut)});
    }
    Value y = linear(av, wT, bias);
    if (alpha != 1.0f) {
      auto r = binary("Mul", y, splat(RankedTensorType::get({}, elt), b.getFloatAttr(elt, alpha)));
      if (failed(r)) return failure();
      y = *r;
    }
    if (c && !bias) {
      Value cs = c;
      if (beta != 1.0f) {
        auto r = binary("Mul", c, splat(RankedTensorType::get({}, elt), b.getFloatAttr(elt, beta)));
        if (failed(r)) return failure();
        cs = *r;
      }
      auto r = binary("Add", y, cs);
      if (failed(r)) return failure();
      y = *r;
    }
    return out(y);
  }
  if (op.starts_with("Reduce")) {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    bool present;
    auto axes = axesOf(n, 1, present);
    if (failed(axes)) return failure();
    int64_t r = rank(*x);
    SmallVector<int64_t> ax;
    if (!present || axes->empty()) {
      if (intAttr(n, "noop_with_empty_axes", 0)) return out(*x);
      for (int64_t i = 0; i < r; ++i) ax.push_back(i);
    } else {
      for (int64_t a : *axes) {
        auto na = normAxis(a, r);
        if (failed(na)) return failure();
        if (!llvm::is_contained(ax, *na)) ax.push_back(*na);
      }
    }
    StringRef kind = op.drop_front(6);
    if ((kind == "Mean" || kind == "SumSquare") && !isa<FloatType>(ty(*x).getElementType()))
      return fail("'" + op + "' of a non-float tensor is not supported");
    return out(reduce(*x, ax, intAttr(n, "keepdims", 1) != 0, kind));
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    int64_t r = rank(*x);
    bool coerce2D = opset < 13;
    auto axis = normAxis(intAttr(n, "axis", coerce2D ? 1 : -1), r);
    if (failed(axis)) return failure();
    SmallVector<int64_t> ax{*axis};
    if (coerce2D) for (int64_t i = *axis + 1; i < r; ++i) ax.push_back(i);
    auto v = softmax(*x, ax, op == "LogSoftmax");
    if (failed(v)) return failure();
    return out(*v);
  }
  if (op == "Reshape") {
    auto x = input(n, 0), s = input(n, 1);
    if (failed(x) || failed(s)) return failure();
    auto target = shapeValue(*s);
    if (!target)
      return fail("Reshape needs a shape known at import time (a constant or "
                  "shape arithmetic on the inputs' dimensions)");
    bool allowzero = intAttr(n, "allowzero", 0) != 0;
    SmallVector<OFR> in = sizes(*x), res;
    int64_t inferAt = -1;
    for (size_t i = 0; i < target->size(); ++i) {
      OFR f = (*target)[i];
      auto c = getConstantIntValue(f);
      if (c && *c == 0 && !allowzero) {
        if (i >= in.size()) return fail("Reshape copies dimension " + Twine(i) + " the input lacks");
        res.push_back(in[i]);
      } else if (c && *c == -1) {
        if (inferAt >= 0) return fail("Reshape shape has two -1 entries");
        inferAt = i;
        res.push_back(b.getIndexAttr(1));
      } else if (c && (*c < 0 || *c >= (int64_t(1) << 31))) {
        return fail("Reshape shape entry " + Twine(*c) + " is invalid");
      } else {
        res.push_back(f);
      }
    }
    OFR total = b.getIndexAttr(1);
    for (OFR f : in) total = mulOFR(total, f);
    OFR known = b.getIndexAttr(1);
    for (OFR f : res) known = mulOFR(known, f);
    if (inferAt >= 0) {
      auto ct = getConstantIntValue(total), ck = getConstantIntValue(known);
      if (ct && ck && (*ck == 0 || *ct % *ck != 0))
        return fail("Reshape cannot infer -1: " + Twine(*ct) + " elements into groups of " + Twine(*ck));
      res[inferAt] = divOFR(total, known);
    } else {
      auto ct = getConstantIntValue(total), ck = getConstantIntValue(known);
      if (ct && ck && *ct != *ck)
        return fail("Reshape of " + Twine(*ct) + " elements into " + Twine(*ck));
    }
    if (!sane(staticShape(res))) return fail("Reshape to an invalid or too large shape");
    return out(reshape(*x, res));
  }
  if (op == "Flatten") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    int64_t r = rank(*x);
    int64_t axis = intAttr(n, "axis", 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) return fail("Flatten axis out of range");
    SmallVector<OFR> in = sizes(*x);
    OFR p = b.getIndexAttr(1), q = b.getIndexAttr(1);
    for (int64_t i = 0; i < r; ++i) (i < axis ? p : q) = mulOFR(i < axis ? p : q, in[i]);
    return out(reshape(*x, {p, q}));
  }
  if (op == "Transpose") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    int64_t r = rank(*x);
    SmallVector<int64_t> perm;
    if (auto p = intsAttr(n, "perm")) perm = *p;
    else for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
    SmallVector<int64_t> sorted(perm);
    llvm::sort(sorted);
    if ((int64_t)perm.size() != r)
      return fail("Transpose perm is not a permutation of rank " + Twine(r));
    for (int64_t i = 0; i < (int64_t)sorted.size(); ++i)
      if (sorted[i] != i)
        return fail("Transpose perm is not a permutation of rank " + Twine(r));
    return out(transpose(*x, perm));
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    bool present;
    auto axes = axesOf(n, 1, present);
    if (failed(axes)) return failure();
    SmallVector<OFR> in = sizes(*x);
    auto sv = shapeValue(*x);
    if (op == "Unsqueeze") {
      int64_t r = rank(*x) + axes->size();
      SmallVector<int64_t> ax;
      for (int64_t a : *axes) {
        auto na = normAxis(a, r);
        if (failed(na)) return failure();
        ax.push_back(*na);
      }
      llvm::sort(ax);
      SmallVector<OFR> res;
      size_t j = 0;
      for (int64_t i = 0; i < r; ++i) {
        if (llvm::is_contained(ax, i)) res.push_back(b.getIndexAttr(1));
        else if (j < in.size()) res.push_back(in[j++]);
        else return fail("Unsqueeze axes repeat");
      }
      Value v = reshape(*x, res);
      if (sv && res.size() <= 1) shapeValues[v] = *sv;
      return out(v);
    }
    int64_t r = rank(*x);
    SmallVector<int64_t> ax;
    if (!present) {
      for (int64_t i = 0; i < r; ++i)
        if (ty(*x).getDimSize(i) == 1) ax.push_back(i);
    }
    for (int64_t a : *axes) {
      auto na = normAxis(a, r);
      if (failed(na)) return failure();
      if (ty(*x).getDimSize(*na) != 1 && !ty(*x).isDynamicDim(*na))
        return fail("Squeeze of dimension " + Twine(*na) + " of size " +
                    Twine(ty(*x).getDimSize(*na)));
      ax.push_back(*na);
    }
    SmallVector<OFR> res;
    for (int64_t i = 0; i < r; ++i)
      if (!llvm::is_contained(ax, i)) res.push_back(in[i]);
    Value v = reshape(*x, res);
    if (sv) shapeValues[v] = *sv;
    return out(v);
  }
  if (op == "Concat") {
    SmallVector<Value> xs;
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty()) continue;
      auto x = input(n, i);
      if (failed(x)) return failure();
      xs.push_back(*x);
    }
    if (xs.empty()) return fail("Concat of nothing");
    int64_t r = rank(xs[0]);
    // Shape vectors concatenate symbolically.
    SmallVector<OFR> joined;
    bool allShapes = r == 1;
    for (Value x : xs) {
      auto sv = shapeValue(x);
      if (!sv || rank(x) != 1) { allShapes = false; break; }
      joined.append(*sv);
    }
    if (allShapes && !isa<FloatType>(ty(xs[0]).getElementType()))
      return out(materializeShape(joined, false));
    auto axis = normAxis(intAttr(n, "axis", 0), r);
    if (failed(axis)) return failure();
    SmallVector<OFR> s = sizes(xs[0]);
    OFR total = b.getIndexAttr(0);
    for (Value x : xs) {
      if (rank(x) != r || ty(x).getElementType() != ty(xs[0]).getElementType())
        return fail("Concat of tensors of different ranks or element types");
      total = addOFR(total, sizes(x)[*axis]);
    }
    s[*axis] = total;
    Value acc = empty(s, ty(xs[0]).getElementType());
    OFR offset = b.getIndexAttr(0);
    for (Value x : xs) {
      SmallVector<OFR> offs(r, b.getIndexAttr(0)), strides(r, b.getIndexAttr(1));
      offs[*axis] = offset;
      SmallVector<OFR> xsz = sizes(x);
      acc = tensor::InsertSliceOp::create(b, loc, x, acc, offs, xsz, strides);
      offset = addOFR(offset, xsz[*axis]);
    }
    return out(acc);
  }
  if (op == "Split") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    int64_t r = rank(*x);
    auto axis = normAxis(intAttr(n, "axis", 0), r);
    if (failed(axis)) return failure();
    SmallVector<OFR> s = sizes(*x);
    SmallVector<int64_t> parts;
    if (auto a = intsAttr(n, "split")) parts = *a;
    else if (Value sp = optionalInput(n, 1)) {
      auto c = constInts(sp);
      if (!c) return fail("Split needs constant split sizes");
      parts = *c;
    }
    int64_t num = parts.empty() ? intAttr(n, "num_outputs", n.output_size()) : parts.size();
    if (num <= 0)
      return fail("Split needs at least one output");
    if ((int64_t)n.output_size() != num)
      return fail("Split into " + Twine(num) + " parts with " + Twine(n.output_size()) + " outputs");
    SmallVector<OFR> lens;
    if (parts.empty()) {
      auto d = getConstantIntValue(s[*axis]);
      if (!d) return fail("Split into equal parts of a dynamic dimension");
      int64_t chunk = (*d + num - 1) / num;
      for (int64_t i = 0; i < num; ++i)
        lens.push_back(b.getIndexAttr(std::max<int64_t>(0, std::min(chunk, *d - i * chunk))));
    } else {
      int64_t sum = 0;
      for (int64_t p : parts) {
        if (p < 0 || p >= (int64_t(1) << 40)) return fail("invalid Split size " + Twine(p));
        sum += p;
        lens.push_back(b.getIndexAttr(p));
      }
      auto d = getConstantIntValue(s[*axis]);
      if (d && *d != sum) return fail("Split sizes sum to " + Twine(sum) + " of " + Twine(*d));
    }
    OFR offset = b.getIndexAttr(0);
    for (int64_t i = 0; i < num; ++i) {
      SmallVector<OFR> offs(r, b.getIndexAttr(0)), strides(r, b.getIndexAttr(1)), sz(s);
      offs[*axis] = getConstantIntValue(lens[i]) == 0 ? OFR(b.getIndexAttr(0)) : offset;
      sz[*axis] = lens[i];
      Value v = getConstantIntValue(lens[i]) == 0
                    ? empty(sz, ty(*x).getElementType())
                    : tensor::ExtractSliceOp::create(b, loc, *x, offs, sz, strides).getResult();
      if (failed(define(outName(n, i), v))) return failure();
      offset = addOFR(offset, lens[i]);
    }
    return success();
  }
  if (op == "Slice") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    int64_t r = rank(*x);
    SmallVector<int64_t> starts, ends, axes, steps;
    if (auto a = intsAttr(n, "starts")) {
      starts = *a;
      ends = intsAttr(n, "ends").value_or(SmallVector<int64_t>{});
      axes = intsAttr(n, "axes").value_or(SmallVector<int64_t>{});
    } else {
      auto st = input(n, 1), en = input(n, 2);
      if (failed(st) || failed(en)) return failure();
      auto cs = constInts(*st), ce = constInts(*en);
      if (!cs || !ce) return fail("Slice needs constant starts and ends");
      starts = *cs; ends = *ce;
      if (Value a = optionalInput(n, 3)) {
        auto c = constInts(a);
        if (!c) return fail("Slice needs constant axes");
        axes = *c;
      }
      if (Value a = optionalInput(n, 4)) {
        auto c = constInts(a);
        if (!c) return fail("Slice needs constant steps");
        steps = *c;
      }
    }
    if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      return fail("Slice starts, ends, axes and steps differ in length");
    SmallVector<OFR> s = sizes(*x);
    SmallVector<OFR> offs(r, b.getIndexAttr(0)), sz(s), strides(r, b.getIndexAttr(1));
    auto sv = shapeValue(*x);
    SmallVector<int64_t> reversed;
    for (size_t i = 0; i < starts.size(); ++i) {
      auto a = normAxis(axes[i], r);
      if (failed(a)) return failure();
      // Steps beyond any size select one element; clamping keeps the
      // arithmetic below from overflowing.
      int64_t step = std::clamp<int64_t>(steps[i], -(int64_t(1) << 32), int64_t(1) << 32);
      if (step == 0) return fail("Slice with step 0");
      auto d = getConstantIntValue(s[*a]);
      if (step < 0) {
        // Backwards: the forward slice of the same elements, reversed.
        if (!d) return fail("Slice with a negative step of a dynamic dimension is not supported");
        int64_t dim = *d, st = starts[i], en = ends[i];
        if (st < 0) st += dim;
        if (en < 0) en += dim;
        st = std::clamp<int64_t>(st, -1, dim - 1);
        en = std::clamp<int64_t>(en, -1, dim - 1);
        int64_t len = st > en ? (st - en + (-step) - 1) / (-step) : 0;
        offs[*a] = b.getIndexAttr(len ? st + (len - 1) * step : 0);
        sz[*a] = b.getIndexAttr(len);
        strides[*a] = b.getIndexAttr(-step);
        if (len > 1) reversed.push_back(*a);
        continue;
      }
      int64_t st = starts[i], en = ends[i];
      if (!d) {
        // A dynamic dimension: from a non-negative start to the end.
        if (st < 0 || en < (int64_t(1) << 31) || step != 1)
          return fail("Slice of a dynamic dimension must run from a non-negative start to the end");
        offs[*a] = b.getIndexAttr(st);
        sz[*a] = subOFR(s[*a], b.getIndexAttr(st));
        continue;
      }
      int64_t dim = *d;
      if (st < 0) st += dim;
      if (en < 0) en += dim;
      st = std::clamp<int64_t>(st, 0, dim);
      en = std::clamp<int64_t>(en, 0, dim);
      int64_t len = en > st ? (en - st + step - 1) / step : 0;
      offs[*a] = b.getIndexAttr(len ? st : 0);
      sz[*a] = b.getIndexAttr(len);
      strides[*a] = b.getIndexAttr(step);
    }
    bool emptySlice = llvm::any_of(sz, [](OFR f) { return getConstantIntValue(f) == 0; });
    Value v = emptySlice ? empty(sz, ty(*x).getElementType())
                         : tensor::ExtractSliceOp::create(b, loc, *x, offs, sz, strides).getResult();
    if (!reversed.empty() && !emptySlice) {
      SmallVector<OFR> vs = sizes(v);
      Value init = empty(vs, ty(v).getElementType());
      Value src = v;
      SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(r)};
      SmallVector<utils::IteratorType> its(r, utils::IteratorType::parallel);
      v = linalg::GenericOp::create(
              b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init}, maps, its,
              [&](OpBuilder &nb, Location l, ValueRange) {
                SmallVector<Value> idx;
                for (int64_t k = 0; k < r; ++k) {
                  Value i = linalg::IndexOp::create(nb, l, k);
                  if (llvm::is_contained(reversed, k)) {
                    Value last = arith::ConstantIndexOp::create(
                        nb, l, *getConstantIntValue(vs[k]) - 1);
                    i = arith::SubIOp::create(nb, l, last, i);
                  }
                  idx.push_back(i);
                }
                linalg::YieldOp::create(nb, l, tensor::ExtractOp::create(nb, l, src, idx).getResult());
              })
              ->getResult(0);
      sv.reset();
    }
    if (sv && r == 1) {
      auto o = getConstantIntValue(offs[0]), l = getConstantIntValue(sz[0]),
           k = getConstantIntValue(strides[0]);
      if (o && l && k) {
        SmallVector<OFR> part;
        for (int64_t i = 0; i < *l; ++i) part.push_back((*sv)[*o + i * *k]);
        shapeValues[v] = part;
      }
    }
    return out(v);
  }
  if (op == "Gather") {
    auto x = input(n, 0), idx = input(n, 1);
    if (failed(x) || failed(idx)) return failure();
    int64_t r = rank(*x);
    auto axis = normAxis(intAttr(n, "axis", 0), r);
    if (failed(axis)) return failure();
    if (!ty(*idx).getElementType().isInteger(64) && !ty(*idx).getElementType().isInteger(32))
      return fail("Gather indices must be int32 or int64");
    // Shape vectors gathered by constant indices stay symbolic.
    auto sv = shapeValue(*x);
    auto ci = constInts(*idx);
    if (sv && r == 1 && ci) {
      SmallVector<OFR> picked;
      for (int64_t i : *ci) {
        int64_t j = i < 0 ? i + (int64_t)sv->size() : i;
        if (j < 0 || j >= (int64_t)sv->size()) return fail("Gather index " + Twine(i) + " out of range");
        picked.push_back((*sv)[j]);
      }
      return out(materializeShape(picked, rank(*idx) == 0));
    }
    SmallVector<OFR> s = sizes(*x), is = sizes(*idx), rs;
    for (int64_t i = 0; i < *axis; ++i) rs.push_back(s[i]);
    rs.append(is.begin(), is.end());
    for (int64_t i = *axis + 1; i < r; ++i) rs.push_back(s[i]);
    int64_t ri = rank(*idx), rr = rs.size();
    // A constant scalar index is a slice.
    if (ci && ri == 0) {
      auto d = getConstantIntValue(s[*axis]);
      int64_t j = (*ci)[0];
      if (d && j < 0) j += *d;
      if ((d && (j < 0 || j >= *d)))
        return fail("Gather index " + Twine((*ci)[0]) + " out of range for size " + Twine(*d));
      SmallVector<OFR> offs(r, b.getIndexAttr(0)), sz(s), strides(r, b.getIndexAttr(1));
      // A negative index of a dynamic dimension counts from its end.
      offs[*axis] = j < 0 ? addOFR(s[*axis], b.getIndexAttr(j)) : OFR(b.getIndexAttr(j));
      sz[*axis] = b.getIndexAttr(1);
      auto rt = RankedTensorType::get(staticShape(rs), ty(*x).getElementType());
      return out(tensor::ExtractSliceOp::create(b, loc, rt, *x, offs, sz, strides));
    }
    // General: a generic reading the index and extracting the element.
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < ri; ++i) idxExprs.push_back(b.getAffineDimExpr(*axis + i));
    SmallVector<AffineMap> maps{AffineMap::get(rr, 0, idxExprs, ctx),
                                b.getMultiDimIdentityMap(rr)};
    SmallVector<utils::IteratorType> its(rr, utils::IteratorType::parallel);
    Value init = empty(rs, ty(*x).getElementType());
    Value data = *x;
    OFR axisSize = s[*axis];
    Value g = linalg::GenericOp::create(
                  b, loc, TypeRange{init.getType()}, ValueRange{*idx}, ValueRange{init}, maps, its,
                  [&](OpBuilder &nb, Location l, ValueRange args) {
                    Value i = arith::IndexCastOp::create(nb, l, nb.getIndexType(), args[0]);
                    Value sizeV = isa<Value>(axisSize)
                                      ? cast<Value>(axisSize)
                                      : arith::ConstantIndexOp::create(nb, l, *getConstantIntValue(axisSize)).getResult();
                    Value zero = arith::ConstantIndexOp::create(nb, l, 0);
                    Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i, zero);
                    Value wrapped = arith::AddIOp::create(nb, l, i, sizeV);
                    i = arith::SelectOp::create(nb, l, neg, wrapped, i);
                    // Out-of-range indices clamp (ONNX leaves them undefined).
                    Value last = arith::SubIOp::create(nb, l, sizeV, arith::ConstantIndexOp::create(nb, l, 1));
                    i = arith::MaxSIOp::create(nb, l, i, zero);
                    i = arith::MinSIOp::create(nb, l, i, last);
                    SmallVector<Value> coords;
                    for (int64_t k = 0; k < r; ++k) {
                      if (k < *axis) coords.push_back(linalg::IndexOp::create(nb, l, k));
                      else if (k == *axis) coords.push_back(i);
                      else coords.push_back(linalg::IndexOp::create(nb, l, k - 1 + ri));
                    }
                    Value e = tensor::ExtractOp::create(nb, l, data, coords);
                    linalg::YieldOp::create(nb, l, e);
                  })
                  ->getResult(0);
    return out(g);
  }
  if (op == "Expand") {
    auto x = input(n, 0), s = input(n, 1);
    if (failed(x) || failed(s)) return failure();
    auto target = shapeValue(*s);
    if (!target) return fail("Expand needs a shape known at import time");
    // Bidirectional: broadcast the input against a probe of the target.
    int64_t r = std::max<int64_t>(rank(*x), target->size());
    SmallVector<OFR> in = sizes(*x), res(r);
    for (int64_t i = 0; i < r; ++i) {
      int64_t oi = i - (r - rank(*x)), ti = i - (r - (int64_t)target->size());
      OFR a = oi >= 0 ? in[oi] : b.getIndexAttr(1);
      OFR t = ti >= 0 ? (*target)[ti] : b.getIndexAttr(1);
      auto ca = getConstantIntValue(a), ct = getConstantIntValue(t);
      if (ct && *ct == 1) res[i] = a;
      else if (ca && *ca == 1) res[i] = t;
      else if (ca && ct && *ca != *ct) return fail("Expand of " + Twine(*ca) + " to " + Twine(*ct));
      else res[i] = ca ? a : t;
    }
    if (!sane(staticShape(res))) return fail("Expand to an invalid or too large shape");
    return out(broadcastTo(*x, res));
  }
  if (op == "Size") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    OFR total = b.getIndexAttr(1);
    for (OFR f : sizes(*x)) total = mulOFR(total, f);
    return out(materializeShape({total}, true));
  }
  if (op == "Shape") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    SmallVector<OFR> s = sizes(*x);
    int64_t r = s.size();
    int64_t st = intAttr(n, "start", 0), en = intAttr(n, "end", r);
    if (st < 0) st += r;
    if (en < 0) en += r;
    st = std::clamp<int64_t>(st, 0, r);
    en = std::clamp<int64_t>(en, st, r);
    return out(materializeShape(ArrayRef<OFR>(s).slice(st, en - st), false));
  }
  if (op == "ConstantOfShape") {
    auto s = input(n, 0);
    if (failed(s)) return failure();
    auto target = shapeValue(*s);
    if (!target) return fail("ConstantOfShape needs a shape known at import time");
    TypedAttr value = b.getF32FloatAttr(0.0f);
    if (auto *a = attr(n, "value")) {
      Type elt = elementType(ctx, a->t().data_type());
      if (!elt) return fail("ConstantOfShape value of unsupported type");
      std::string err;
      auto bytes = tensorBytes(a->t(), elt, 1, baseDir, err);
      if (failed(bytes)) return fail(err);
      auto attrv = elementsAttr(RankedTensorType::get({1}, elt), *bytes, "", false);
      value = cast<TypedAttr>(cast<DenseElementsAttr>(attrv).getSplatValue<Attribute>());
    }
    SmallVector<int64_t> st = staticShape(*target);
    if (!sane(st)) return fail("ConstantOfShape of an invalid or too large shape");
    Value v;
    if (llvm::none_of(st, ShapedType::isDynamic))
      v = splat(RankedTensorType::get(st, value.getType()), value);
    else
      v = filled(*target, value.getType(), value);
    return out(v);
  }
  if (op == "Constant") {
    Type elt;
    RankedTensorType t;
    ElementsAttr value;
    if (auto *a = attr(n, "value")) {
      elt = elementType(ctx, a->t().data_type());
      if (!elt) return fail("Constant of unsupported type " + Twine(dataTypeName(a->t().data_type())));
      SmallVector<int64_t> shape(a->t().dims().begin(), a->t().dims().end());
      if (!sane(shape)) return fail("Constant has an invalid or too large shape");
      int64_t numel = 1;
      for (int64_t d : shape) numel *= d;
      std::string err;
      auto bytes = tensorBytes(a->t(), elt, numel, baseDir, err);
      if (failed(bytes)) return fail(err);
      t = RankedTensorType::get(shape, elt);
      value = elementsAttr(t, *bytes, sanitizeSymbol(outName(n, 0)), numel > 4096);
    } else if (auto *a = attr(n, "value_float")) {
      t = RankedTensorType::get({}, b.getF32Type());
      value = DenseElementsAttr::get(t, a->f());
    } else if (auto *a = attr(n, "value_floats")) {
      SmallVector<float> v(a->floats().begin(), a->floats().end());
      t = RankedTensorType::get({(int64_t)v.size()}, b.getF32Type());
      value = DenseElementsAttr::get(t, ArrayRef<float>(v));
    } else if (auto *a = attr(n, "value_int")) {
      t = RankedTensorType::get({}, b.getI64Type());
      value = DenseElementsAttr::get(t, a->i());
    } else if (auto *a = attr(n, "value_ints")) {
      SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
      t = RankedTensorType::get({(int64_t)v.size()}, b.getI64Type());
      value = DenseElementsAttr::get(t, ArrayRef<int64_t>(v));
    } else {
      return fail("Constant without a supported value attribute");
    }
    if (!value) return fail("Constant contents do not match its type");
    return out(arith::ConstantOp::create(b, loc, cast<TypedAttr>(value)));
  }
  if (op == "Identity" || op == "Dropout") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    if (op == "Dropout" && intAttr(n, "is_test", 1) == 0 && opset < 7)
      return fail("Dropout in training mode is not supported");
    if (op == "Dropout" && outputUsed(n, 1))
      return fail("Dropout's mask output is not supported");
    return out(*x);
  }
  if (op == "Cast" || op == "CastLike") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    Type elt;
    if (op == "Cast") {
      elt = elementType(ctx, intAttr(n, "to", 0));
      if (!elt) return fail("Cast to unsupported type " + Twine(dataTypeName(intAttr(n, "to", 0))));
    } else {
      auto like = input(n, 1);
      if (failed(like)) return failure();
      elt = ty(*like).getElementType();
    }
    Value v = castTo(*x, elt);
    if (auto sv = shapeValue(*x); sv && !isa<FloatType>(elt)) shapeValues[v] = *sv;
    return out(v);
  }
  if (op == "LayerNormalization" || op == "RMSNormalization" ||
      op == "SimplifiedLayerNormalization" || op == "SkipLayerNormalization" ||
      op == "SkipSimplifiedLayerNormalization") {
    bool skip = op.starts_with("Skip");
    bool rms = op != "LayerNormalization" && op != "SkipLayerNormalization";
    auto x = input(n, 0);
    if (failed(x)) return failure();
    int64_t r = rank(*x);
    Type elt = ty(*x).getElementType();
    if (!isLFType(elt)) return fail("'" + op + "' needs an f32, f16 or bf16 input");
    Value res, gain, bias, extraBias;
    if (skip) {
      auto s = input(n, 1), g = input(n, 2);
      if (failed(s) || failed(g)) return failure();
      res = *s; gain = *g;
      if (!rms) bias = optionalInput(n, 3);
      extraBias = optionalInput(n, rms ? 3 : 4);
      if (ty(res) != ty(*x)) return fail("'" + op + "' skip input differs from its input");
    } else {
      auto g = input(n, 1);
      if (failed(g)) return failure();
      gain = *g;
      if (!rms) bias = optionalInput(n, 2);
    }
    float eps = floatAttr(n, "epsilon", 1e-5f);
    auto axis = normAxis(intAttr(n, "axis", -1), r);
    if (failed(axis)) return failure();
    if (rms && (outputUsed(n, 1) || outputUsed(n, 2)))
      return fail("'" + op + "' statistics outputs are not supported");
    // Normalize over [axis, r): collapse those dimensions into one.
    SmallVector<OFR> s = sizes(*x);
    OFR inner = b.getIndexAttr(1);
    SmallVector<OFR> rows(s.begin(), s.begin() + *axis);
    for (int64_t i = *axis; i < r; ++i) inner = mulOFR(inner, s[i]);
    SmallVector<OFR> flatS(rows);
    flatS.push_back(inner);
    auto prepParam = [&](Value p) -> FailureOr<Value> {
      if (!p) return Value();
      if (ty(p).getElementType() != elt) return fail("'" + op + "' parameter of another element type");
      // Parameters cover the normalized dimensions (broadcast if smaller).
      SmallVector<OFR> ns(s.begin() + *axis, s.end());
      if (rank(p) > (int64_t)ns.size())
        return fail("'" + op + "' parameter has more dimensions than are normalized");
      Value full = broadcastTo(p, ns);
      return reshape(full, {inner});
    };
    auto g2 = prepParam(gain), b2 = prepParam(bias);
    if (failed(g2) || failed(b2)) return failure();
    Value xin = reshape(*x, flatS);
    if (extraBias) {
      auto e = binary("Add", *x, extraBias);
      if (failed(e)) return failure();
      xin = reshape(*e, flatS);
    }
    auto ft = ty(xin);
    FloatAttr epsA = b.getF32FloatAttr(eps);
    Value y, sum;
    if (skip) {
      Value rin = reshape(res, flatS);
      auto fused = ResidualNormOp::create(
          b, loc, ft, ft, NormKindAttr::get(ctx, rms ? NormKind::rms : NormKind::layer),
          xin, rin, *g2, *b2, epsA, FloatAttr());
      sum = fused.getSum();
      y = fused.getResult();
    } else if (rms) {
      y = RMSNormOp::create(b, loc, ft, xin, *g2, epsA, FloatAttr());
    } else {
      y = LayerNormOp::create(b, loc, ft, xin, *g2, *b2, epsA, FloatAttr());
    }
    if (failed(define(outName(n, 0), reshape(y, s)))) return failure();
    // LayerNorm's optional Mean and InvStdDev outputs, in f32 (stash_type),
    // shaped like the input with the normalized dimensions set to 1.
    if (!rms && (outputUsed(n, 1) || outputUsed(n, 2))) {
      Type f32 = b.getF32Type();
      Value x32 = castTo(xin, f32);
      int64_t fr = rank(x32);
      Value mean = reduce(x32, {fr - 1}, true, "Mean");
      auto dv = binary("Sub", x32, mean);
      if (failed(dv)) return failure();
      Value var = reduce(arith::MulFOp::create(b, loc, *dv, *dv), {fr - 1}, true, "Mean");
      auto ve = binary("Add", var, splat(RankedTensorType::get({}, f32), b.getF32FloatAttr(eps)));
      if (failed(ve)) return failure();
      Value inv = unaryMath("Reciprocal", unaryMath("Sqrt", *ve));
      SmallVector<OFR> statS(rows);
      for (int64_t i = *axis; i < r; ++i) statS.push_back(b.getIndexAttr(1));
      int outs[2] = {1, 2};
      Value vals[2] = {mean, inv};
      for (int k = 0; k < 2; ++k)
        if (outputUsed(n, outs[k]) &&
            failed(define(outName(n, outs[k]), reshape(vals[k], statS))))
          return failure();
    }
    if (skip && outputUsed(n, 3)) return define(outName(n, 3), reshape(sum, s));
    return success();
  }
  if (op == "BatchNormalization") {
    auto x = input(n, 0), g = input(n, 1), bb = input(n, 2), m = input(n, 3), v = input(n, 4);
    if (failed(x) || failed(g) || failed(bb) || failed(m) || failed(v)) return failure();
    if (intAttr(n, "training_mode", 0) != 0 || outputUsed(n, 1) || outputUsed(n, 2))
      return fail("BatchNormalization in training mode is not supported (inference form only)");
    if (!isLFType(ty(*x).getElementType()) || rank(*x) < 2)
      return fail("BatchNormalization needs an f32, f16 or bf16 input of rank >= 2");
    auto bn = BatchNormOp::create(b, loc, ty(*x), *x, *m, *v, *g, *bb,
                                  b.getF32FloatAttr(floatAttr(n, "epsilon", 1e-5f)),
                                  b.getI64IntegerAttr(1));
    return out(bn);
  }
  return fail("no importer for '" + op + "'");
}

LogicalResult Importer::importCustomNode(const onnx::NodeProto &n) {
  StringRef op = n.op_type();
  auto featureMap = [&](FeatureMap &fm) -> LogicalResult {
    std::string s = stringAttr(n, "feature_map", "identity");
    auto v = symbolizeFeatureMap(s);
    if (!v) return fail("unknown feature_map '" + s + "'");
    fm = *v;
    return success();
  };
  if (op == "RMSNorm") {
    auto x = input(n, 0);
    if (failed(x)) return failure();
    Value g = optionalInput(n, 1);
    FloatAttr scale;
    if (auto *a = attr(n, "scale")) scale = b.getF32FloatAttr(a->f());
    auto r = RMSNormOp::create(b, loc, ty(*x), *x, g,
                               b.getF32FloatAttr(floatAttr(n, "epsilon", 1e-6f)), scale);
    return define(outName(n, 0), r);
  }
  if (op == "LinearAttention") {
    auto q = input(n, 0), k = input(n, 1), v = input(n, 2);
    if (failed(q) || failed(k) || failed(v)) return failure();
    Value decay = optionalInput(n, 3);
    FeatureMap fm;
    if (failed(featureMap(fm))) return failure();
    bool causal = intAttr(n, "causal", 1) != 0;
    bool withState = n.output_size() > 1 && !n.output(1).empty();
    SmallVector<Type> rts{ty(*v)};
    auto qt = ty(*q), vt = ty(*v);
    if (qt.getRank() != 4 || vt.getRank() != 4)
      return fail("LinearAttention needs [B, H, N, D] query, key and value");
    if (withState)
      rts.push_back(RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(3),
                                           vt.getDimSize(3)}, b.getF32Type()));
    OperationState st(loc, LinearAttentionOp::getOperationName());
    st.addOperands({*q, *k, *v});
    if (decay) st.addOperands(decay);
    st.addTypes(rts);
    st.addAttribute("causal", b.getBoolAttr(causal));
    st.addAttribute("feature_map", FeatureMapAttr::get(ctx, fm));
    if (withState) st.addAttribute("return_state", b.getUnitAttr());
    Operation *o = b.create(st);
    if (failed(define(outName(n, 0), o->getResult(0)))) return failure();
    if (withState) return define(outName(n, 1), o->getResult(1));
    return success();
  }
  if (op == "LinearAttentionStep") {
    auto q = input(n, 0), k = input(n, 1), v = input(n, 2), s = input(n, 3);
    if (failed(q) || failed(k) || failed(v) || failed(s)) return failure();
    Value decay = optionalInput(n, 4);
    FeatureMap fm;
    if (failed(featureMap(fm))) return failure();
    OperationState st(loc, LinearAttentionStepOp::getOperationName());
    st.addOperands({*q, *k, *v, *s});
    if (decay) st.addOperands(decay);
    st.addTypes({ty(*v), ty(*s)});
    st.addAttribute("feature_map", FeatureMapAttr::get(ctx, fm));
    Operation *o = b.create(st);
    if (failed(define(outName(n, 0), o->getResult(0)))) return failure();
    return define(outName(n, 1), o->getResult(1));
  }
  return fail("no importer for '" + std::string(kONNXDomain) + "::" + op.str() + "'");
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

FailureOr<ONNXImportResult> Importer::run() {
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  loc = FileLineColLoc::get(ctx, fileName, 0, 0);

  // Every unsupported node at once.
  {
    std::string missing;
    int count = 0;
    for (int i = 0; i < graph.node_size(); ++i) {
      const auto &n = graph.node(i);
      if (isSupported(n)) continue;
      Location l = nodeLoc(n, i);
      InFlightDiagnostic d = emitError(l) << "unsupported ONNX op '"
                                          << (n.domain().empty() ? "" : n.domain() + "::")
                                          << n.op_type() << "'";
      (void)d;
      ++count;
    }
    if (count)
      return emitError(loc) << count << " node(s) of this graph have no lightfuse importer (listed above)",
             failure();
  }
  for (const auto &n : graph.node())
    for (const auto &i : n.input()) usedNames.insert(i);
  for (const auto &o : graph.output()) usedNames.insert(o.name());

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  // Initializers and inputs.
  llvm::StringMap<const onnx::TensorProto *> inits;
  for (const auto &t : graph.initializer()) inits[t.name()] = &t;
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<std::pair<std::string, int>> weightArgs; // name, arg index
  for (const auto &in : graph.input()) {
    if (inits.count(in.name())) continue;
    if (!in.type().has_tensor_type())
      return emitError(loc) << "graph input '" << in.name() << "' is not a tensor", failure();
    const auto &tt = in.type().tensor_type();
    Type elt = elementType(ctx, tt.elem_type());
    if (!elt)
      return emitError(loc) << "graph input '" << in.name() << "' has unsupported element type "
                            << dataTypeName(tt.elem_type()), failure();
    SmallVector<int64_t> shape;
    if (!tt.has_shape())
      return emitError(loc) << "graph input '" << in.name() << "' has no shape (rank unknown)", failure();
    for (const auto &d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() >= 0) shape.push_back(d.dim_value());
      else if (d.has_dim_param() && opts.dims.count(d.dim_param())) shape.push_back(opts.dims.lookup(d.dim_param()));
      else shape.push_back(ShapedType::kDynamic);
    }
    if (!sane(shape))
      return emitError(loc) << "graph input '" << in.name() << "' has a too large shape", failure();
    argTypes.push_back(RankedTensorType::get(shape, elt));
    argNames.push_back(in.name());
  }
  unsigned numInputs = argTypes.size();
  // Weights: contents read up front (one error per bad initializer).
  struct Init { std::string name; RankedTensorType type; std::vector<char> data; bool asArg; };
  std::vector<Init> initList;
  for (const auto &t : graph.initializer()) {
    Type elt = elementType(ctx, t.data_type());
    if (!elt)
      return emitError(loc) << "initializer '" << t.name() << "' has unsupported element type "
                            << dataTypeName(t.data_type()), failure();
    SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
    if (!sane(shape))
      return emitError(loc) << "initializer '" << t.name() << "' has a negative or too large dimension", failure();
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    std::string err;
    auto bytes = tensorBytes(t, elt, numel, baseDir, err);
    if (failed(bytes)) return emitError(loc) << err, failure();
    bool asArg = opts.weights == ONNXImportOptions::Weights::Arguments &&
                 isLFType(elt) && numel > opts.inlineLimit;
    initList.push_back({t.name(), RankedTensorType::get(shape, elt), std::move(*bytes), asArg});
    if (asArg) {
      argTypes.push_back(initList.back().type);
      argNames.push_back(t.name());
    }
  }

  std::string fname = opts.funcName.empty()
                          ? (graph.name().empty() ? "main" : sanitizeSymbol(graph.name()))
                          : opts.funcName;
  auto fnType = b.getFunctionType(argTypes, {});
  auto fn = func::FuncOp::create(b, loc, fname, fnType);
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ONNXImportResult result;
  for (unsigned i = 0; i < argTypes.size(); ++i) {
    values[argNames[i]] = entry->getArgument(i);
    fn.setArgAttr(i, "lf.name", b.getStringAttr(argNames[i]));
    if (i >= numInputs) fn.setArgAttr(i, "lf.weight", b.getUnitAttr());
  }
  unsigned argi = numInputs;
  for (auto &in : initList) {
    if (in.asArg) {
      result.weights.push_back({in.name, in.type, argi++, std::move(in.data)});
      continue;
    }
    bool resource = in.type.getNumElements() > 4096;
    ElementsAttr a = elementsAttr(in.type, in.data, sanitizeSymbol(in.name), resource);
    if (!a) return emitError(loc) << "initializer '" << in.name << "' cannot be represented", failure();
    values[in.name] = arith::ConstantOp::create(b, loc, cast<TypedAttr>(a));
  }

  for (int i = 0; i < graph.node_size(); ++i) {
    const auto &n = graph.node(i);
    loc = nodeLoc(n, i);
    if (failed(importNode(n))) return failure();
  }
  loc = FileLineColLoc::get(ctx, fileName, 0, 0);
  SmallVector<Value> rets;
  SmallVector<Type> retTypes;
  for (const auto &o : graph.output()) {
    auto it = values.find(o.name());
    if (it == values.end())
      return emitError(loc) << "graph output '" << o.name() << "' is never computed", failure();
    Value v = it->second;
    if (o.type().has_tensor_type()) {
      Type want = elementType(ctx, o.type().tensor_type().elem_type());
      if (want && want != ty(v).getElementType())
        return emitError(loc) << "graph output '" << o.name() << "' is declared "
                              << want << " but computes " << ty(v).getElementType(), failure();
      // A declared static shape refines a dynamic result.
      if (o.type().tensor_type().has_shape() &&
          o.type().tensor_type().shape().dim_size() == rank(v)) {
        SmallVector<int64_t> declared;
        bool refine = false;
        for (int d = 0; d < rank(v); ++d) {
          const auto &dim = o.type().tensor_type().shape().dim(d);
          int64_t have = ty(v).getDimSize(d);
          if (dim.has_dim_value() && dim.dim_value() > 0) {
            if (!ShapedType::isDynamic(have) && have != dim.dim_value())
              return emitError(loc) << "graph output '" << o.name() << "' is declared with dimension "
                                    << d << " = " << dim.dim_value() << " but computes " << have, failure();
            refine |= ShapedType::isDynamic(have);
            declared.push_back(dim.dim_value());
          } else {
            declared.push_back(have);
          }
        }
        if (refine)
          v = tensor::CastOp::create(b, loc, RankedTensorType::get(declared, ty(v).getElementType()), v);
      }
    }
    rets.push_back(v);
    retTypes.push_back(v.getType());
  }
  func::ReturnOp::create(b, loc, rets);
  fn.setType(b.getFunctionType(argTypes, retTypes));
  for (unsigned i = 0; i < retTypes.size(); ++i)
    fn.setResultAttr(i, "lf.name", b.getStringAttr(graph.output(i).name()));
  if (failed(verify(*module))) return failure();
  result.module = std::move(module);
  return result;
}

} // namespace

FailureOr<ONNXImportResult>
lf::importONNXBuffer(StringRef bytes, StringRef name, StringRef baseDir,
                     MLIRContext *context, const ONNXImportOptions &options) {
  context->loadDialect<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                       math::MathDialect, tensor::TensorDialect, LFDialect>();
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(FileLineColLoc::get(context, name, 0, 0))
        << "not an ONNX model (the protobuf does not parse)";
    return failure();
  }
  if (!model.has_graph()) {
    emitError(FileLineColLoc::get(context, name, 0, 0)) << "ONNX model has no graph";
    return failure();
  }
  Importer imp(context, model, name, baseDir, options);
  return imp.run();
}

FailureOr<ONNXImportResult>
lf::importONNXFile(StringRef path, MLIRContext *context,
                   const ONNXImportOptions &options) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << "cannot read '" << path << "': " << buf.getError().message();
    return failure();
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty()) dir = ".";
  return importONNXBuffer((*buf)->getBuffer(), path, dir, context, options);
}
