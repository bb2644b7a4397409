"""pandas.read_csv of FILE, warm: one untimed read, then RUNS timed reads.

Run: /usr/bin/python3 bench/pandas_read.py FILE RUNS
Prints one JSON line: {"seconds": [...], "rows": N} (or {"missing": "..."}).
"""
import json
import sys
import time

try:
    import pandas as pd
except ImportError as err:  # Debian: apt-get install python3-pandas
    print(json.dumps({"missing": str(err)}))
    sys.exit(0)

path, runs = sys.argv[1], int(sys.argv[2])
rows = len(pd.read_csv(path))
seconds = []
for _ in range(runs):
    t = time.perf_counter()
    pd.read_csv(path)
    seconds.append(time.perf_counter() - t)
print(json.dumps({"seconds": seconds, "rows": rows}))
