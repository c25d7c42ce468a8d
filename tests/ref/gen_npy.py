#!/usr/bin/python3
"""Small .npy fixtures written by numpy itself, for tests/test_npy.c and
tests/test_cli.sh (`ezc pub --npy`). Run: /usr/bin/python3 tests/ref/gen_npy.py
"""
import os

import numpy as np

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")
os.makedirs(D, exist_ok=True)
np.save(os.path.join(D, "f32_2d.npy"), np.arange(30, dtype=np.float32).reshape(10, 3))
np.save(os.path.join(D, "f64_1d.npy"), np.linspace(-1, 1, 7))
np.save(os.path.join(D, "i16_3d.npy"), np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 12)
np.save(os.path.join(D, "c64.npy"), np.array([1 + 2j, -3.5j], dtype=np.complex64))
np.save(os.path.join(D, "u8_scalar.npy"), np.uint8(7))
np.save(os.path.join(D, "fortran.npy"), np.asfortranarray(np.ones((2, 3))))
np.save(os.path.join(D, "bigendian.npy"), np.arange(3, dtype=">f8"))
np.save(os.path.join(D, "structured.npy"), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
# version 2.0: numpy writes it when asked
with open(os.path.join(D, "v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.arange(4, dtype=np.int64), version=(2, 0))
