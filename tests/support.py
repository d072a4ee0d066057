"""Test helpers: the gateway's HTTP API served by uvicorn on a real socket in a thread."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from kodeord.adapters.db.engine import Database
from kodeord.app.context import Context
from kodeord.web.api import create_app


class ApiServer:
    """uvicorn on 127.0.0.1:0 in its own thread and event loop; `client()` talks to it."""

    def __init__(self, database_url: str, admin_token: str, **context: Any) -> None:
        self.database_url = database_url
        self.admin_token = admin_token
        self.context_args = context
        self.base_url = ""
        self._ready = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None
        self._clients: list[httpx.Client] = []

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        db = Database(self.database_url)
        ctx = Context(db=db, admin_token=self.admin_token, **self.context_args)
        config = uvicorn.Config(
            create_app(ctx), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._ready.set()
        try:
            await task
        finally:
            await db.close()

    def __enter__(self) -> ApiServer:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for client in self._clients:
            client.close()
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=30)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def admin(self) -> httpx.Client:
        return self.client(self.admin_token)
