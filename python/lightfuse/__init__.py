"""lightfuse: compile lf (MLIR) graphs and run them on numpy arrays.

    import lightfuse
    m = lightfuse.compile(open("block.mlir").read())      # or a path
    y = m.prenorm_block(x, g, b, ...)                      # numpy in, numpy out

A ctypes layer over the C API in libLightfuseCAPI.so; no compiled extension.
The library is found through $LIGHTFUSE_LIB (the .so itself), then
$LIGHTFUSE_LIB_DIR, then the repository's build/lib. bf16 has no numpy
dtype: bf16 arguments take float32 arrays (rounded to nearest even) and bf16
results come back as float32.
"""

import ctypes
import os
import weakref

import numpy as np

__all__ = ["compile", "import_onnx", "compile_onnx", "from_torch", "export_torch", "Module", "Function",
           "OnnxModel", "LightfuseError"]


class LightfuseError(RuntimeError):
    """A failure reported by lightfuse; the message carries the diagnostic."""


# --- the C library ----------------------------------------------------------

def _find_library():
    explicit = os.environ.get("LIGHTFUSE_LIB")
    if explicit:
        return explicit
    dirs = []
    if os.environ.get("LIGHTFUSE_LIB_DIR"):
        dirs.append(os.environ["LIGHTFUSE_LIB_DIR"])
    here = os.path.dirname(os.path.abspath(__file__))
    dirs.append(os.path.join(here, "..", "..", "build", "lib"))
    for d in dirs:
        p = os.path.join(d, "libLightfuseCAPI.so")
        if os.path.exists(p):
            return p
    raise LightfuseError(
        "cannot find libLightfuseCAPI.so: build the project (./build.sh build) "
        "or set LIGHTFUSE_LIB / LIGHTFUSE_LIB_DIR")


class _Handle(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p)]


class _CompileOptions(ctypes.Structure):
    _fields_ = [("target", ctypes.c_int), ("optLevel", ctypes.c_int),
                ("pipeline", ctypes.c_char_p), ("dumpDir", ctypes.c_char_p),
                ("optimize", ctypes.c_int), ("explain", ctypes.c_int),
                ("chip", ctypes.c_char_p), ("threads", ctypes.c_int)]


class _ImportOptions(ctypes.Structure):
    _fields_ = [("inlineWeights", ctypes.c_int), ("inlineLimit", ctypes.c_int64),
                ("funcName", ctypes.c_char_p), ("numDims", ctypes.c_size_t),
                ("dimNames", ctypes.POINTER(ctypes.c_char_p)),
                ("dimValues", ctypes.POINTER(ctypes.c_int64)), ("recompose", ctypes.c_int)]


class _Weight(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("argIndex", ctypes.c_size_t),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p)]


_STRING_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)


class _TensorType(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64))]


class _TensorView(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("data", ctypes.c_void_p)]


_lib = None


