//===- lf_bench.cpp - lightfuse CPU benchmarks (with oneDNN baselines) ----===//
//
// Part of lightfuse. For each (op, T, D) prints one line per measurement:
//   <op> <T> <D> <threads> <impl> <median_ms> <first_call_ms>
// impl is one of lf, copy, onednn, fma-peak (GFLOP/s in the median field).
// Threads: lf compiles with CompileOptions::threads (threads inside the
// generated code, one call); oneDNN uses its own OpenMP threads
// (OMP_NUM_THREADS).
//
//===----------------------------------------------------------------------===//

#include "lightfuse/ExecutionEngine/JitModule.h"

#ifdef LF_HAVE_DNNL
#include "dnnl.hpp"
#endif

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <immintrin.h>

using namespace mlir::lf;
using Clock = std::chrono::steady_clock;

static double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Median of `reps` timed runs after `warm` warm-up runs.
static double median(const std::function<void()> &fn, int reps, int warm = 2) {
  for (int i = 0; i < warm; ++i)
    fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto a = Clock::now();
    fn();
    t.push_back(ms(a, Clock::now()));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// Persistent workers (thread start-up would dominate small shapes): the
/// caller runs part 0, workers run parts 1..n-1.
class Workers {
public:
  explicit Workers(int n) {
    for (int i = 1; i < n; ++i)
      threads.emplace_back([this, i] { loop(i); });
  }
  ~Workers() {
    {
      std::lock_guard<std::mutex> l(mu);
      stop = true;
      ++generation;
    }
    cv.notify_all();
    for (auto &t : threads)
      t.join();
  }
  void run(const std::function<void(int)> &fn) {
    {
      std::lock_guard<std::mutex> l(mu);
      job = &fn;
      pending = threads.size();
      ++generation;
    }
    cv.notify_all();
    fn(0);
    std::unique_lock<std::mutex> l(mu);
    doneCv.wait(l, [&] { return pending == 0; });
  }

private:
  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)> *fn;
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return generation != seen; });
        seen = generation;
        if (stop)
          return;
        fn = job;
      }
      (*fn)(id);
      std::lock_guard<std::mutex> l(mu);
      if (--pending == 0)
        doneCv.notify_one();
    }
  }
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable cv, doneCv;
  const std::function<void(int)> *job = nullptr;
  size_t pending = 0;
  uint64_t generation = 0;
  bool stop = false;
};

static Workers *workers;

static void runThreads(int threads, const std::function<void(int)> &fn) {
  if (threads == 1) {
    fn(0);
    return;
  }
  workers->run(fn);
}

__attribute__((target("avx512f,fma"))) static double fmaPeakAvx512(long iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm512_set1_ps(0.1f * i);
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float sink = 0;
  for (int i = 0; i < 12; ++i)
    sink += _mm512_reduce_add_ps(acc[i]);
  return sink;
}

/// FMA peak in GFLOP/s with `threads` threads (12 independent AVX-512 FMA
/// chains per thread).
static double fmaPeak(int threads) {
  if (!__builtin_cpu_supports("avx512f"))
    return 0;
  const long iters = 20'000'000;
  auto a = Clock::now();
  runThreads(threads, [&](int) {
    volatile double s = fmaPeakAvx512(iters);
    (void)s;
  });
  double sec = ms(a, Clock::now()) / 1e3;
  return threads * 12.0 * 16 * 2 * iters / sec / 1e9;
}

struct Case {
  std::string op;
  int64_t t, d;
};

