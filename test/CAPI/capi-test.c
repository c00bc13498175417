/*===- capi-test.c - exercises the lightfuse C API from pure C11 ----------===*/
// RUN: lf-capi-test 2>&1 | FileCheck %s

#include "lightfuse-c/Lightfuse.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kSource =
    "func.func @rms(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {\n"
    "  %0 = lf.rms_norm %x gain(%g : tensor<8xf32>) : tensor<?x8xf32>\n"
    "  return %0 : tensor<?x8xf32>\n"
    "}\n"
    "func.func @two(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {\n"
    "  %0 = lf.add %a, %b : tensor<2x3xf32>\n"
    "  %1 = lf.mul %a, %b : tensor<2x3xf32>\n"
    "  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>\n"
    "}\n";

static int check(LfStatus s, const char *what) {
  if (!s)
    return 1;
  printf("%s: error: %s\n", what, lfStatusGetMessage(s));
  lfStatusDestroy(s);
  return 0;
}

/* Reference RMSNorm of one row. */
static void rmsRef(const float *x, const float *g, float *y, int d) {
  double ss = 0;
  for (int i = 0; i < d; ++i)
    ss += (double)x[i] * x[i];
  double r = 1.0 / sqrt(ss / d + 1e-6);
  for (int i = 0; i < d; ++i)
    y[i] = (float)(x[i] * r * g[i]);
}

static float maxErr(const float *a, const float *b, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i)
    m = fmaxf(m, fabsf(a[i] - b[i]));
  return m;
}

typedef struct {
  LfFunction fn;
  int rows;
  float err;
  int failures;
} Job;

