"""A request whose client goes away is cancelled (#16 item 1).

Uvicorn does not cancel a request when its client disconnects: the route runs to its end, and its
query with it, for as long as statement_timeout allows. For a request without a body, this
middleware listens for the disconnect beside the app (once a request's body is read, the next
message uvicorn has for it is the disconnect). When it comes before the response is complete, it
calls what the request registered with `on_disconnect` (api.deps: cancel its connection's statement),
again every 0.1 s until the request has ended (a `def` route may start another statement), and
cancels the request's task. Requests with a body (uploads, edits) are left alone: the app reads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CALLBACKS = "pantau.on_disconnect"
ABANDONED = "pantau.abandoned"  # in the scope of a request cancelled because its client went away
RECHECK_S = 0.1


@contextmanager
def on_disconnect(scope: Scope, callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` if the request's client goes away while the block runs."""
    callbacks = scope.get(_CALLBACKS)
    if callbacks is None:  # a request with a body, or a server without the middleware
        yield
        return
    callbacks.append(callback)
    try:
        yield
    finally:
        callbacks.remove(callback)


def _has_body(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0")
               for name, value in scope["headers"])


class CancelOnDisconnect:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has_body(scope):
            await self.app(scope, receive, send)
            return
        first: Message | None = await receive()  # the empty body, at once
        if first["type"] == "http.disconnect":
            return
        callbacks: list[Callable[[], None]] = []
        scope[_CALLBACKS] = callbacks
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        last = loop.create_future()  # what uvicorn says after the body: disconnect, or response complete
        state = {"complete": False, "cancelled": False}

        async def watch() -> None:
            message = await receive()
            last.set_result(message)
            if state["complete"] or message["type"] != "http.disconnect":
                return
            state["cancelled"] = True
            scope[ABANDONED] = True
            task.cancel()
            while True:
                for callback in list(callbacks):
                    callback()
                await asyncio.sleep(RECHECK_S)

        async def app_receive() -> Message:
            nonlocal first
            if first is not None:
                message, first = first, None
                return message
            return await asyncio.shield(last)

        async def app_send(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                state["complete"] = True  # before sending: uvicorn wakes the watcher as it sends
            await send(message)

        watcher = loop.create_task(watch())
        try:
            await self.app(scope, app_receive, app_send)
        except asyncio.CancelledError:
            if not state["cancelled"] or task.uncancel():  # someone else's cancellation (shutdown)
                raise
        finally:
            watcher.cancel()
