#!/usr/bin/env python3
"""Unit tests of tools/train/common.py: the thread limit reaches OpenBLAS's own pool, which
torch.set_num_threads does not (Debian's torch calls whatever libblas.so.3 is)."""
import os
import subprocess
import sys
import unittest

TRAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "train")

PROBE = """
import ctypes, torch, common
torch.randn(64, 64) @ torch.randn(64, 64)  # OpenBLAS is loaded and has started its pool
common.set_threads()
paths = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'openblas' in l.lower() and '/' in l})
getters = [getattr(ctypes.CDLL(p), 'openblas_get_num_threads', None) for p in paths]
getters = [g for g in getters if g]
print(getters[0]() if getters else 'none')
"""


class ThreadLimitTest(unittest.TestCase):
    def probe(self, threads):
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
        result = subprocess.run([sys.executable, "-c", PROBE], cwd=TRAIN, capture_output=True, text=True,
                                timeout=120, env={**env, "FOLEY_THREADS": str(threads)})
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def test_foley_threads_sets_openblas_pool(self):
        if self.probe(1) == "none":
            self.skipTest("this torch does not use OpenBLAS")
        self.assertEqual(self.probe(1), "1")
        if (os.cpu_count() or 1) >= 2:
            self.assertEqual(self.probe(2), "2")


if __name__ == "__main__":
    unittest.main()
