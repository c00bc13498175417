"""Runs one lf function through `lf-run` and compares it with a reference.

Each case is a tiny module `func.func @main(...)`; inputs go through .npy
files exactly as a user's would. bf16 inputs are passed as float32 values
already rounded to bf16 (NumPy has no bfloat16), so the reference sees the
same numbers the kernel does.
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


def ttype(shape, dtype, dyn=()):
    dims = ["?" if i in dyn else str(d) for i, d in enumerate(shape)]
    return "tensor<" + "x".join(dims + [dtype]) + ">"


class Runner:
    def __init__(self):
        self.lf_run = os.environ.get("LF_RUN") or shutil.which("lf-run")
        if not self.lf_run:
            sys.exit("lf-run not found (set LF_RUN or PATH)")
        self.tmp = tempfile.mkdtemp(prefix="lf-numerics-")
        self.failures = []
        self.count = 0

    def run(self, name, args, body, results, refs, tol=None, rtol_scale=1.0):
        """args: list of (array, dtype, dyn dims); body: MLIR text using
        %a0.. and ending in a `return`; results: list of (shape, dtype, dyn)
        for the declared result types; refs: list of float64 arrays."""
        self.count += 1
        arg_decls = []
        paths = []
        for i, (arr, dtype, dyn) in enumerate(args):
            arg_decls.append(f"%a{i}: {ttype(arr.shape, dtype, dyn)}")
            p = os.path.join(self.tmp, f"{self.count}_{i}.npy")
            np.save(p, np.ascontiguousarray(cast(arr, dtype)))
            paths.append(p)
        res_types = ", ".join(ttype(s, d, dyn) for s, d, dyn in results)
        src = (f"func.func @main({', '.join(arg_decls)}) -> ({res_types}) {{\n"
               f"{body}\n}}\n")
        mlir = os.path.join(self.tmp, f"{self.count}.mlir")
        with open(mlir, "w") as f:
            f.write(src)
        outdir = os.path.join(self.tmp, f"{self.count}_out")
        cmd = [self.lf_run, mlir, "--entry", "main", "--output-dir", outdir]
        for p in paths:
            cmd += ["--input", p]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            self.failures.append(name)
            print(f"FAIL {name}: lf-run exited {proc.returncode}\n{proc.stderr}\n{src}")
            return None
        outs = [np.load(os.path.join(outdir, f"result{i}.npy")) for i in range(len(refs))]
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
