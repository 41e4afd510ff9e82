"""Bring-your-own digit: MNIST-style preprocessing of uploads and drawings ."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from cvae import digit_input as di


def _png(image: Image.Image, fmt: str = "PNG", **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **save)
    return buf.getvalue()


def _ink_box(digit: np.ndarray, level: int = 128) -> tuple[int, int]:
    rows = np.flatnonzero((digit >= level).any(axis=1))
    cols = np.flatnonzero((digit >= level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(digit.shape)
    w = digit.astype(np.float64)
    return (ys * w).sum() / w.sum(), (xs * w).sum() / w.sum()


def _photo_of(digit28: np.ndarray, scale: int = 10, margin: int = 60) -> Image.Image:
    """An MNIST digit as a person would photograph it: dark ink on light paper, larger,
    off-centre, on a bigger sheet."""
    big = Image.fromarray(255 - digit28).resize((28 * scale, 28 * scale),
                                                Image.Resampling.BILINEAR)
    sheet = Image.new("L", (28 * scale + 3 * margin, 28 * scale + margin), 255)
    sheet.paste(big, (2 * margin, margin // 3))
    return sheet


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4])
def test_a_photographed_mnist_digit_comes_back_mnist_style(test_split, index):
    original = test_split.images[index]
    out = di.digit_from_bytes(_png(_photo_of(original)))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out.max() >= 200 and out[0].max() == 0 and out[:, 0].max() == 0  # ink bright
    assert max(_ink_box(out)) in (19, 20, 21)  # longer side scaled to 20 px
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # centre of mass on pixel 14, 14
    seen, truth = di.model_input(out), di.model_input(original)
    overlap = (seen * truth).sum() / np.maximum(seen, truth).sum()
    assert overlap > 0.7, overlap  # the same digit (MNIST places ink with sub-pixel care)


def test_dark_on_light_and_light_on_dark_give_the_same_digit(test_split):
    dark_on_light = _photo_of(test_split.images[7])
    light_on_dark = Image.fromarray(255 - np.asarray(dark_on_light))
    a = di.digit_from_bytes(_png(dark_on_light))
    b = di.digit_from_bytes(_png(light_on_dark))
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


@pytest.mark.parametrize("ink", [(0, 0, 0), (255, 255, 255), (30, 90, 200)])
def test_strokes_on_a_transparent_background_are_ink_whatever_their_colour(ink):
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (20, 140), (*ink, 255)), (90, 30))  # a "1"
    out = di.digit_from_bytes(_png(image))
    height, width = _ink_box(out)
    assert height == 20 and width <= 4


def test_aspect_ratio_is_kept_and_the_longer_side_is_20_px():
    image = Image.new("L", (300, 300), 0)
    image.paste(Image.new("L", (200, 20), 255), (50, 140))  # a wide bar, 10:1
    out = di.digit_from_bytes(_png(image))
    height, width = _ink_box(out)
    assert width == 20 and height <= 3


def test_odd_modes_decode(test_split):
    photo = _photo_of(test_split.images[0])
    palette = photo.convert("P")
    sixteen_bit = Image.fromarray(np.asarray(photo, np.uint16) * 257)
    bilevel = photo.point(lambda v: 255 if v > 128 else 0).convert("1")
    reference = di.digit_from_bytes(_png(photo))
    for image in (palette, sixteen_bit, bilevel, photo.convert("RGB"), photo.convert("LA")):
        out = di.digit_from_bytes(_png(image))
        agree = (di.model_input(out) == di.model_input(reference)).mean()
        assert agree > 0.95, (image.mode, agree)


def test_a_noisy_grey_jpeg_photo_works(test_split):
    rng = np.random.default_rng(0)
    photo = np.asarray(_photo_of(test_split.images[1]), np.float64) * 0.6 + 70  # grey paper
    photo = np.clip(photo + rng.normal(0, 6, photo.shape), 0, 255).astype(np.uint8)
    out = di.digit_from_bytes(_png(Image.fromarray(photo).convert("RGB"), "JPEG", quality=80))
    reference = di.digit_from_bytes(_png(_photo_of(test_split.images[1])))
    agree = (di.model_input(out) == di.model_input(reference)).mean()
    assert agree > 0.9, agree


def test_a_canvas_data_url_goes_through_the_same_pipeline(test_split):
    photo = _photo_of(test_split.images[2])
    url = "data:image/png;base64," + base64.b64encode(_png(photo)).decode()
    assert np.array_equal(di.digit_from_data_url(url), di.digit_from_bytes(_png(photo)))


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"not an image at all", "not a readable PNG or JPEG"),
    (_png(Image.new("L", (40, 40), 0), "GIF"), "not a readable PNG or JPEG"),
    (_png(Image.new("L", (40, 40), 0), "BMP"), "not a readable PNG or JPEG"),
    (_png(Image.new("L", (100, 100), 0))[:60], "not a readable PNG or JPEG"),  # truncated
    (_png(Image.new("L", (100, 100), 255)), "No digit found"),                # blank paper
    (_png(Image.new("RGBA", (100, 100), (0, 0, 0, 0))), "No digit found"),   # all clear
    (_png(Image.new("1", (6000, 6000), 0)), "megapixels"),                   # pixel bomb
])
def test_unusable_files_raise_a_clear_message(data, message):
    with pytest.raises(di.DigitInputError, match=message):
        di.digit_from_bytes(data)


def test_files_over_the_size_cap_are_refused_before_decoding():
    data = _png(Image.new("L", (40, 40), 0)) + b"\0" * di.MAX_BYTES
    with pytest.raises(di.DigitInputError, match="limit is 1 MB"):
        di.digit_from_bytes(data)


@pytest.mark.parametrize("url", [
    "", "hello", "data:text/plain;base64,aGk=", "data:image/png,rawdata",
    "data:image/png;base64,@@@not-base64@@@",
])
def test_malformed_drawings_raise_a_clear_message(url):
    with pytest.raises(di.DigitInputError, match="drawing"):
        di.digit_from_data_url(url)


def test_model_input_binarizes_at_one_half_like_training():
    digit = np.zeros((28, 28), np.uint8)
    digit[0, 0], digit[0, 1] = 127, 128
    seen = di.model_input(digit)
    assert seen.shape == (28, 28) and set(np.unique(seen)) <= {0.0, 1.0}
    assert seen[0, 0] == 0 and seen[0, 1] == 1


def test_likeliest_class_is_the_argmax_with_its_share_of_the_posterior():
    log_prior = np.array([-900.0, -905.0, -899.0, *[-1000.0] * 7])  # far from every mean
    best, share = di.likeliest_class(log_prior)
    assert best == 2
    expected = 1 / (1 + np.exp(-1) + np.exp(-6))
    assert share == pytest.approx(expected)