static void *worker(void *arg) {
  Job *job = (Job *)arg;
  enum { D = 8 };
  float *x = malloc(sizeof(float) * job->rows * D), g[D];
  float *y = malloc(sizeof(float) * job->rows * D), ref[D];
  for (int i = 0; i < job->rows * D; ++i)
    x[i] = (float)((i * 37 + job->rows) % 11) - 5.0f;
  for (int i = 0; i < D; ++i)
    g[i] = 0.5f + 0.125f * i;
  int64_t xs[2] = {job->rows, D}, gs[1] = {D};
  LfTensorView in[2] = {{LF_DTYPE_F32, 2, xs, NULL, x}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  LfTensorView out = {LF_DTYPE_F32, 2, xs, NULL, y};
  for (int iter = 0; iter < 50; ++iter) {
    LfStatus s = lfFunctionInvoke(job->fn, in, 2, &out, 1);
    if (s) {
      ++job->failures;
      lfStatusDestroy(s);
    }
  }
  for (int r = 0; r < job->rows; ++r) {
    rmsRef(x + r * D, g, ref, D);
    job->err = fmaxf(job->err, maxErr(y + r * D, ref, D));
  }
  free(x);
  free(y);
  return NULL;
}

int main(void) {
  LfContext ctx;
  if (!check(lfContextCreate(&ctx), "context"))
    return 1;

  /* Bad source: the status carries the located diagnostic. */
  LfModule bad;
  const char *badSrc = "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                       "  %0 = lf.rms_norm %x {eps = -1.0 : f32} : tensor<4xf32>\n"
                       "  return %0 : tensor<4xf32>\n}\n";
  LfStatus s = lfModuleLoadSource(ctx, badSrc, strlen(badSrc), "bad.mlir", &bad);
  // CHECK: bad source: failed to parse the module:
  // CHECK: bad.mlir:2:8: error: 'lf.rms_norm' op eps must be a finite positive number, got -1{{$}}
  printf("bad source: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);

  /* Hostile nesting (100k nested attributes, 20k nested regions) is refused
   * before MLIR's recursive parser can exhaust the stack. */
  {
    enum { ATTRS = 100000, REGIONS = 20000 };
    char *deep = malloc(2 * ATTRS + 256);
    char *p = deep + sprintf(deep, "func.func @f() attributes {a = ");
    memset(p, '[', ATTRS), p += ATTRS;
    *p++ = '1';
    memset(p, ']', ATTRS), p += ATTRS;
    strcpy(p, "} { return }\n");
    s = lfModuleLoadSource(ctx, deep, strlen(deep), "deep.mlir", &bad);
    // CHECK: nested attributes: failed to parse the module:
    // CHECK-NEXT: deep.mlir:1:287: error: nesting deeper than 256 levels of brackets
    printf("nested attributes: %s\n", s ? lfStatusGetMessage(s) : "loaded");
    lfStatusDestroy(s);
    free(deep);
    const char *open = "scf.execute_region { ", *close = "scf.yield } ";
    deep = malloc(REGIONS * (strlen(open) + strlen(close)) + 64);
    p = deep + sprintf(deep, "func.func @g() { ");
    for (int i = 0; i < REGIONS; ++i)
      p += sprintf(p, "%s", open);
    for (int i = 0; i < REGIONS; ++i)
      p += sprintf(p, "%s", close);
    strcpy(p, "return }\n");
    s = lfModuleLoadSource(ctx, deep, strlen(deep), "regions.mlir", &bad);
    // CHECK: nested regions: failed to parse the module:
    // CHECK-NEXT: regions.mlir:1:{{[0-9]+}}: error: nesting deeper than 256 levels of brackets
    printf("nested regions: %s\n", s ? lfStatusGetMessage(s) : "loaded");
    lfStatusDestroy(s);
    free(deep);
  }

  s = lfModuleLoadFile(ctx, "/nonexistent/file.mlir", &bad);
  // CHECK: missing file: cannot read '/nonexistent/file.mlir': No such file or directory
  printf("missing file: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);

  LfModule mod;
  if (!check(lfModuleLoadSource(ctx, kSource, strlen(kSource), "capi.mlir", &mod), "load"))
    return 1;

  LfCompileOptions opts;
  lfCompileOptionsInit(&opts);
  LfExecutable exe;
  opts.optLevel = 7;
  s = lfModuleCompile(mod, &opts, &exe);
  // CHECK: bad opt level: optLevel must be in [0, 3], got 7
  printf("bad opt level: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  opts.optLevel = 3;
  opts.threads = -2;
  s = lfModuleCompile(mod, &opts, &exe);
  // CHECK: bad threads: threads must be >= 0 (1: sequential, 0: the runtime's default), got -2
  printf("bad threads: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  opts.threads = 1;
  opts.target = LF_TARGET_NVPTX;
  s = lfModuleCompile(mod, &opts, &exe);
  // Compiling for the GPU needs no GPU; running does (test/Target/NVPTX).
  // CHECK: nvptx: compiled
  printf("nvptx: %s\n", s ? lfStatusGetMessage(s) : "compiled");
  lfStatusDestroy(s);
  if (!s)
    lfExecutableDestroy(exe);
  opts.target = (LfTarget)7;
  s = lfModuleCompile(mod, &opts, &exe);
  // CHECK: bad target: unknown target 7
  printf("bad target: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  opts.target = LF_TARGET_CPU;
  opts.pipeline = "builtin.module(no-such-pass)";
  s = lfModuleCompile(mod, &opts, &exe);
  // CHECK: bad pipeline: invalid pass pipeline 'builtin.module(no-such-pass)'
  printf("bad pipeline: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  opts.pipeline = NULL;

  if (!check(lfModuleCompile(mod, &opts, &exe), "compile"))
    return 1;
  /* The executable outlives its module and context. */
  lfModuleDestroy(mod);
  lfContextDestroy(ctx);

  // CHECK: functions: 2
  printf("functions: %zu\n", lfExecutableGetNumFunctions(exe));
  LfFunction fn;
  s = lfExecutableLookupFunction(exe, "nope", &fn);
  // CHECK: lookup: no public function @nope (the module has: @rms @two)
  printf("lookup: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  if (!check(lfExecutableLookupFunction(exe, "rms", &fn), "lookup rms"))
    return 1;

  LfTensorType ty;
  check(lfFunctionGetInputType(fn, 0, &ty), "input type");
  // CHECK: @rms input 0: dtype 0 rank 2 shape [-1, 8]
  printf("@%s input 0: dtype %d rank %d shape [%lld, %lld]\n", lfFunctionGetName(fn),
         (int)ty.dtype, ty.rank, (long long)ty.shape[0], (long long)ty.shape[1]);
  s = lfFunctionGetResultType(fn, 3, &ty);
  // CHECK: result type: result index 3 out of range for @rms
  printf("result type: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);

  /* Library-allocated result. */
  enum { R = 3, D = 8 };
  float x[R * D], g[D], ref[R * D];
  for (int i = 0; i < R * D; ++i)
    x[i] = (float)(i % 7) - 3.0f;
  for (int i = 0; i < D; ++i)
    g[i] = 1.0f + 0.1f * i;
  for (int r = 0; r < R; ++r)
    rmsRef(x + r * D, g, ref + r * D, D);
  int64_t xs[2] = {R, D}, gs[1] = {D};
  LfTensorView in[2] = {{LF_DTYPE_F32, 2, xs, NULL, x}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  LfTensor res;
  if (!check(lfFunctionInvokeAlloc(fn, in, 2, &res, 1), "invoke alloc"))
    return 1;
  LfTensorView view;
  lfTensorGetView(res, &view);
  // CHECK: alloc result: rank 2 [3, 8] ok
  printf("alloc result: rank %d [%lld, %lld] %s\n", view.rank, (long long)view.shape[0],
         (long long)view.shape[1], maxErr((float *)view.data, ref, R * D) < 1e-5f ? "ok" : "WRONG");
  // The result's buffer is its own (a caller may hand it out uncopied); a
  // NULL tensor owns nothing.
  // CHECK: owns data: 1, NULL: 0
  LfTensor none = {NULL};
  printf("owns data: %d, NULL: %d\n", lfTensorOwnsData(res), lfTensorOwnsData(none));
  lfTensorDestroy(res);

  /* Destination passing into a transposed (strided) output, from a strided
     input: x^T stored column-major. */
  float xt[D * R], yt[D * R];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < D; ++c)
      xt[c * R + r] = x[r * D + c];
  int64_t tstrides[2] = {1, R};
  LfTensorView tin[2] = {{LF_DTYPE_F32, 2, xs, tstrides, xt}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  LfTensorView tout = {LF_DTYPE_F32, 2, xs, tstrides, yt};
  if (!check(lfFunctionInvoke(fn, tin, 2, &tout, 1), "invoke strided"))
    return 1;
  float y[R * D];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < D; ++c)
      y[r * D + c] = yt[c * R + r];
  // CHECK: strided: ok
  printf("strided: %s\n", maxErr(y, ref, R * D) < 1e-5f ? "ok" : "WRONG");

  /* Error paths of invocation. */
  int64_t badShape[2] = {R, 9};
  LfTensorView badIn[2] = {{LF_DTYPE_F32, 2, badShape, NULL, x}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  s = lfFunctionInvoke(fn, badIn, 2, &tout, 1);
  // CHECK: bad input: input #0 of @rms must be f32[?x8], got f32[3x9]
  printf("bad input: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  LfTensorView badDtype[2] = {{LF_DTYPE_F16, 2, xs, NULL, x}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  s = lfFunctionInvoke(fn, badDtype, 2, &tout, 1);
  // CHECK: bad dtype: input #0 of @rms must be f32[?x8], got f16[3x8]
  printf("bad dtype: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  s = lfFunctionInvoke(fn, in, 1, &tout, 1);
  // CHECK: bad count: @rms takes 2 inputs, got 1
  printf("bad count: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  int64_t outShape[2] = {R + 1, D};
  LfTensorView badOut = {LF_DTYPE_F32, 2, outShape, NULL, yt};
  s = lfFunctionInvoke(fn, in, 2, &badOut, 1);
  // CHECK: bad output: output #0 of @rms must be f32[3x8], got f32[4x8]
  printf("bad output: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  LfTensorView nullData[2] = {{LF_DTYPE_F32, 2, xs, NULL, NULL}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  s = lfFunctionInvoke(fn, nullData, 2, &tout, 1);
  // CHECK: null data: input #0 of @rms must be f32[?x8], got f32[3x8] with no data
  printf("null data: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);
  LfTensorView badEnum[2] = {{(LfDType)9, 2, xs, NULL, x}, {LF_DTYPE_F32, 1, gs, NULL, g}};
  s = lfFunctionInvoke(fn, badEnum, 2, &tout, 1);
  // CHECK: bad enum: input #0 has an invalid dtype 9
  printf("bad enum: %s\n", lfStatusGetMessage(s));
  lfStatusDestroy(s);

  /* Two results. */
  LfFunction two;
  check(lfExecutableLookupFunction(exe, "two", &two), "lookup two");
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {6, 5, 4, 3, 2, 1}, sum[6], prod[6];
  int64_t s23[2] = {2, 3};
  LfTensorView abIn[2] = {{LF_DTYPE_F32, 2, s23, NULL, a}, {LF_DTYPE_F32, 2, s23, NULL, b}};
  LfTensorView abOut[2] = {{LF_DTYPE_F32, 2, s23, NULL, sum}, {LF_DTYPE_F32, 2, s23, NULL, prod}};
  check(lfFunctionInvoke(two, abIn, 2, abOut, 2), "invoke two");
  // CHECK: two: sum 7 7 7 prod 6 10 12
  printf("two: sum %g %g %g prod %g %g %g\n", sum[0], sum[1], sum[5], prod[0], prod[1], prod[2]);

  /* Concurrent invocations of one function. */
  enum { T = 4 };
  pthread_t threads[T];
  Job jobs[T];
  for (int i = 0; i < T; ++i) {
    jobs[i] = (Job){fn, 5 + 17 * i, 0.0f, 0};
    pthread_create(&threads[i], NULL, worker, &jobs[i]);
  }
  int failures = 0;
  float worst = 0;
  for (int i = 0; i < T; ++i) {
    pthread_join(threads[i], NULL);
    failures += jobs[i].failures;
    worst = fmaxf(worst, jobs[i].err);
  }
  // CHECK: threads: 0 failures, results ok
  printf("threads: %d failures, results %s\n", failures, worst < 1e-5f ? "ok" : "WRONG");

  lfExecutableDestroy(exe);
  // CHECK: done
  printf("done\n");
  return 0;
}
