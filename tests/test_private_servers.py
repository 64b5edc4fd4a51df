"""The private servers the fault tests stop and start (`tests/helpers/servers.py`)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.helpers.servers import private_postgres, private_redis

pytestmark = pytest.mark.slow


def test_a_private_postgres_keeps_its_data_across_a_restart() -> None:
    with private_postgres() as server:
        engine = create_engine(server.url, future=True)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE kept (v text)"))
            connection.execute(text("INSERT INTO kept VALUES ('một')"))
        engine.dispose()
        server.stop("fast")
        assert not server.running()
        server.start()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT v FROM kept")).scalar_one() == "một"
        engine.dispose()
    assert not server.folder.exists()


def test_a_private_redis_saves_nothing_and_is_removed() -> None:
    import redis

    with private_redis() as server:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        server.stop()
        server.start()
        assert client.get("k") is None  # nothing saved to disk
        client.close()
    assert not server.folder.exists()