static std::string kernelSource(const std::string &op, int64_t d) {
  std::string ty = "tensor<?x" + std::to_string(d) + "xf32>";
  std::string v = "tensor<" + std::to_string(d) + "xf32>";
  std::string w = "tensor<" + std::to_string(d) + "x" + std::to_string(d) + "xf32>";
  if (op == "layer_norm")
    return "func.func @k(%x: " + ty + ", %g: " + v + ", %b: " + v + ") -> " + ty +
           " {\n  %0 = lf.layer_norm %x gain(%g : " + v + ") bias(%b : " + v +
           ") : " + ty + "\n  return %0 : " + ty + "\n}\n";
  if (op == "rms_norm")
    return "func.func @k(%x: " + ty + ", %g: " + v + ") -> " + ty +
           " {\n  %0 = lf.rms_norm %x gain(%g : " + v + ") : " + ty +
           "\n  return %0 : " + ty + "\n}\n";
  if (op == "add_layer_norm")
    return "func.func @k(%x: " + ty + ", %r: " + ty + ", %g: " + v + ", %b: " + v +
           ") -> (" + ty + ", " + ty + ") {\n  %s = lf.add %x, %r : " + ty +
           "\n  %0 = lf.layer_norm %s gain(%g : " + v + ") bias(%b : " + v +
           ") : " + ty + "\n  return %s, %0 : " + ty + ", " + ty + "\n}\n";
  // swiglu: silu(x W1^T) * (x W3^T), W1, W3 [D, D]
  return "func.func @k(%x: " + ty + ", %w1: " + w + ", %w3: " + w + ") -> " + ty +
         " {\n  %a = lf.linear %x, %w1 : " + ty + ", " + w + " -> " + ty +
         "\n  %u = lf.linear %x, %w3 : " + ty + ", " + w + " -> " + ty +
         "\n  %0 = lf.glu silu %a, %u : " + ty + "\n  return %0 : " + ty + "\n}\n";
}

/// One steady-state call: run, then hand the results back to the
/// allocator's cache (the benchmark measures the kernel, not a copy out).
static void invokeAndRelease(const FunctionSignature &sig,
                             const std::vector<TensorRef> &in) {
  std::vector<ResultBuffer> res;
  std::string e;
  if (!JitModule::invokeRaw(sig, in, res, e)) {
    std::fprintf(stderr, "invoke failed: %s\n", e.c_str());
    std::exit(1);
  }
  for (auto &rb : res)
    JitModule::release(rb);
}

/// Fused vs unfused forms of the same block, one thread, printed as
/// "fuse-<block> T D 1 <variant> <median_ms> 0".
static void fusionRows(std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  const int64_t t = 512, d = 768;
  std::vector<float> x(t * d), r(t * d), w(d * d), v(d), g(d);
  for (auto &e : x) e = dist(rng);
  for (auto &e : r) e = dist(rng);
  for (auto &e : w) e = dist(rng) / 32;
  for (auto &e : v) e = 1.5f + dist(rng);
  for (auto &e : g) e = 1.f + 0.1f * dist(rng);
  std::string ty = "tensor<?x768xf32>", vt = "tensor<768xf32>",
              wt = "tensor<768x768xf32>";
  struct Variant {
    std::string block, variant, src, pipeline;
  };
  std::string unLinear =
      "func.func @k(%x: " + ty + ", %qm: " + vt + ", %g: " + vt + ", %w: " + wt +
      ") -> " + ty + " {\n  %n = lf.unified_norm %x, %qm gain(%g : " + vt +
      ") : " + ty + ", " + vt + "\n  %y = lf.linear %n, %w : " + ty + ", " +
      wt + " -> " + ty + "\n  return %y : " + ty + "\n}\n";
  std::string linear = "func.func @k(%x: " + ty + ", %qm: " + vt + ", %g: " +
                       vt + ", %w: " + wt + ") -> " + ty +
                       " {\n  %y = lf.linear %x, %w : " + ty + ", " + wt +
                       " -> " + ty + "\n  return %y : " + ty + "\n}\n";
  auto normLinear = [&](const std::string &norm) {
    return "func.func @k(%x: " + ty + ", %qm: " + vt + ", %g: " + vt +
           ", %w: " + wt + ") -> " + ty + " {\n  %n = lf." + norm + " %x : " +
           ty + "\n  %y = lf.linear %n, %w : " + ty + ", " + wt + " -> " + ty +
           "\n  return %y : " + ty + "\n}\n";
  };
  std::string addLn = kernelSource("add_layer_norm", d);
  std::vector<Variant> variants = {
      {"fuse-un-linear", "linear-alone", linear, ""},
      {"fuse-un-linear", "folded", unLinear, ""},
      {"fuse-un-linear", "unfolded", unLinear,
       "lf-cpu-pipeline{optimize=false}"},
      {"fuse-rms-linear", "fused", normLinear("rms_norm"), ""},
      {"fuse-rms-linear", "unfused", normLinear("rms_norm"),
       "lf-cpu-pipeline{optimize=false}"},
      {"fuse-ln-linear", "fused", normLinear("layer_norm"), ""},
      {"fuse-ln-linear", "unfused", normLinear("layer_norm"),
       "lf-cpu-pipeline{optimize=false}"},
      {"fuse-add-layer-norm", "fused", addLn, ""},
      {"fuse-add-layer-norm", "unfused", addLn,
       "lf-cpu-pipeline{optimize=false tile-rows=0}"},
  };
  int64_t xs[2] = {t, d}, vs[1] = {d}, ws[2] = {d, d};
  for (const Variant &var : variants) {
    CompileOptions opts;
    opts.pipeline = var.pipeline;
    std::string err;
    auto jm = JitModule::compile(var.src, "fusion", opts, err);
    if (!jm) {
      std::fprintf(stderr, "compile failed: %s\n", err.c_str());
      std::exit(1);
    }
    const FunctionSignature &sig = *jm->lookup("k");
    std::vector<TensorRef> in;
    if (var.block != "fuse-add-layer-norm")
      in = {{DType::f32, xs, {}, x.data()},
            {DType::f32, vs, {}, v.data()},
            {DType::f32, vs, {}, g.data()},
            {DType::f32, ws, {}, w.data()}};
    else
      in = {{DType::f32, xs, {}, x.data()},
            {DType::f32, xs, {}, r.data()},
            {DType::f32, vs, {}, g.data()},
            {DType::f32, vs, {}, v.data()}};
    double ms_ = median([&] {
      invokeAndRelease(sig, in);
    }, 9);
    std::printf("%s %lld %lld 1 %s %.4f 0\n", var.block.c_str(),
                (long long)t, (long long)d, var.variant.c_str(), ms_);
    std::fflush(stdout);
  }
}

