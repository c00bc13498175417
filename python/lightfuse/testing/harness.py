"""Runs one lf function through a lightfuse entry point and compares it
with a reference.

Each case is a tiny module `func.func @main(...)`. The entry point is chosen
by $LF_HARNESS:
- `lf-run` (default): the JIT driver, inputs and outputs through .npy files;
- `python`: the Python package (ctypes over the C API);
- `aot`: `lf-compile` to an object and header, linked by a generated C
  driver with the plain-C runtime, inputs and outputs as raw files.
bf16 inputs are passed as float32 values already rounded to bf16 (NumPy has
no bfloat16), so the reference sees the same numbers the kernel does.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

NP = {"f32": np.float32, "f16": np.float16, "bf16": np.float32}

# Tolerances per result element type: |out - ref| <= atol * max(1, max|ref|)
# + rtol * |ref|. f16/bf16 are dominated by the final rounding (2^-11, 2^-8).
TOL = {"f32": (1e-5, 1e-5), "f16": (2e-3, 2e-3), "bf16": (1.6e-2, 1.6e-2)}


def lf_run(src, inputs, pipeline, workdir, entry="main"):
    """Runs @entry of the MLIR text `src` through `lf-run` (on the GPU with
    LF_TARGET=nvptx) with the textual pass `pipeline` on `inputs` (arrays, passed as .npy files under
    `workdir`); returns the results as a list of arrays. Raises RuntimeError
    with lf-run's stderr when it fails."""
    path = os.path.join(workdir, "case.mlir")
    with open(path, "w") as f:
        f.write(src)
    flags = []
    for i, a in enumerate(inputs):
        p = os.path.join(workdir, f"in{i}.npy")
        np.save(p, a)
        flags += ["--input", p]
    out = os.path.join(workdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    if os.environ.get("LF_TARGET", "cpu") == "nvptx":
        flags += ["--target", "nvptx", "--chip", os.environ.get("LF_CHIP", "sm_80")]
    r = subprocess.run(["lf-run", path, "--entry", entry, "--output-dir", out,
                        "--pass-pipeline", pipeline] + flags, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)
    n = len([f for f in os.listdir(out) if f.startswith("result") and f.endswith(".npy")])
    return [np.load(os.path.join(out, f"result{i}.npy")) for i in range(n)]


def run_case(name, src, inputs, pipeline, workdir, failures):
    """lf_run for a named test case: returns the results, or records `name`
    in `failures` (printing lf-run's error) and returns None."""
    try:
        return lf_run(src, inputs, pipeline, workdir)
    except RuntimeError as e:
        failures.append(name)
        print(f"FAIL {name}: lf-run: {e}")
        return None


def kernel_takes(name, src, passes, ops, workdir, failures):
    """Whether the kernel pass(es) `passes` replace every op named in `ops`
    (e.g. ["lf.linear"]) of `src` by a gpu.launch: a declined op would
    silently test the generic lowering instead. Records `name` in
    `failures` when not."""
    path = os.path.join(workdir, "kernel.mlir")
    with open(path, "w") as f:
        f.write(src)
    r = subprocess.run(["lf-opt", path, "--pass-pipeline", f"builtin.module(func.func({passes}))"],
                       capture_output=True, text=True)
    if r.returncode or any(op in r.stdout for op in ops) or "gpu.launch" not in r.stdout:
        failures.append(name)
        print(f"FAIL {name}: {passes} did not take the ops\n{r.stderr}")
        return False
    return True


def kernel_pipeline(passes):
    """The pipeline that checks hand-written GPU kernels: the kernel `passes`
    (e.g. "lf-gpu-linear"), then the rest of the GPU lowering with every
    kernel run on the host (lf-gpu-emulated-pipeline: bufferization and
    deallocation see the kernels as on the GPU path), or with
    LF_TARGET=nvptx the GPU pipeline on a device."""
    if os.environ.get("LF_TARGET", "cpu") == "nvptx":
        chip = os.environ.get("LF_CHIP", "sm_80")
        return (f"builtin.module(func.func({passes}),"
                f"lf-gpu-pipeline{{chip={chip} emit-c-interface}})")
    return f"builtin.module(func.func({passes}),lf-gpu-emulated-pipeline{{emit-c-interface}})"


def to_bf16(x):
    """Round float32 values to the nearest bfloat16 (ties to even)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    u = x.view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


def cast(x, dtype):
    """Values of x as stored in `dtype` (returned as a numpy array)."""
    if dtype == "bf16":
        return to_bf16(x)
    return np.asarray(x).astype(NP[dtype])


def stored(x, dtype):
    """x as the kernel sees it after storage in `dtype`, widened to float64
    for the reference."""
    return cast(x, dtype).astype(np.float64)


def uniform(rng, *shape, lo=-1.0, hi=1.0):
    """float32 samples in [lo, hi)."""
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def ttype(shape, dtype, dyn=()):
    dims = ["?" if i in dyn else str(d) for i, d in enumerate(shape)]
    return "tensor<" + "x".join(dims + [dtype]) + ">"


def _aot_driver(n_in, in_specs, out_specs, gpu=False):
    """C source calling _mlir_ciface_main on raw input files in argv and
    writing each result, row-major, to the files after them. With gpu, the
    inputs live in CUDA managed memory and GPU errors exit 3."""
    alloc = "lfCudaAllocShared(n ? n : 1)" if gpu else "malloc(n ? n : 1)"
    lines = ['#include "kernel.h"', "#include <stdio.h>", "#include <stdlib.h>", "",
             "static void *slurp(const char *p, size_t n) {",
             f"  void *b = {alloc}; FILE *f = fopen(p, \"rb\");",
             "  if (!f || fread(b, 1, n, f) != n) { fprintf(stderr, \"cannot read %s\\n\", p); exit(2); }",
             "  fclose(f); return b;", "}", "",
             "int main(int argc, char **argv) {", "  (void)argc;"]
    for i, (shape, es) in enumerate(in_specs):
        r = len(shape)
        n = 1
        for d in shape:
            n *= d
        lines.append(f"  lf_memref_{r}d d{i};")
        lines.append(f"  d{i}.allocated = d{i}.aligned = slurp(argv[{i + 1}], {n * es});")
        lines.append(f"  d{i}.offset = 0;")
        stride = 1
        for k in reversed(range(r)):
            lines.append(f"  d{i}.sizes[{k}] = {shape[k]}; d{i}.strides[{k}] = {stride};")
            stride *= shape[k]
    args = ", ".join(f"&d{i}" for i in range(n_in))
    lines.append("  lf_main_results res;")
    if gpu:
        lines.append('  { char msg[512]; if (!lfCudaProbe(msg, sizeof msg)) { fprintf(stderr, "%s\\n", msg); return 3; } }')
    lines.append(f"  _mlir_ciface_main(&res, {args});")
    if gpu:
        lines.append('  lfCudaSynchronize();')
        lines.append('  { const char *e = lfCudaTakeError(); if (e) { fprintf(stderr, "%s\\n", e); return 3; } }')
    for j, (rank, es) in enumerate(out_specs):
        lines.append("  {")
        lines.append(f"    lf_memref_{rank}d *m = &res.r{j};")
        lines.append(f"    FILE *f = fopen(argv[{n_in + 1 + j}], \"wb\");")
        lines.append(f"    long long idx[{max(rank, 1)}] = {{0}}; long long n = 1;")
        lines.append(f"    for (int k = 0; k < {rank}; ++k) n *= m->sizes[k];")
        lines.append("    for (long long e = 0; e < n; ++e) {")
        lines.append("      long long off = m->offset;")
        lines.append(f"      for (int k = 0; k < {rank}; ++k) off += idx[k] * m->strides[k];")
        lines.append(f"      fwrite((char *)m->aligned + off * {es}, {es}, 1, f);")
        lines.append(f"      for (int k = {rank} - 1; k >= 0; --k) {{ if (++idx[k] < m->sizes[k]) break; idx[k] = 0; }}")
        lines.append("    }")
        lines.append("    fclose(f);")
        lines.append("    lf_release(m->allocated);")
        lines.append("  }")
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


class Runner:
    def __init__(self):
        self.mode = os.environ.get("LF_HARNESS", "lf-run")
        # LF_TARGET=nvptx runs every case on the GPU (lf-run --target,
        # compile(target=...), lf-compile --target and the CUDA runtime).
        self.target = os.environ.get("LF_TARGET", "cpu")
        self.chip = os.environ.get("LF_CHIP", "sm_80")
        # lf-run only: a --pass-pipeline replacing the default one (also
        # LF_PIPELINE, e.g. the GPU pipeline with opt-in kernels).
        self.pipeline = os.environ.get("LF_PIPELINE")
        # Threads of the compiled code (lf-cpu-pipeline{threads}): every
        # entry point compiles with LF_THREADS (default 1).
        self.threads = int(os.environ.get("LF_THREADS", "1"))
        self.lf_run = os.environ.get("LF_RUN") or shutil.which("lf-run")
        if self.mode in ("lf-run", "aot") and not self.lf_run:
            sys.exit("lf-run not found (set LF_RUN or PATH)")
        if self.mode == "aot":
            self.lf_compile = shutil.which("lf-compile", path=os.path.dirname(self.lf_run))
            self.cc = shutil.which("clang-22") or shutil.which("cc")
            libdir = os.environ.get("LIGHTFUSE_LIB_DIR") or os.path.join(
                os.path.dirname(self.lf_run), "..", "lib")
            self.runtime = os.path.join(libdir, "libLightfuseRuntime.a")
            self.cuda_runtime = os.path.join(libdir, "libLightfuseCudaRuntime.a")
        self.tmp = tempfile.mkdtemp(prefix="lf-numerics-")
        self.failures = []
        self.count = 0
        print(f"entry point: {self.mode}")

    def _execute(self, src, mlir, arrays, dtypes, results, name):
        """Runs @main on the stored inputs; returns the outputs or None."""
        if self.mode == "python":
            import lightfuse
            try:
                m = lightfuse.compile(src, target=self.target, chip=self.chip,
                                      threads=self.threads)
                outs = m.main(*arrays)
            except lightfuse.LightfuseError as e:
                self.failures.append(name)
                print(f"FAIL {name}: {e}\n{src}")
                return None
            return list(outs) if isinstance(outs, tuple) else [outs]
        if self.mode == "aot":
            base = os.path.join(self.tmp, f"{self.count}_aot")
            es = {"f32": 4, "f16": 2, "bf16": 2}
            steps = [[self.lf_compile, mlir, "-o", base + ".o", "--header",
                      os.path.join(self.tmp, "kernel.h"), "--prefix", "lf_",
                      "--target", self.target, "--chip", self.chip,
                      f"--cpu-threads={self.threads}"]]
            with open(base + ".c", "w") as f:
                f.write(_aot_driver(len(arrays), [(a.shape, es[d]) for a, d in zip(arrays, dtypes)],
                                    [(len(s), es[d]) for s, d, _ in results],
                                    gpu=self.target == "nvptx"))
            # scripts/sanitize.sh: the runtime is instrumented; link its runtime.
            sanitize = os.environ.get("LF_SANITIZE_CFLAGS", "").split()
            steps.append([self.cc, *sanitize, "-std=c11", "-I", self.tmp, base + ".c", base + ".o",
                          self.runtime] + ([self.cuda_runtime, "-ldl"] if self.target == "nvptx" else []) +
                         ["-lm", "-lpthread", "-o", base])
            ins = []
            for i, (a, d) in enumerate(zip(arrays, dtypes)):
                p = f"{base}_in{i}.bin"
                raw = a.astype(np.float32) if d == "f32" else (
                    a.astype(np.float16) if d == "f16" else
                    (to_bf16(a).view(np.uint32) >> 16).astype(np.uint16))
                raw.tofile(p)
                ins.append(p)
            outs = [f"{base}_out{j}.bin" for j in range(len(results))]
            steps.append([base] + ins + outs)
            for cmd in steps:
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode:
                    self.failures.append(name)
                    print(f"FAIL {name}: {cmd[0]} exited {proc.returncode}\n{proc.stderr}\n{src}")
                    return None
            res = []
            for p, (shape, d, _) in zip(outs, results):
                # Dynamic result dims take the input's actual sizes: read flat.
                if d == "f32":
                    v = np.fromfile(p, np.float32)
                elif d == "f16":
                    v = np.fromfile(p, np.float16)
                else:
                    v = (np.fromfile(p, np.uint16).astype(np.uint32) << 16).view(np.float32)
                res.append(v.reshape(shape))
            return res
        outdir = os.path.join(self.tmp, f"{self.count}_out")
        cmd = [self.lf_run, mlir, "--entry", "main", "--output-dir", outdir]
        for i in range(len(arrays)):
            cmd += ["--input", os.path.join(self.tmp, f"{self.count}_{i}.npy")]
        if self.pipeline:
            cmd += ["--pass-pipeline", self.pipeline]
        if self.threads != 1:
            cmd += [f"--cpu-threads={self.threads}"]
        if self.target != "cpu":
            cmd += ["--target", self.target, "--chip", self.chip]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            self.failures.append(name)
            print(f"FAIL {name}: lf-run exited {proc.returncode}\n{proc.stderr}\n{src}")
            return None
        return [np.load(os.path.join(outdir, f"result{i}.npy")) for i in range(len(results))]

    def run(self, name, args, body, results, refs, tol=None, rtol_scale=1.0):
        """args: list of (array, dtype, dyn dims); body: MLIR text using
        %a0.. and ending in a `return`; results: list of (shape, dtype, dyn)
        for the declared result types; refs: list of float64 arrays."""
        self.count += 1
        arg_decls = []
        arrays, dtypes = [], []
        for i, (arr, dtype, dyn) in enumerate(args):
            arg_decls.append(f"%a{i}: {ttype(arr.shape, dtype, dyn)}")
            stored = np.array(cast(arr, dtype), order="C")  # keeps rank 0 (ascontiguousarray makes it [1])
            np.save(os.path.join(self.tmp, f"{self.count}_{i}.npy"), stored)
            arrays.append(stored)
            dtypes.append(dtype)
        res_types = ", ".join(ttype(s, d, dyn) for s, d, dyn in results)
        src = (f"func.func @main({', '.join(arg_decls)}) -> ({res_types}) {{\n"
               f"{body}\n}}\n")
        mlir = os.path.join(self.tmp, f"{self.count}.mlir")
        with open(mlir, "w") as f:
            f.write(src)
        outs = self._execute(src, mlir, arrays, dtypes, results, name)
        if outs is None:
            return None
        worst = 0.0
        for i, (out, ref, (_, dtype, _)) in enumerate(zip(outs, refs, results)):
            rtol, atol = tol or TOL[dtype]
            rtol *= rtol_scale
            atol *= rtol_scale
            ref = np.asarray(ref, dtype=np.float64)
            out64 = out.astype(np.float64)
            if out.shape != ref.shape:
                self.failures.append(name)
                print(f"FAIL {name}: result{i} shape {out.shape} != reference {ref.shape}")
                return outs
            scale = max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
            bound = atol * scale + rtol * np.abs(ref)
            err = np.abs(out64 - ref)
            bad = ~(err <= bound)  # NaN counts as bad
            ratio = float(np.max(err / bound)) if ref.size else 0.0
            worst = max(worst, ratio)
            if bad.any():
                j = np.unravel_index(np.argmax(np.where(bad, 1, 0)), ref.shape)
                self.failures.append(name)
                print(f"FAIL {name}: result{i}: {int(bad.sum())} of {ref.size} elements "
                      f"out of tolerance; e.g. at {tuple(int(x) for x in j)}: "
                      f"got {out64[j]!r}, want {ref[j]!r}")
                return outs
        print(f"PASS {name} (worst error/tolerance {worst:.3f})")
        return outs

    def finish(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        print(f"{self.count - len(set(self.failures))} of {self.count} cases passed")
        if self.failures:
            print("FAILED:", ", ".join(sorted(set(self.failures))))
            sys.exit(1)
