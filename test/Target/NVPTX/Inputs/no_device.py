import numpy as np

import lightfuse

m = lightfuse.compile("func.func @main(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {\n"
                      "  %y = lf.rms_norm %x : tensor<?x8xf32>\n  return %y : tensor<?x8xf32>\n}\n",
                      target="nvptx", chip="sm_90")
print("compiled for nvptx")
try:
    m.main(np.ones((2, 8), np.float32))
    print("ran?")
except lightfuse.LightfuseError as e:
    print(f"LightfuseError: {e}")
