"""A small loopback TCP balancer in front of the app nodes, as nginx or a cloud balancer would stand.

Each client connection goes to the next enabled node in turn (round robin). If that node refuses the
connection (its process is gone), the balancer tries the next one: nothing of the request was sent yet,
so this retry is safe for any method. A request already on a node that dies is lost (the client sees the
connection close) and is counted as failed. `drain(name)` stops sending new connections to a node and
waits until its open ones have finished: the rolling restart uses it before stopping the node.
gunicorn's sync workers close the connection after each response, so one connection is one request.
"""
import asyncio
import itertools
import threading
import time


class Balancer:
    def __init__(self, port: int, nodes: dict[str, int]):
        self.port, self.nodes = port, dict(nodes)  # name -> port
        self.enabled = set(nodes)
        self.open = dict.fromkeys(nodes, 0)  # name -> connections in progress
        self.served = dict.fromkeys(nodes, 0)
        self.refused = 0  # connections a node refused that went to another node
        self.dropped = 0  # connections no node took
        self._turn = itertools.count()
        self._tasks = set()  # the connections' tasks: asyncio keeps only weak references to them
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="balancer", daemon=True)

    def start(self) -> "Balancer":
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the balancer did not start")
        return self

    def stop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def drain(self, name: str, timeout: float = 30.0) -> None:
        """Send nothing new to `name`, and wait until its connections in progress have ended."""
        self.enabled.discard(name)
        deadline = time.monotonic() + timeout
        while self.open[name] and time.monotonic() < deadline:
            time.sleep(0.05)

    def enable(self, name: str) -> None:
        self.enabled.add(name)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port,
                                                                    backlog=512))
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(self._loop)  # connections still open: end them while the loop runs
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    async def _connect(self):
        order = sorted(self.enabled)
        if not order:
            return None, None, None
        start = next(self._turn)
        for step in range(len(order)):
            name = order[(start + step) % len(order)]
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.nodes[name]), timeout=5)
            except (OSError, asyncio.TimeoutError):
                self.refused += 1
                continue
            return name, reader, writer
        return None, None, None

    async def _serve(self, client_reader, client_writer):
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            await self._relay(client_reader, client_writer)
        except asyncio.CancelledError:
            pass  # the balancer is stopping: the connection ends with it
        finally:
            self._tasks.discard(task)

    async def _relay(self, client_reader, client_writer):
        name, node_reader, node_writer = await self._connect()
        if name is None:
            self.dropped += 1
            client_writer.close()
            return
        self.open[name] += 1
        self.served[name] += 1
        try:
            upstream = asyncio.ensure_future(_pipe(client_reader, node_writer))
            self._tasks.add(upstream)
            upstream.add_done_callback(self._tasks.discard)
            await _pipe(node_reader, client_writer)  # the answer has ended (or the node died): so has the request
            upstream.cancel()
        finally:
            self.open[name] -= 1
            for writer in (client_writer, node_writer):
                writer.close()


async def _pipe(reader, writer) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):
        writer.close()
