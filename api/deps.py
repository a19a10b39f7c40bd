"""Dependencies shared by the routes: the database pool and a connection per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from geo.db import Connection, Pool


def get_pool(request: Request) -> Pool:
    return request.app.state.pool


def get_conn(pool: Annotated[Pool, Depends(get_pool)]) -> Iterator[Connection]:
    with pool.connection() as conn:
        yield conn


Conn = Annotated[Connection, Depends(get_conn)]
