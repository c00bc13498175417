//===- HostTensor.cpp - dense host tensors and .npy files -----------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "lightfuse/ExecutionEngine/HostTensor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <fstream>

using namespace mlir::lf;


static uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
static float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float mlir::lf::halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0x1f) // inf / nan
    return floatOf(sign | 0x7f800000u | (man << 13));
  if (exp == 0) { // zero / subnormal
    float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  return floatOf(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t mlir::lf::floatToHalf(float f) {
  uint32_t u = bitsOf(f);
  uint16_t sign = (u >> 16) & 0x8000u;
  uint32_t absu = u & 0x7fffffffu;
  if (absu >= 0x7f800000u) // inf / nan
    return sign | 0x7c00u | (absu > 0x7f800000u ? 0x200u : 0);
  if (absu >= 0x477ff000u) // rounds to >= 65520: overflow to inf
    return sign | 0x7c00u;
  if (absu < 0x38800000u) { // below the smallest normal: subnormal or zero
    float a = floatOf(absu);
    // Round to nearest even in units of 2^-24.
    float scaled = a * 16777216.0f;
    float r = std::nearbyint(scaled);
    return sign | static_cast<uint16_t>(r);
  }
  uint32_t mant = absu & 0x7fffffu;
  uint32_t exp = (absu >> 23) - 112;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h;
  return sign | static_cast<uint16_t>(h);
}

float mlir::lf::bf16ToFloat(uint16_t h) {
  return floatOf(static_cast<uint32_t>(h) << 16);
}

uint16_t mlir::lf::floatToBF16(float f) {
  uint32_t u = bitsOf(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) // nan: keep it quiet
    return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

float HostTensor::at(int64_t i) const {
  switch (dtype) {
  case DType::f32: {
    float v;
    std::memcpy(&v, data.data() + 4 * i, 4);
    return v;
  }
  case DType::f16:
  case DType::bf16: {
    uint16_t h;
    std::memcpy(&h, data.data() + 2 * i, 2);
    return dtype == DType::f16 ? halfToFloat(h) : bf16ToFloat(h);
  }
  case DType::i64: {
    int64_t v;
    std::memcpy(&v, data.data() + 8 * i, 8);
    return static_cast<float>(v);
  }
  case DType::i32: {
    int32_t v;
    std::memcpy(&v, data.data() + 4 * i, 4);
    return static_cast<float>(v);
  }
  }
  return 0;
}

void HostTensor::set(int64_t i, float v) {
  switch (dtype) {
  case DType::f32:
    std::memcpy(data.data() + 4 * i, &v, 4);
    return;
  case DType::f16:
  case DType::bf16: {
    uint16_t h = dtype == DType::f16 ? floatToHalf(v) : floatToBF16(v);
    std::memcpy(data.data() + 2 * i, &h, 2);
    return;
  }
  case DType::i64: {
    int64_t x = static_cast<int64_t>(v);
    std::memcpy(data.data() + 8 * i, &x, 8);
    return;
  }
  case DType::i32: {
    int32_t x = static_cast<int32_t>(v);
    std::memcpy(data.data() + 4 * i, &x, 4);
    return;
  }
  }
}

HostTensor HostTensor::zeros(DType dtype, std::vector<int64_t> shape) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.assign(t.numElements() * dtypeSize(dtype), 0);
  return t;
}

HostTensor HostTensor::convertTo(DType to) const {
  if (to == dtype)
    return *this;
  HostTensor out = zeros(to, shape);
  for (int64_t i = 0, n = numElements(); i < n; ++i)
    out.set(i, at(i));
  return out;
}

std::string HostTensor::describe() const {
  std::string s = dtypeName(dtype);
  s += "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

/// Extracts the value of `'key': value` from the header dict.
static std::optional<std::string> headerField(llvm::StringRef header,
                                              llvm::StringRef key) {
  std::string pat = ("'" + key + "':").str();
  size_t p = header.find(pat);
  if (p == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef rest = header.drop_front(p + pat.size()).ltrim();
  if (rest.starts_with("(")) {
    size_t e = rest.find(')');
    if (e == llvm::StringRef::npos)
      return std::nullopt;
    return rest.slice(0, e + 1).str();
  }
  size_t e = rest.find_first_of(",}");
  return rest.slice(0, e).trim().str();
}

std::optional<HostTensor> mlir::lf::readNpy(llvm::StringRef path,
                                            std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    error = ("cannot read '" + path + "': " + buf.getError().message()).str();
    return std::nullopt;
  }
  llvm::StringRef bytes = (*buf)->getBuffer();
  auto fail = [&](const llvm::Twine &why) -> std::optional<HostTensor> {
    error = ("'" + path + "' is not a supported .npy file: " + why).str();
    return std::nullopt;
  };
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return fail("bad magic");
  uint8_t major = bytes[6];
  size_t hlen, hoff;
  if (major == 1) {
    hlen = static_cast<uint8_t>(bytes[8]) |
           (static_cast<uint8_t>(bytes[9]) << 8);
    hoff = 10;
  } else {
    if (bytes.size() < 12)
      return fail("truncated header");
    hlen = static_cast<uint8_t>(bytes[8]) |
           (static_cast<uint8_t>(bytes[9]) << 8) |
           (static_cast<uint8_t>(bytes[10]) << 16) |
           (static_cast<size_t>(static_cast<uint8_t>(bytes[11])) << 24);
    hoff = 12;
  }
  if (hoff + hlen > bytes.size())
    return fail("truncated header");
  llvm::StringRef header = bytes.substr(hoff, hlen);
  auto descr = headerField(header, "descr");
  auto order = headerField(header, "fortran_order");
  auto shapeStr = headerField(header, "shape");
  if (!descr || !order || !shapeStr)
    return fail("missing descr, fortran_order or shape");
  if (*order != "False")
    return fail("Fortran order is not supported");
  HostTensor t;
  if (*descr == "'<f4'")
    t.dtype = DType::f32;
  else if (*descr == "'<f2'")
    t.dtype = DType::f16;
  else if (*descr == "'<i8'")
    t.dtype = DType::i64;
  else if (*descr == "'<i4'")
    t.dtype = DType::i32;
  else
    return fail("dtype " + *descr + " (expected '<f4', '<f2', '<i8' or '<i4')");
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(*shapeStr).trim("()").split(parts, ',', -1, false);
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.trim().getAsInteger(10, d) || d < 0)
      return fail("bad shape " + *shapeStr);
    t.shape.push_back(d);
  }
  size_t nbytes = t.numElements() * dtypeSize(t.dtype);
  if (hoff + hlen + nbytes != bytes.size())
    return fail("data size does not match shape " + *shapeStr);
  const char *p = bytes.data() + hoff + hlen;
  t.data.assign(p, p + nbytes);
  return t;
}

bool mlir::lf::writeNpy(llvm::StringRef path, const HostTensor &in,
                        std::string &error) {
  const HostTensor &t =
      in.dtype == DType::bf16 ? in.convertTo(DType::f32) : in;
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i)
    shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : (i + 1 < t.shape.size() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") +
                       (t.dtype == DType::f32   ? "<f4"
                        : t.dtype == DType::i64 ? "<i8"
                        : t.dtype == DType::i32 ? "<i4"
                                                : "<f2") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream os(path.str(), std::ios::binary);
  if (!os) {
    error = ("cannot write '" + path + "'").str();
    return false;
  }
  os.write("\x93NUMPY\x01\x00", 8);
  uint16_t hl = static_cast<uint16_t>(header.size());
  char hlb[2] = {static_cast<char>(hl & 0xff), static_cast<char>(hl >> 8)};
  os.write(hlb, 2);
  os.write(header.data(), header.size());
  os.write(reinterpret_cast<const char *>(t.data.data()), t.data.size());
  if (!os) {
    error = ("error writing '" + path + "'").str();
    return false;
  }
  return true;
}
