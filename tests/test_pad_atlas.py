"""The pad's atlas: grid geometry, nearest-cell lookup and one-call decoding (issue 7)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from cvae import latent_pad
from cvae.latent_pad import atlas

CENTRE = (0.37, -1.25)


def test_the_centre_cell_is_the_point_itself():
    for k in (1, 3, 7):
        pts = atlas.points(CENTRE, k, 0.2)
        assert pts.shape == (k * k, 2)
        assert tuple(pts[atlas.centre_index(k)]) == CENTRE  # exactly, not approximately
        assert atlas.cell(CENTRE, CENTRE, k, 0.2) == (k // 2, k // 2, True)


def test_points_are_row_major_from_the_top_left():
    pts = atlas.points((1.0, 2.0), 3, 0.5).reshape(3, 3, 2)
    np.testing.assert_allclose(pts[0, 0], [0.5, 2.5])   # top left: smallest x, largest y
    np.testing.assert_allclose(pts[0, 2], [1.5, 2.5])
    np.testing.assert_allclose(pts[2, 0], [0.5, 1.5])
    np.testing.assert_allclose(np.diff(pts[..., 0], axis=1), 0.5)
    np.testing.assert_allclose(np.diff(pts[..., 1], axis=0), -0.5)


def test_every_point_of_the_atlas_is_its_own_cell():
    k, h = 7, 0.2
    pts = atlas.points(CENTRE, k, h)
    for i, p in enumerate(pts):
        assert atlas.cell(CENTRE, tuple(p), k, h) == (i // k, i % k, True)


def test_the_nearest_cell_is_within_half_a_spacing():
    k, h = 7, 0.2
    pts = atlas.points(CENTRE, k, h)
    rng = np.random.default_rng(0)
    half_width = (k / 2) * h
    for xy in rng.uniform(-half_width, half_width, (500, 2)) + CENTRE:
        row, col, covered = atlas.cell(CENTRE, tuple(xy), k, h)
        assert covered
        assert np.all(np.abs(pts[row * k + col] - xy) <= h / 2 + 1e-12)
        # ...and no other cell is nearer on both axes
        dist = np.abs(pts - xy).max(axis=1)
        assert dist[row * k + col] <= dist.min() + 1e-12


def test_coverage_ends_half_a_spacing_beyond_the_edge_cells():
    k, h = 7, 0.2
    cx, cy = CENTRE
    edge = 3.5 * h
    inside = [(cx + edge - 1e-6, cy), (cx - edge + 1e-6, cy), (cx, cy + edge - 1e-6),
              (cx, cy - edge + 1e-6)]
    assert [atlas.cell(CENTRE, xy, k, h) for xy in inside] == [
        (3, 6, True), (3, 0, True), (0, 3, True), (6, 3, True)]
    outside = [(cx + edge + 1e-6, cy), (cx - edge - 1e-6, cy), (cx, cy + edge + 1e-6),
               (cx, cy - edge - 1e-6), (cx + 5, cy + 5), (cx - 9, cy - 0.05)]
    # outside: the nearest edge cell, not covered
    assert [atlas.cell(CENTRE, xy, k, h) for xy in outside] == [
        (3, 6, False), (3, 0, False), (0, 3, False), (6, 3, False), (0, 6, False),
        (3, 0, False)]


def test_ties_round_up_like_pad_js():
    # Math.floor(d + 0.5): exactly half way goes to the larger coordinate.
    assert atlas.cell((0.0, 0.0), (0.25, -0.25), 3, 0.5) == (1, 2, True)
    assert atlas.cell((0.0, 0.0), (-0.25, 0.25), 3, 0.5) == (0, 1, True)


def test_the_atlas_needs_an_odd_size():
    for k in (0, 2, 8):
        with pytest.raises(ValueError, match="odd"):
            atlas.points(CENTRE, k)
    assert atlas.K % 2 == 1 and atlas.K ** 2 <= 64  # one call in the 64 bucket


class _View:
    """A 3-D stand-in for ModelView: the code is (x, y, digit)."""

    def latent_at(self, digit: int, xy) -> np.ndarray:
        xy = np.asarray(xy, np.float64)
        return np.concatenate([xy, np.full((*xy.shape[:-1], 1), float(digit))], axis=-1)


def _grey_of_code(codes: np.ndarray) -> np.ndarray:
    """Fake decoder: each image is flat, its grey level a function of the code."""
    grey = (np.round(codes[:, 0] * 10) * 16 + np.round(codes[:, 1] * 10) + codes[:, 2] + 128)
    return np.repeat(grey / 255.0, 28 * 28).reshape(-1, 28, 28)


def _tiles(data_url: str, k: int) -> np.ndarray:
    png = base64.b64decode(data_url.split(",", 1)[1])
    sheet = np.asarray(Image.open(io.BytesIO(png)))
    assert sheet.shape == (28 * k, 28 * k)
    return sheet.reshape(k, 28, k, 28).transpose(0, 2, 1, 3).reshape(k * k, 28, 28)


def test_decode_atlas_decodes_every_cell_in_one_call_and_tiles_them_in_order():
    calls = []

    def decode(codes: np.ndarray) -> np.ndarray:
        calls.append(codes.copy())
        return _grey_of_code(codes)

    centre = (0.2, -0.3)
    middle, data = latent_pad.decode_atlas(_View(), decode, 3, centre, k=3, spacing=0.1)
    assert len(calls) == 1 and calls[0].shape == (9, 3)
    np.testing.assert_allclose(calls[0][:, :2], atlas.points(centre, 3, 0.1))
    assert np.all(calls[0][:, 2] == 3)  # the class the page shows
    assert data["centre"] == [0.2, -0.3] and data["spacing"] == 0.1 and data["k"] == 3
    tiles = _tiles(data["image"], 3)
    want = np.round(_grey_of_code(calls[0]) * 255)
    np.testing.assert_array_equal(tiles, want)
    np.testing.assert_array_equal(middle, _grey_of_code(calls[0])[4])  # the centre cell


def test_pad_data_carries_the_atlas_only_when_given():
    class View(_View):
        bounds = ((-4.0, 4.0), (-5.0, 5.0))
        axis_titles = ("z₁", "z₂")
        centre_coords = np.zeros((10, 2))

    _, data = latent_pad.decode_atlas(View(), _grey_of_code, 1, (0.0, 0.0))
    args = dict(frame=3, colours=["#000"] * 10)
    assert latent_pad.pad_data(View(), 1, (0.0, 0.0), **args)["atlas"] is None
    assert latent_pad.pad_data(View(), 1, (0.0, 0.0), atlas=data, **args)["atlas"] is data
