//===- onednn_peers.cpp - oneDNN as a peer of benchmarks/peers_bench.py ---===//
//
// Part of lightfuse. Runs the peers table's workloads that oneDNN has
// primitives for, on inputs the Python driver writes, and writes the outputs
// back so that the driver checks them against its float64 reference like
// every other peer's:
//   onednn-peers DIR        (threads: OMP_NUM_THREADS, oneDNN's OpenMP)
// DIR/cases.txt has one case per line, `<id> <kind> <sizes...>`:
//   <id> linear M K N              x [M,K], w [N,K]           -> [M,N]
//   <id> layer_norm T D            x [T,D], g [D], b [D]       -> [T,D]
//   <id> mlp T D F silu|gelu       x [T,D], w1, w3 [F,D], w2 [D,F]
//                                  -> (act(x w1^T) * (x w3^T)) w2^T
// Inputs are DIR/<id>.<name>.bin (raw f32, row-major); the output goes to
// DIR/<id>.out.bin and one line `<id> <median ms>` to stdout. Weights are
// reordered once into the layout oneDNN picks (format `any`), outside the
// timing, as lightfuse packs them once in <fn>_prepare. Medians of 5 calls
// after a warm-up call, or of as many as fill ~0.25 s (at most 200), like
// layer_bench.med. oneDNN 2.x has no RMSNorm primitive: those rows stay
// empty.
//
//===----------------------------------------------------------------------===//

#include "dnnl.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using namespace dnnl;
using Clock = std::chrono::steady_clock;

static std::vector<float> load(const std::string &path, size_t n) {
  std::vector<float> v(n);
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char *>(v.data()),
               static_cast<std::streamsize>(n * sizeof(float))))
    throw std::runtime_error("cannot read " + std::to_string(n) +
                             " floats from " + path);
  return v;
}

static void save(const std::string &path, const std::vector<float> &v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(v.data()),
            static_cast<std::streamsize>(v.size() * sizeof(float)));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

