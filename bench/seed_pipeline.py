"""The original design's pipeline, timed: pandas read_csv -> df.to_json() ->
websockets (one text message) -> server pd.read_json -> text reply.

Run: /usr/bin/python3 bench/seed_pipeline.py FILE
Prints one JSON line: {"seconds": ..., "rows": ...} (or {"missing": "..."}).
"""
import asyncio
import io
import json
import sys
import time

try:
    import pandas as pd
    import websockets
except ImportError as err:  # Debian: apt-get install python3-pandas python3-websockets
    print(json.dumps({"missing": str(err)}))
    sys.exit(0)


async def main(path):
    rows = {}

    async def handler(ws, *_):
        message = await ws.recv()
        df = pd.read_json(io.StringIO(message))
        rows["n"] = len(df)
        await ws.send("CSV file received and processed!")

    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        t0 = time.perf_counter()
        df = pd.read_csv(path)
        data = df.to_json()
        async with websockets.connect(f"ws://127.0.0.1:{port}", max_size=None) as ws:
            await ws.send(data)
            await ws.recv()
        seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rows": rows.get("n")}))


asyncio.run(main(sys.argv[1]))
