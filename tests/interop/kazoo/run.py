#!/usr/bin/env python3
"""kazoo interop suite. Usage: /usr/bin/python3 tests/interop/kazoo/run.py 127.0.0.1:PORT [-k name]"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import pyharness  # noqa: E402

if __name__ == "__main__":
    os.environ["ZK_CONNECT"] = pyharness.connect_string()
    flt = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    sys.exit(pyharness.run_dir("kazoo", HERE, name_filter=flt))