static double medianMs(const std::function<void()> &fn) {
  auto t0 = Clock::now();
  fn();
  double first = std::chrono::duration<double>(Clock::now() - t0).count();
  int reps = std::max(5, std::min(200, static_cast<int>(0.25 / std::max(first, 1e-6))));
  std::vector<double> ts;
  for (int i = 0; i < reps; ++i) {
    auto a = Clock::now();
    fn();
    ts.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  std::sort(ts.begin(), ts.end());
  return ts[ts.size() / 2];
}

/// A matmul src [M,K] x weights^T, weights given as [N,K] row-major,
/// reordered once into the primitive's preferred layout.
struct Linear {
  matmul prim;
  memory weights;
  Linear(engine &eng, stream &s, memory::dim m, memory::dim k, memory::dim n,
         std::vector<float> &w, const primitive_attr &attr = primitive_attr()) {
    memory::desc src({m, k}, memory::data_type::f32, memory::format_tag::ab);
    memory::desc wAny({k, n}, memory::data_type::f32, memory::format_tag::any);
    memory::desc dst({m, n}, memory::data_type::f32, memory::format_tag::ab);
    matmul::primitive_desc pd(matmul::desc(src, wAny, dst), attr, eng);
    prim = matmul(pd);
    // [N,K] row-major is the [K,N] matrix in column-major ("ba").
    memory given({{k, n}, memory::data_type::f32, memory::format_tag::ba}, eng,
                 w.data());
    weights = memory(pd.weights_desc(), eng);
    reorder(given, weights).execute(s, given, weights);
    s.wait();
  }
};

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: onednn-peers DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  std::ifstream cases(dir + "/cases.txt");
  if (!cases) {
    std::fprintf(stderr, "onednn-peers: cannot open %s/cases.txt\n", dir.c_str());
    return 1;
  }
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  std::string line;
  try {
    while (std::getline(cases, line)) {
      std::istringstream in(line);
      std::string id, kind;
      if (!(in >> id >> kind))
        continue;
      auto file = [&](const std::string &name) { return dir + "/" + id + "." + name + ".bin"; };
      std::vector<float> out;
      double ms = 0;
      if (kind == "linear") {
        memory::dim m, k, n;
        in >> m >> k >> n;
        auto x = load(file("x"), m * k), w = load(file("w"), n * k);
        out.assign(m * n, 0.0f);
        Linear lin(eng, s, m, k, n, w);
        memory xm({{m, k}, memory::data_type::f32, memory::format_tag::ab}, eng, x.data());
        memory om({{m, n}, memory::data_type::f32, memory::format_tag::ab}, eng, out.data());
        ms = medianMs([&] {
          lin.prim.execute(s, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, lin.weights},
                               {DNNL_ARG_DST, om}});
          s.wait();
        });
      } else if (kind == "layer_norm") {
        memory::dim t, d;
        in >> t >> d;
        auto x = load(file("x"), t * d), g = load(file("g"), d), b = load(file("b"), d);
        out.assign(t * d, 0.0f);
        memory::desc md({t, d}, memory::data_type::f32, memory::format_tag::ab);
        memory::desc vd({d}, memory::data_type::f32, memory::format_tag::a);
        memory xm(md, eng, x.data()), om(md, eng, out.data()), gm(vd, eng, g.data()),
            bm(vd, eng, b.data());
        layer_normalization_forward ln(layer_normalization_forward::primitive_desc(
            layer_normalization_forward::desc(
                prop_kind::forward_inference, md, 1e-5f,
                normalization_flags::use_scale | normalization_flags::use_shift),
            eng));
        ms = medianMs([&] {
          ln.execute(s, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DST, om}, {DNNL_ARG_SCALE, gm},
                         {DNNL_ARG_SHIFT, bm}});
          s.wait();
        });
      } else if (kind == "mlp") {
        memory::dim t, d, f;
        std::string act;
        in >> t >> d >> f >> act;
        auto x = load(file("x"), t * d), w1 = load(file("w1"), f * d),
             w3 = load(file("w3"), f * d), w2 = load(file("w2"), d * f);
        out.assign(t * d, 0.0f);
        std::vector<float> gate(t * f), h(t * f);
        memory::desc hd({t, f}, memory::data_type::f32, memory::format_tag::ab);
        // gate = act(x w1^T); h = (x w3^T) * gate (binary post-op); out = h w2^T.
        post_ops actOps;
        actOps.append_eltwise(1.f, act == "gelu" ? algorithm::eltwise_gelu_erf
                                                 : algorithm::eltwise_swish,
                              1.f, 0.f);
        primitive_attr a1;
        a1.set_post_ops(actOps);
        post_ops mulOps;
        mulOps.append_binary(algorithm::binary_mul, hd);
        primitive_attr a3;
        a3.set_post_ops(mulOps);
        Linear l1(eng, s, t, d, f, w1, a1), l3(eng, s, t, d, f, w3, a3), l2(eng, s, t, f, d, w2);
        memory xm({{t, d}, memory::data_type::f32, memory::format_tag::ab}, eng, x.data());
        memory gm(hd, eng, gate.data()), hm(hd, eng, h.data());
        memory om({{t, d}, memory::data_type::f32, memory::format_tag::ab}, eng, out.data());
        ms = medianMs([&] {
          l1.prim.execute(s, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, l1.weights},
                              {DNNL_ARG_DST, gm}});
          l3.prim.execute(s, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, l3.weights},
                              {DNNL_ARG_DST, hm},
                              {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, gm}});
          l2.prim.execute(s, {{DNNL_ARG_SRC, hm}, {DNNL_ARG_WEIGHTS, l2.weights},
                              {DNNL_ARG_DST, om}});
          s.wait();
        });
      } else {
        std::fprintf(stderr, "onednn-peers: unknown case kind '%s'\n", kind.c_str());
        return 1;
      }
      save(dir + "/" + id + ".out.bin", out);
      std::printf("%s %.4f\n", id.c_str(), ms);
      std::fflush(stdout);
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "onednn-peers: %s\n", e.what());
    return 1;
  }
  return 0;
}