int main(int argc, char **argv) {
  std::vector<Case> cases;
  std::vector<std::pair<int64_t, int64_t>> shapes = {{512, 768}, {4096, 1024}, {16384, 4096}};
  const char *only = std::getenv("LF_BENCH_OPS");
  for (std::string op : {"layer_norm", "rms_norm", "add_layer_norm", "swiglu"}) {
    if (only && !std::strstr(only, op.c_str()))
      continue;
    for (auto [t, d] : shapes) {
      if (op == "swiglu" && t * d * d > 4096ll * 1024 * 1024)
        continue; // the untiled GEMM is too slow for the largest shape
      cases.push_back({op, t, d});
    }
  }
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  if (threads < 1)
    threads = 1;
  Workers pool(threads);
  workers = &pool;
  std::printf("fma-peak 0 0 %d fma-peak %.1f 0\n", threads, fmaPeak(threads));

  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  if (threads == 1 && (!only || std::strstr(only, "fuse")))
    fusionRows(rng);
  for (const Case &c : cases) {
    bool gemm = c.op == "swiglu";
    int reps = gemm ? (c.t * c.d > 1'000'000 ? 3 : 5) : (c.t * c.d > 10'000'000 ? 9 : 25);
    size_t n = c.t * c.d;
    std::vector<float> x(n), r(n), g(c.d), b(c.d), out(n), w1, w3;
    for (auto &v : x) v = dist(rng);
    for (auto &v : r) v = dist(rng);
    for (auto &v : g) v = 1 + 0.1f * dist(rng);
    for (auto &v : b) v = 0.1f * dist(rng);
    if (gemm) {
      w1.resize(c.d * c.d);
      w3.resize(c.d * c.d);
      for (auto &v : w1) v = dist(rng) / 32;
      for (auto &v : w3) v = dist(rng) / 32;
    }
    // Same-shape copy: reads and writes T*D floats, like a norm.
    std::vector<float> src(n, 1.f), dst(n, 0.f);
    double copy = median([&] {
      runThreads(threads, [&](int i) {
        size_t lo = n * i / threads, hi = n * (i + 1) / threads;
        std::memcpy(dst.data() + lo, src.data() + lo, (hi - lo) * 4);
      });
    }, reps);
    std::printf("%s %lld %lld %d copy %.4f 0\n", c.op.c_str(), (long long)c.t,
                (long long)c.d, threads, copy);

    auto t0 = Clock::now();
    std::string err;
    CompileOptions opts;
    // Threads inside the compiled code (row tiles on OpenMP, GEMMs on the
    // runtime's pool), as lf-run, the C API and Python users get them.
    opts.threads = threads;
    auto jm = JitModule::compile(kernelSource(c.op, c.d), "bench", opts, err);
    if (!jm) {
      std::fprintf(stderr, "compile failed: %s\n", err.c_str());
      return 1;
    }
    double compileMs = ms(t0, Clock::now());
    const FunctionSignature &sig = *jm->lookup("k");
    int64_t vs[1] = {c.d}, ws[2] = {c.d, c.d};
    auto call = [&](int) {
      int64_t lo = 0, hi = c.t;
      int64_t xs[2] = {hi - lo, c.d};
      std::vector<TensorRef> in;
      in.push_back({DType::f32, xs, {}, x.data() + lo * c.d});
      if (c.op == "add_layer_norm")
        in.push_back({DType::f32, xs, {}, r.data() + lo * c.d});
      if (gemm) {
        in.push_back({DType::f32, ws, {}, w1.data()});
        in.push_back({DType::f32, ws, {}, w3.data()});
      } else {
        in.push_back({DType::f32, vs, {}, g.data()});
        if (c.op != "rms_norm")
          in.push_back({DType::f32, vs, {}, b.data()});
      }
      invokeAndRelease(sig, in);
    };
    auto f0 = Clock::now();
    call(0);
    double first = compileMs + ms(f0, Clock::now());
    double lf = median([&] { call(0); }, reps);
    std::printf("%s %lld %lld %d lf %.4f %.1f\n", c.op.c_str(), (long long)c.t,
                (long long)c.d, threads, lf, first);
    std::fflush(stdout);

#ifdef LF_HAVE_DNNL
    using namespace dnnl;
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    memory::dims xd = {c.t, c.d};
    auto md = memory::desc(xd, memory::data_type::f32, memory::format_tag::ab);
    memory xm(md, eng, x.data()), om(md, eng, out.data()), rm(md, eng, r.data());
    if (!gemm && c.op != "rms_norm") {
      auto smd = memory::desc({c.d}, memory::data_type::f32, memory::format_tag::a);
      memory gm(smd, eng, g.data()), bm(smd, eng, b.data());
      auto pd = layer_normalization_forward::primitive_desc(
          layer_normalization_forward::desc(
              prop_kind::forward_inference, md, 1e-5f,
              normalization_flags::use_scale | normalization_flags::use_shift),
          eng);
      layer_normalization_forward ln(pd);
      std::vector<float> sum(n);
      memory sm(md, eng, sum.data());
      binary add(binary::primitive_desc(binary::desc(algorithm::binary_add, md, md, md), eng));
      double t = median([&] {
        if (c.op == "add_layer_norm")
          add.execute(s, {{DNNL_ARG_SRC_0, xm}, {DNNL_ARG_SRC_1, rm}, {DNNL_ARG_DST, sm}});
        ln.execute(s, {{DNNL_ARG_SRC, c.op == "add_layer_norm" ? sm : xm},
                       {DNNL_ARG_DST, om},
                       {DNNL_ARG_SCALE, gm},
                       {DNNL_ARG_SHIFT, bm}});
        s.wait();
      }, reps);
      std::printf("%s %lld %lld %d onednn %.4f 0\n", c.op.c_str(), (long long)c.t,
                  (long long)c.d, threads, t);
    }
    if (gemm) {
      auto wmd = memory::desc({c.d, c.d}, memory::data_type::f32, memory::format_tag::ba);
      memory w1m(wmd, eng, w1.data()), w3m(wmd, eng, w3.data());
      std::vector<float> gate(n);
      memory gmem(md, eng, gate.data());
      post_ops swish;
      swish.append_eltwise(1.f, algorithm::eltwise_swish, 1.f, 0.f);
      primitive_attr a1;
      a1.set_post_ops(swish);
      matmul mm1(matmul::primitive_desc(matmul::desc(md, wmd, md), a1, eng));
      post_ops mul;
      mul.append_binary(algorithm::binary_mul, md);
      primitive_attr a3;
      a3.set_post_ops(mul);
      matmul mm3(matmul::primitive_desc(matmul::desc(md, wmd, md), a3, eng));
      double t = median([&] {
        mm1.execute(s, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, w1m}, {DNNL_ARG_DST, gmem}});
        mm3.execute(s, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, w3m}, {DNNL_ARG_DST, om},
                        {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, gmem}});
        s.wait();
      }, reps);
      std::printf("%s %lld %lld %d onednn %.4f 0\n", c.op.c_str(), (long long)c.t,
                  (long long)c.d, threads, t);
    }
#endif
    std::fflush(stdout);
  }
  return 0;
}
