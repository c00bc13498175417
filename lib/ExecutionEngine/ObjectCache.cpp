//===- ObjectCache.cpp - compiled objects on disk -------------------------===//
//
// Part of lightfuse.
//
//===----------------------------------------------------------------------===//

#include "ObjectCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>
#include <dlfcn.h>
#include <sys/stat.h>

using namespace mlir;
using namespace mlir::lf;

std::string lf::objectCacheDir(const CompileOptions &options) {
  const char *off = std::getenv("LF_CACHE");
  if (off && llvm::StringRef(off) == "0")
    return "";
  if (options.target != "cpu" || !options.pipeline.empty() ||
      !options.dumpDir.empty() || options.explain)
    return "";
  if (const char *dir = std::getenv("LF_CACHE_DIR"))
    return dir;
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    path = xdg;
  } else if (const char *home = std::getenv("HOME"); home && *home) {
    path = home;
    llvm::sys::path::append(path, ".cache");
  } else {
    return "";
  }
  llvm::sys::path::append(path, "lightfuse");
  return std::string(path);
}

/// The file holding this code (libLightfuseCAPI.so or a tool) with its size
/// and modification time: a rebuilt lightfuse never reads an older entry.
static std::string buildIdentity() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&buildIdentity), &info) ||
      !info.dli_fname)
    return "unknown-build";
  struct stat st;
  if (stat(info.dli_fname, &st) != 0)
    return info.dli_fname;
  return std::string(info.dli_fname) + ":" + std::to_string(st.st_size) +
         ":" + std::to_string(static_cast<long long>(st.st_mtime));
}

std::string lf::objectCacheKey(llvm::StringRef source,
                               const CompileOptions &o) {
  llvm::SHA256 h;
  auto field = [&](llvm::StringRef s) {
    h.update(s);
    h.update(llvm::StringRef("\0", 1));
  };
  field("lightfuse-object-cache-v1");
  field(buildIdentity());
  field(llvm::sys::getHostCPUName());
  std::string features;
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> names;
  for (const auto &f : host)
    if (f.second)
      names.push_back(f.first().str());
  llvm::sort(names);
  for (const std::string &n : names)
    features += n + ",";
  field(features);
  field(source);
  field(o.target);
  field(o.chip);
  field(o.cpu);
  field(std::to_string(o.optLevel));
  field(o.optimize ? "opt" : "noopt");
  field(std::to_string(o.threads));
  field(o.intoVariants ? "into" : "nointo");
  field(o.ukernels ? "ukernels" : "noukernels");
  auto digest = h.final();
  return llvm::toHex(digest, /*LowerCase=*/true);
}

std::string lf::digestOf(llvm::StringRef data) {
  llvm::SHA256 h;
  h.update(data);
  return llvm::toHex(h.final(), /*LowerCase=*/true);
}

std::string lf::serializeSignatures(const std::vector<FunctionSignature> &sigs,
                                    bool openmp, llvm::StringRef objectDigest,
                                    const std::vector<size_t> &parts) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "lightfuse-signatures 1\nopenmp " << (openmp ? 1 : 0) << "\nobject "
     << objectDigest << "\n";
  if (!parts.empty()) {
    os << "parts";
    for (size_t n : parts)
      os << " " << n;
    os << "\n";
  }
  auto tensor = [&](const char *tag, const TensorSpec &t) {
    os << tag << " " << dtypeName(t.dtype) << " " << t.shape.size();
    for (int64_t d : t.shape)
      os << " " << d;
    os << "\n";
  };
  for (const FunctionSignature &s : sigs) {
    os << "fn " << s.name << "\n";
    for (const TensorSpec &t : s.inputs)
      tensor("in", t);
    for (const TensorSpec &t : s.results)
      tensor("out", t);
    for (const DimConstraint &c : s.constraints)
      os << "con " << c.inputA << " " << c.dimA << " " << c.inputB << " "
         << c.dimB << " " << c.op << "\n";
  }
  os << "end\n";
  return out;
}

bool lf::parseSignatures(llvm::StringRef text,
                         std::vector<FunctionSignature> &sigs, bool &openmp,
                         std::string &objectDigest, std::vector<size_t> &parts) {
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', -1, /*KeepEmpty=*/false);
  if (lines.size() < 3 || lines[0] != "lightfuse-signatures 1" ||
      lines.back() != "end")
    return false;
  auto dtypeOf = [](llvm::StringRef s, DType &d) {
    if (s == "f32")
      d = DType::f32;
    else if (s == "f16")
      d = DType::f16;
    else if (s == "bf16")
      d = DType::bf16;
    else if (s == "i64")
      d = DType::i64;
    else if (s == "i32")
      d = DType::i32;
    else
      return false;
    return true;
  };
  for (llvm::StringRef line : llvm::ArrayRef(lines).drop_back()) {
    auto [tag, rest] = line.split(' ');
    if (tag == "lightfuse-signatures")
      continue;
    if (tag == "openmp") {
      openmp = rest == "1";
      continue;
    }
    if (tag == "object") {
      objectDigest = rest.str();
      continue;
    }
    if (tag == "parts") {
      llvm::SmallVector<llvm::StringRef> f;
      rest.split(f, ' ');
      for (llvm::StringRef n : f) {
        size_t v;
        if (n.getAsInteger(10, v))
          return false;
        parts.push_back(v);
      }
      continue;
    }
    if (tag == "fn") {
      sigs.emplace_back();
      sigs.back().name = rest.str();
      continue;
    }
    if (sigs.empty())
      return false;
    llvm::SmallVector<llvm::StringRef> f;
    if (tag == "in" || tag == "out") {
      rest.split(f, ' ');
      TensorSpec t;
      unsigned rank;
      if (f.size() < 2 || !dtypeOf(f[0], t.dtype) ||
          f[1].getAsInteger(10, rank) || f.size() != 2 + rank)
        return false;
      for (unsigned i = 0; i < rank; ++i) {
        int64_t d;
        if (f[2 + i].getAsInteger(10, d))
          return false;
        t.shape.push_back(d);
      }
      (tag == "in" ? sigs.back().inputs : sigs.back().results).push_back(t);
      continue;
    }
    if (tag == "con") {
      rest.split(f, ' ', 4);
      DimConstraint c;
      if (f.size() < 4 || f[0].getAsInteger(10, c.inputA) ||
          f[1].getAsInteger(10, c.dimA) || f[2].getAsInteger(10, c.inputB) ||
          f[3].getAsInteger(10, c.dimB))
        return false;
      c.op = f.size() > 4 ? f[4].str() : "";
      sigs.back().constraints.push_back(std::move(c));
      continue;
    }
    return false;
  }
  return true;
}

void lf::writeFileAtomically(const std::string &path, llvm::StringRef data) {
  llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
  llvm::SmallString<256> tmp;
  int fd;
  if (llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, tmp))
    return;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << data;
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return;
    }
  }
  if (llvm::sys::fs::rename(tmp, path))
    llvm::sys::fs::remove(tmp);
}
