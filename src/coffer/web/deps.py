"""Generic request dependencies: the database and one transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from coffer.config import Settings
from coffer.db.session import Database


# Dependencies that do no I/O are `async def`: FastAPI then calls them on the event
# loop instead of handing each to the thread pool, a trip that costs more than they do.
async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: commits when the route returns, rolls back on any error.

    Declared with scope="function" so the commit happens before the response is sent: a
    client never sees success for a write that then fails to commit.
    """
    db: Database = request.app.state.db
    with db.sessions() as session, session.begin():
        request.state.session = session
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
