"""The hover preview's digit route (cvae/live/digits.py): a test digit's 784 grey levels."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae.data import load_test_split
from cvae.live.digits import digit_route


@pytest.fixture(scope="module")
def split():
    return load_test_split()


@pytest.fixture
def client():
    with TestClient(Starlette(routes=[digit_route("/base")])) as c:
        yield c


@pytest.mark.parametrize("index", [0, 1234, 9999])
def test_hover_digit_route_serves_the_test_digit_for_good(client, split, index):
    r = client.get(f"/base/cvae/digit/{index}")
    assert r.status_code == 200
    assert np.array_equal(np.frombuffer(r.content, np.uint8).reshape(28, 28), split.images[index])
    assert "immutable" in r.headers["cache-control"]


@pytest.mark.parametrize("index", ["10000", "-1", "abc", "1e3", "٣"])
def test_hover_digit_route_refuses_a_bad_index_with_a_clear_message(client, index):
    r = client.get(f"/base/cvae/digit/{index}")
    assert r.status_code == 400
    assert "index must be a whole number from 0 to 9999" in r.text
