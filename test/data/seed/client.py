# The original design's client, unchanged: it connects to ws://localhost:8851
# with no subprotocol and no Origin, sends the CSV as pandas JSON, and prints
# the server's one text reply.
import asyncio
import websockets
import pandas as pd


async def send_csv():
    uri = "ws://localhost:8851"
    async with websockets.connect(uri) as websocket:
        df = pd.read_csv("students.csv")
        await websocket.send(df.to_json())
        response = await websocket.recv()
        print(f"Server says: {response}")


asyncio.get_event_loop().run_until_complete(send_csv())
