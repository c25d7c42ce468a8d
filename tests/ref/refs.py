"""Writes reference arrays for the Check suites: STEM.bin (raw little-endian
C-order arrays, each 16-byte aligned) and STEM.txt (one line per array:
name dtype offset ndim shape...). tests/support/tf_test.c reads them.

    from refs import Refs
    r = Refs("tf_ref", __doc__)
    r.put("abs_x_f32", x)
    r.save()
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class Refs:
    def __init__(self, stem, doc=""):
        self.stem = stem
        self.doc = (doc or "").strip().splitlines()[:1]
        self.blob = bytearray()
        self.index = []
        self.names = set()

    def put(self, name, a):
        a = np.ascontiguousarray(a)
        if a.dtype == np.bool_:
            a = a.astype(np.uint8)
        assert name not in self.names, name
        assert a.dtype.byteorder in "=<|", name
        assert len(name) < 96, name
        self.names.add(name)
        while len(self.blob) % 16:
            self.blob.append(0)
        shape = " ".join(str(d) for d in a.shape)
        self.index.append(f"{name} {a.dtype.name} {len(self.blob)} {a.ndim} {shape}".rstrip())
        self.blob.extend(a.tobytes())

    def save(self):
        with open(os.path.join(HERE, self.stem + ".bin"), "wb") as f:
            f.write(self.blob)
        with open(os.path.join(HERE, self.stem + ".txt"), "w") as f:
            f.write(f"# name dtype offset ndim shape... (written by gen_{self.stem}.py)\n")
            for line in self.index:
                f.write(line + "\n")
