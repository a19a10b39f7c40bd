"""What the API process does once at start-up, checked on a real app and database."""

import gc

from fastapi.testclient import TestClient

from api.main import create_app
from geo.settings import Settings


def test_startup_objects_are_frozen_out_of_the_collector(db_url, monkeypatch):
    # Unfrozen, a full collection under load scanned every import-time object: 80-170 ms pauses,
    # the p99 of every route. The freeze moves them to the permanent generation.
    monkeypatch.setenv("DATABASE_URL", db_url)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(Settings())) as client:
            assert client.get("/api/health").status_code == 200
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
