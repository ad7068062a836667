#!/usr/bin/env python3
"""Command-line tool + four-letter-word suites (zkCli.sh, C client cli_mt, raw 4lw).
Usage: /usr/bin/python3 tests/interop/tools/run.py 127.0.0.1:PORT [-k name]"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import pyharness  # noqa: E402

if __name__ == "__main__":
    os.environ["ZK_CONNECT"] = pyharness.connect_string()
    flt = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    sys.exit(pyharness.run_dir("tools", HERE, name_filter=flt))