def _capi():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(_find_library())
    S = ctypes.c_void_p  # LfStatus
    H = _Handle
    sig = {
        "lfStatusGetMessage": (ctypes.c_char_p, [S]),
        "lfStatusDestroy": (None, [S]),
        "lfContextCreate": (S, [ctypes.POINTER(H)]),
        "lfContextDestroy": (None, [H]),
        "lfModuleLoadSource": (S, [H, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(H)]),
        "lfModuleDestroy": (None, [H]),
        "lfModulePrint": (S, [H, _STRING_CB, ctypes.c_void_p]),
        "lfImportOptionsInit": (None, [ctypes.POINTER(_ImportOptions)]),
        "lfModuleImportONNX": (S, [H, ctypes.c_char_p, ctypes.POINTER(_ImportOptions),
                                   ctypes.POINTER(H)]),
        "lfModuleGetNumWeights": (ctypes.c_size_t, [H]),
        "lfModuleGetWeight": (S, [H, ctypes.c_size_t, ctypes.POINTER(_Weight)]),
        "lfCompileOptionsInit": (None, [ctypes.POINTER(_CompileOptions)]),
        "lfModuleCompile": (S, [H, ctypes.POINTER(_CompileOptions), ctypes.POINTER(H)]),
        "lfExecutableDestroy": (None, [H]),
        "lfExecutableGetNumFunctions": (ctypes.c_size_t, [H]),
        "lfExecutableGetRemarks": (ctypes.c_char_p, [H]),
        "lfExecutableGetFunction": (S, [H, ctypes.c_size_t, ctypes.POINTER(H)]),
        "lfFunctionGetName": (ctypes.c_char_p, [H]),
        "lfFunctionGetNumInputs": (ctypes.c_size_t, [H]),
        "lfFunctionGetNumResults": (ctypes.c_size_t, [H]),
        "lfFunctionGetInputType": (S, [H, ctypes.c_size_t, ctypes.POINTER(_TensorType)]),
        "lfFunctionGetResultType": (S, [H, ctypes.c_size_t, ctypes.POINTER(_TensorType)]),
        "lfFunctionInvoke": (S, [H, ctypes.POINTER(_TensorView), ctypes.c_size_t,
                                 ctypes.POINTER(_TensorView), ctypes.c_size_t]),
        "lfFunctionInvokeAlloc": (S, [H, ctypes.POINTER(_TensorView), ctypes.c_size_t,
                                      ctypes.POINTER(H), ctypes.c_size_t]),
        "lfTensorGetView": (None, [H, ctypes.POINTER(_TensorView)]),
        "lfTensorDestroy": (None, [H]),
        "lfTensorOwnsData": (ctypes.c_int, [H]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
    _lib = lib
    return lib


def _check(status):
    if status:
        lib = _capi()
        msg = lib.lfStatusGetMessage(status).decode("utf-8", "replace")
        lib.lfStatusDestroy(status)
        raise LightfuseError(msg)


# --- dtypes -----------------------------------------------------------------

_DTYPES = {0: "f32", 1: "f16", 2: "bf16", 3: "i64", 4: "i32"}
_CODES = {v: k for k, v in _DTYPES.items()}
_NUMPY = {"f32": np.dtype(np.float32), "f16": np.dtype(np.float16),
          "i64": np.dtype(np.int64), "i32": np.dtype(np.int32)}
_ITEM = {"f32": 4, "f16": 2, "bf16": 2, "i64": 8, "i32": 4}


def _to_bf16_bits(a):
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(np.ascontiguousarray(a, dtype=np.float32))
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    r[nan] = 0x7FC0
    return r.reshape(np.shape(a))  # ascontiguousarray turns rank 0 into [1]


def _from_bf16_bits(bits):
    wide = np.left_shift(np.atleast_1d(bits).astype(np.uint32), np.uint32(16))
    return wide.view(np.float32).reshape(np.shape(bits))


class TensorType:
    """An argument or result type: dtype ('f32', 'f16', 'bf16') and shape
    (None for a dynamic dimension)."""

    def __init__(self, dtype, shape):
        self.dtype = dtype
        self.shape = tuple(shape)

    def __repr__(self):
        dims = "x".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"


def _tensor_type(tt):
    shape = [tt.shape[i] for i in range(tt.rank)]
    return TensorType(_DTYPES[tt.dtype], [None if d < 0 else d for d in shape])


# --- compiled modules -------------------------------------------------------

class Function:
    """A public function of a compiled module. Call it with numpy arrays."""

    def __init__(self, module, handle):
        lib = _capi()
        self._module = module  # keeps the executable alive
        self._h = handle
        self.name = lib.lfFunctionGetName(handle).decode()
        self.inputs, self.results = [], []
        for i in range(lib.lfFunctionGetNumInputs(handle)):
            tt = _TensorType()
            _check(lib.lfFunctionGetInputType(handle, i, ctypes.byref(tt)))
            self.inputs.append(_tensor_type(tt))
        for i in range(lib.lfFunctionGetNumResults(handle)):
            tt = _TensorType()
            _check(lib.lfFunctionGetResultType(handle, i, ctypes.byref(tt)))
            self.results.append(_tensor_type(tt))
        # ctypes shape/stride arrays per (shape, element strides) seen: a
        # decode loop calls with the same shapes every step, and building
        # them was most of a call's Python cost.
        self._dims = {}
        # The view last built for each input / output position, with a weak
        # reference to its array: a deployment passes the same weight (and
        # out=) arrays every call, whose views then cost a few checks.
        self._last = {"input": {}, "output": {}}
        # The last out= call whole (see _fast_call): a loop that passes the
        # same arrays every time skips building views altogether.
        self._fast = None

    def __repr__(self):
        ins = ", ".join(map(repr, self.inputs))
        outs = ", ".join(map(repr, self.results))
        return f"<lightfuse.Function @{self.name}({ins}) -> ({outs})>"

    def _views(self, arrays, types, what):
        """ctypes views of `arrays`, the objects to keep alive while they
        are used, and whether every view reads its array as it was passed
        (no conversion, no copy)."""
        keep, views = [], (_TensorView * max(len(arrays), 1))()
        direct = True
        last = self._last[what]
        for i, (a, t) in enumerate(zip(arrays, types)):
            prev = last.get(i)
            if (prev is not None and prev[0]() is a and prev[1] == a.shape
                    and prev[2] == a.strides and prev[6] is a.dtype
                    and prev[3] == a.__array_interface__["data"][0]):
                views[i] = prev[4]
                keep.append(prev[5])
                continue
            direct = direct and isinstance(a, np.ndarray)
            given = a
            if not isinstance(a, np.ndarray):
                a = np.asarray(a)
            if t.dtype == "bf16":
                if a.dtype not in (np.float32, np.float64, np.float16):
                    raise LightfuseError(f"{what} #{i} of @{self.name} must be a float array for "
                                         f"{t!r}, got {a.dtype}")
                data = _to_bf16_bits(a)
            else:
                want = _NUMPY[t.dtype]
                if a.dtype != want:
                    raise LightfuseError(f"{what} #{i} of @{self.name} must have dtype {want} "
                                         f"for {t!r}, got {a.dtype}")
                data = a
            if not data.flags.c_contiguous and any(s % data.itemsize for s in data.strides):
                data = np.ascontiguousarray(data)
            key = (data.shape, data.strides, data.itemsize)
            dims = self._dims.get(key)
            if dims is None:
                nd = max(data.ndim, 1)
                dims = ((ctypes.c_int64 * nd)(*data.shape),
                        (ctypes.c_int64 * nd)(*(s // data.itemsize for s in data.strides)))
                if len(self._dims) < 64:
                    self._dims[key] = dims
            keep += [data, dims]
            ptr = data.__array_interface__["data"][0]
            view = _TensorView(_CODES[t.dtype], data.ndim, dims[0], dims[1], ptr)
            views[i] = view
            # Only an array passed as it is (no conversion) can be reused.
            direct = direct and data is given
            if data is given:
                try:
                    last[i] = (weakref.ref(data), data.shape, data.strides, ptr, view, dims,
                               data.dtype)
                except TypeError:
                    last.pop(i, None)
            else:
                last.pop(i, None)
        return views, keep, direct

    def _fast_call(self, args, outs):
        """Invokes with the previous out= call's views when every array is
        that call's array, unchanged: the same object (weak reference), dtype
        object, shape and strides, and outputs still writeable. Its memory
        has not moved: numpy refuses to resize an array that has a weak
        reference (the one kept here), and a view cannot be resized at all
        (assigning `.data`, deprecated by numpy as unsafe, is not
        supported). That is a few attribute reads per array instead of a
        view each: a kernel streaming megabytes through the caches evicts
        the interpreter's working set, and building the views of a
        three-array call then cost ~11 us, the whole call ~19 (now ~10)."""
        fast = self._fast
        if fast is None:
            return False
        entries, nin, views, oviews, _dims = fast
        if len(args) != nin or len(args) + len(outs) != len(entries):
            return False
        i = 0
        for a in args + outs:
            ref, dt, shape, strides = entries[i]
            if ref() is not a or a.dtype is not dt or a.shape != shape or a.strides != strides:
                return False
            if i >= nin and not a.flags.writeable:
                return False
            i += 1
        _check(_capi().lfFunctionInvoke(self._h, views, nin, oviews, len(outs)))
        return True

    def _remember(self, args, outs, views, oviews, keep):
        """Records an out= call for _fast_call: weak references to its
        arrays and the ctypes shape/stride arrays its views point into (from
        `keep`; the arrays themselves are not kept alive)."""
        dims = tuple(k for k in keep if not isinstance(k, np.ndarray))
        entries = []
        for a in tuple(args) + tuple(outs):
            if not isinstance(a, np.ndarray):
                self._fast = None
                return
            try:
                ref = weakref.ref(a)
            except TypeError:
                self._fast = None
                return
            entries.append((ref, a.dtype, a.shape, a.strides))
        self._fast = (tuple(entries), len(args), views, oviews, dims)

    def __call__(self, *args, out=None):
        if out is not None and self._fast is not None:
            outs = tuple(out) if isinstance(out, (list, tuple)) else (out,)
            if self._fast_call(args, outs):
                return out
        lib = _capi()
        if len(args) != len(self.inputs):
            raise LightfuseError(f"@{self.name} takes {len(self.inputs)} inputs, got {len(args)}")
        views, keep, direct = self._views(args, self.inputs, "input")
        n = len(self.results)
        if out is not None:
            outs = list(out) if isinstance(out, (list, tuple)) else [out]
            if len(outs) != n:
                raise LightfuseError(f"@{self.name} has {n} results, got {len(outs)} outputs")
            for i, (o, t) in enumerate(zip(outs, self.results)):
                if t.dtype == "bf16":
                    raise LightfuseError("out= is not supported for bf16 results")
                if not isinstance(o, np.ndarray) or not o.flags.writeable:
                    raise LightfuseError(f"output #{i} must be a writeable numpy array")
            oviews, okeep, odirect = self._views(outs, self.results, "output")
            _check(lib.lfFunctionInvoke(self._h, views, len(args), oviews, n))
            # Views of converted arrays (a copy made above) point at memory
            # that dies with `keep`: only arrays passed as they are qualify.
            if direct and odirect:
                self._remember(args, tuple(outs), views, oviews, keep + okeep)
            else:
                self._fast = None
            return out
        handles = (_Handle * max(n, 1))()
        _check(lib.lfFunctionInvokeAlloc(self._h, views, len(args), handles, n))
        results, owned, copied = [], _Results(), []
        for i in range(n):
            v = _TensorView()
            lib.lfTensorGetView(handles[i], ctypes.byref(v))
            dt = _DTYPES[v.dtype]
            item = _ITEM[dt]
            shape = tuple(v.shape[k] for k in range(v.rank))
            strides = tuple(v.strides[k] * item for k in range(v.rank))
            npdt = np.uint16 if dt == "bf16" else _NUMPY[dt]
            size = 1
            for d in shape:
                size *= d
            if size and dt != "bf16" and min(strides, default=0) >= 0 and \
                    lib.lfTensorOwnsData(handles[i]):
                # The result's own buffer, handed out without a copy: freed
                # (back to the runtime's pool) when the last array over it
                # is gone.
                span = sum((d - 1) * s for d, s in zip(shape, strides)) + item
                buf = (ctypes.c_char * span).from_address(v.data)
                owned.add(handles[i])
                buf._lf_results = owned
                results.append(np.ndarray(shape, npdt, buffer=buf, strides=strides))
                continue
            if size:
                span = sum((d - 1) * s for d, s in zip(shape, strides)) + item
                buf = (ctypes.c_char * span).from_address(v.data)
                arr = _aligned_empty(shape, npdt)
                np.copyto(arr, np.ndarray(shape, npdt, buffer=buf, strides=strides))
            else:
                arr = np.zeros(shape, npdt)
            results.append(_from_bf16_bits(arr) if dt == "bf16" else arr)
            copied.append(handles[i])
        # The copied (or empty) results' handles go now: a result handed out
        # above owns its buffer alone (lfTensorOwnsData), so none of these
        # frees memory an array still views.
        for h in copied:
            lib.lfTensorDestroy(h)
        return results[0] if n == 1 else tuple(results)


class _Results:
    """The result tensors of one call that numpy arrays view without a copy
    (each array's ctypes buffer holds this object): destroyed, their
    buffers back to the runtime, when the last of those arrays is gone."""

    def __init__(self):
        self._handles = []

    def add(self, handle):
        self._handles.append(_Handle(handle.ptr))

    def __del__(self):
        lib = _lib
        if lib is None:
            return
        for h in self._handles:
            lib.lfTensorDestroy(h)
        self._handles = []


def _aligned_empty(shape, dtype, align=64):
    """An uninitialized C-order array whose data starts on an `align`-byte
    boundary: results (e.g. the packed weights of <fn>_prepare) are read with
    full-width vector loads, which cost more when they straddle cache lines."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + align, np.uint8)
    off = (-raw.ctypes.data) % align
    return raw[off:off + nbytes].view(dtype).reshape(shape)


class Module:
    """A compiled module; its public functions are attributes."""

    def __init__(self, exe):
        self._exe = exe
        lib = _capi()
        #: lf-optimize's remarks when compiled with explain=True.
        self.remarks = lib.lfExecutableGetRemarks(exe).decode("utf-8", "replace")
        self.functions = {}
        for i in range(lib.lfExecutableGetNumFunctions(exe)):
            h = _Handle()
            _check(lib.lfExecutableGetFunction(exe, i, ctypes.byref(h)))
            f = Function(self, h)
            self.functions[f.name] = f

    def __getattr__(self, name):
        fns = self.__dict__.get("functions", {})
        if name in fns:
            return fns[name]
        raise AttributeError(f"module has no public function @{name} "
                             f"(it has: {', '.join('@' + n for n in fns)})")

    def __getitem__(self, name):
        return getattr(self, name)

    def __del__(self):
        if getattr(self, "_exe", None) is not None and _lib is not None:
            _lib.lfExecutableDestroy(self._exe)
            self._exe = None


_TARGETS = {"cpu": 0, "nvptx": 1}


def compile(source, target="cpu", opt_level=2, pipeline=None, dump_dir=None, name=None,
            optimize=True, explain=False, chip="sm_80", threads=1):
    """Compile MLIR text, or a path to a .mlir file, and return a Module.

    target="nvptx" compiles for an NVIDIA GPU (`chip`, e.g. "sm_90"); calls
    then copy the numpy inputs to the GPU and the results back, and raise
    LightfuseError("no CUDA device: ...") where there is none.

    optimize=False skips lf-optimize (graph folding) and lowers the graph
    as written; pipeline replaces the whole default pipeline. With
    explain=True, Module.remarks says why each declined rewrite was
    declined.

    Raises LightfuseError with the located diagnostics on failure."""
    lib = _capi()
    if target not in _TARGETS:
        raise LightfuseError(f"unknown target {target!r} (expected one of {sorted(_TARGETS)})")
    if isinstance(source, os.PathLike) or (
            isinstance(source, str) and "\n" not in source and source.endswith(".mlir")):
        path = os.fspath(source)
        try:
            with open(path) as f:
                text = f.read()
        except OSError as e:
            raise LightfuseError(f"cannot read '{path}': {e.strerror}") from None
        name = name or path
    else:
        text = source
    data = text.encode()
    ctx = _Handle()
    _check(lib.lfContextCreate(ctypes.byref(ctx)))
    mod, exe = _Handle(), _Handle()
    try:
        _check(lib.lfModuleLoadSource(ctx, data, len(data), (name or "<source>").encode(),
                                      ctypes.byref(mod)))
        opts = _CompileOptions()
        lib.lfCompileOptionsInit(ctypes.byref(opts))
        opts.target = _TARGETS[target]
        opts.chip = chip.encode()
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
            raise LightfuseError(f"threads must be an int >= 0, got {threads!r}")
        opts.threads = threads
        opts.optLevel = opt_level
        opts.optimize = 1 if optimize else 0
        opts.explain = 1 if explain else 0
        opts.pipeline = pipeline.encode() if pipeline else None
        dump_dir = dump_dir or os.environ.get("LF_DUMP_DIR")
        opts.dumpDir = dump_dir.encode() if dump_dir else None
        _check(lib.lfModuleCompile(mod, ctypes.byref(opts), ctypes.byref(exe)))
    finally:
        if mod.ptr:
            lib.lfModuleDestroy(mod)
        lib.lfContextDestroy(ctx)
    return Module(exe)


# --- ONNX models ------------------------------------------------------------

class _Imported:
    """Context manager: an imported ONNX module (handle) and its context."""

    def __init__(self, path, dims, inline_weights, recompose, func_name):
        self.args = (path, dims, inline_weights, recompose, func_name)

    def __enter__(self):
        path, dims, inline_weights, recompose, func_name = self.args
        lib = self.lib = _capi()
        self.ctx, self.mod = _Handle(), _Handle()
        _check(lib.lfContextCreate(ctypes.byref(self.ctx)))
        opts = _ImportOptions()
        lib.lfImportOptionsInit(ctypes.byref(opts))
        opts.inlineWeights = 1 if inline_weights else 0
        opts.recompose = 1 if recompose else 0
        opts.funcName = func_name.encode() if func_name else None
        dims = dict(dims or {})
        names = (ctypes.c_char_p * max(len(dims), 1))(*[k.encode() for k in dims])
        values = (ctypes.c_int64 * max(len(dims), 1))(*[int(v) for v in dims.values()])
        opts.numDims, opts.dimNames, opts.dimValues = len(dims), names, values
        try:
            _check(lib.lfModuleImportONNX(self.ctx, os.fspath(path).encode(),
                                          ctypes.byref(opts), ctypes.byref(self.mod)))
        except BaseException:
            lib.lfContextDestroy(self.ctx)
            raise
        return self

    def __exit__(self, *exc):
        self.lib.lfModuleDestroy(self.mod)
        self.lib.lfContextDestroy(self.ctx)
        return False


def _module_text(lib, mod):
    pieces = []
    cb = _STRING_CB(lambda data, n, _: pieces.append(ctypes.string_at(data, n)))
    _check(lib.lfModulePrint(mod, cb, None))
    return b"".join(pieces).decode()


def import_onnx(path, dims=None, inline_weights=False, recompose=True, func_name=None):
    """Import an ONNX model and return its lf MLIR text.

    dims binds symbolic dimensions ({"seq": 512}); unbound ones stay dynamic.
    Initializers become {lf.weight} arguments after the graph inputs, or
    dense_resource constants with inline_weights=True. recompose=False
    skips lf-recompose (the node-for-node import). Raises LightfuseError
    naming every unsupported node."""
    with _Imported(path, dims, inline_weights, recompose, func_name) as imp:
        return _module_text(imp.lib, imp.mod)


class OnnxModel:
    """A compiled ONNX model: call it with the graph's inputs (numpy arrays);
    the weights are bound, and prepared (packed) once when first called."""

    def __init__(self, module, name, weights, num_inputs, input_names, output_names):
        self.module = module
        self.name = name
        self.input_names = input_names
        self.output_names = output_names
        self._weights = weights
        self._num_inputs = num_inputs
        self._prepared = None
        self._fn = module.functions[name]
        self._prep = module.functions.get(name + "_prepare")
        self._run = module.functions.get(name + "_prepared")

    @property
    def remarks(self):
        return self.module.remarks

    def __call__(self, *inputs, out=None):
        """Runs the model; out= (a list of numpy arrays, one per output, of
        the static result shapes) has the results computed straight into
        caller-owned buffers, without allocating or copying."""
        if len(inputs) != self._num_inputs:
            raise LightfuseError(f"the model takes {self._num_inputs} inputs "
                                 f"({', '.join(self.input_names)}), got {len(inputs)}")
        inputs = [np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
                  for x in inputs]
        if self._prep is not None and self._run is not None:
            if self._prepared is None:
                p = self._prep(*self._weights)
                self._prepared = p if isinstance(p, tuple) else (p,)
            return self._run(*inputs, *self._weights, *self._prepared, out=out)
        return self._fn(*inputs, *self._weights, out=out)


def compile_onnx(path, dims=None, inline_weights=False, threads=1, **compile_kw):
    """Import an ONNX model (see import_onnx) and compile it (see compile);
    returns an OnnxModel called with the graph inputs only."""
    # lf-optimize starts with lf-recompose: recompose at import only when the
    # compile skips lf-optimize, not twice.
    recompose = not compile_kw.get("optimize", True)
    with _Imported(path, dims, inline_weights, recompose, None) as imp:
        lib, mod = imp.lib, imp.mod
        text = _module_text(lib, mod)
        weights = []
        for i in range(lib.lfModuleGetNumWeights(mod)):
            w = _Weight()
            _check(lib.lfModuleGetWeight(mod, i, ctypes.byref(w)))
            dt = _DTYPES[w.dtype]
            shape = tuple(w.shape[k] for k in range(w.rank))
            n = int(np.prod(shape, dtype=np.int64))
            npdt = np.uint16 if dt == "bf16" else _NUMPY[dt]
            arr = _aligned_empty(shape, npdt)
            if n:  # one copy, straight from the module's buffer
                src = (ctypes.c_char * (n * _ITEM[dt])).from_address(w.data)
                arr.reshape(-1)[:] = np.frombuffer(src, npdt, count=n)
            weights.append((w.argIndex, _from_bf16_bits(arr) if dt == "bf16" else arr))
    weights.sort(key=lambda t: t[0])
    num_inputs = weights[0][0] if weights else None
    import re
    m = re.search(r"func\.func @([\w$.]+)\(", text)
    name = m.group(1)
    module = compile(text, name=os.fspath(path), threads=threads, **compile_kw)
    fn = module.functions[name]
    if num_inputs is None:
        num_inputs = len(fn.inputs)
    sig = text[text.index("func.func @" + name):]
    sig = sig[:sig.index("\n")]
    names = re.findall(r'lf\.name = "([^"]*)"', sig)
    input_names = names[:num_inputs]
    output_names = names[num_inputs + len(weights):]
    return OnnxModel(module, name, [w for _, w in weights], num_inputs, input_names,
                     output_names)


def export_torch(module, example_inputs, path, input_names=None, output_names=None,
                 dynamic_axes=None, opset=17):
    """torch.onnx.export with the ai.lightfuse domain registered (modules
    from lightfuse.nn export as its nodes); writes `path`."""
    import torch

    from . import nn as lfnn
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    kw = {}
    import inspect
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # the TorchScript exporter runs the symbolic functions
    with torch.no_grad():
        torch.onnx.export(module.eval(), example_inputs, os.fspath(path), opset_version=opset,
                          input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, custom_opsets=lfnn.CUSTOM_OPSETS, **kw)
    return path


def from_torch(module, example_inputs, path=None, input_names=None, output_names=None,
               dynamic_axes=None, dims=None, opset=17, threads=1, **compile_kw):
    """Compile a PyTorch module: torch.onnx.export, then compile_onnx.

    example_inputs is a tensor or a tuple of tensors (their shapes are the
    compiled shapes except the dynamic_axes, as in torch.onnx.export).
    Modules from lightfuse.nn export as ai.lightfuse nodes. path keeps the
    exported file (a stable path also keeps the JIT's disk cache warm across
    processes); without it a temporary file is used. Returns an OnnxModel
    called with numpy arrays or torch tensors."""
    import shutil
    import tempfile

    tmp = None
    if path is None:
        tmp = tempfile.mkdtemp(prefix="lightfuse-")
        path = os.path.join(tmp, "model.onnx")
    try:
        export_torch(module, example_inputs, path, input_names, output_names, dynamic_axes, opset)
        return compile_onnx(path, dims=dims, threads=threads, **compile_kw)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
