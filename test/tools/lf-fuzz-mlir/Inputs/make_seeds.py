"""Writes one seed file per `// -----` chunk of every .mlir file under the
given directories into the output directory (lf-fuzz-mlir's seed corpus, as
scripts/fuzz.sh builds it)."""
import os
import sys

out, roots = sys.argv[1], sys.argv[2:]
os.makedirs(out, exist_ok=True)
n = 0
for root in roots:
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if not f.endswith(".mlir"):
                continue
            text = open(os.path.join(dirpath, f), encoding="utf-8", errors="replace").read()
            for chunk in text.split("\n// -----"):
                with open(os.path.join(out, f"seed{n}.mlir"), "w") as fh:
                    fh.write(chunk)
                n += 1
print(f"{n} seeds")
