"""Bring-your-own digit: an uploaded or drawn image made into an MNIST-style 28x28 digit.

MNIST's own recipe: crop to the ink's bounding box, scale the longer side to 20 px keeping
the aspect ratio (with anti-aliasing), and place the result in a 28x28 field so that its
centre of mass sits at the centre. Ink is bright on a dark background, as in MNIST; light
backgrounds are inverted. Everything here is NumPy and Pillow only (no TensorFlow).
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from cvae.data import binarize

MAX_BYTES = 1_000_000        # the same cap as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 25_000_000      # refuse bigger images before decoding them (decompression bombs)
FORMATS = ("PNG", "JPEG")
BOX = 20                     # MNIST: the digit's longer side, in pixels
FIELD = 28
INK = 0.25                   # ink level (of 1) that counts towards the bounding box
MIN_CONTRAST = 0.12          # darkest-to-lightest spread (of 1) below which nothing is drawn


class DigitInputError(ValueError):
    """An image that cannot be used as a digit; the message is meant for the user."""


def read_image(data: bytes, max_bytes: int = MAX_BYTES,
               max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode PNG or JPEG bytes defensively (size cap, pixel cap, format check, EXIF turn)."""
    if not data:
        raise DigitInputError("The file is empty.")
    if len(data) > max_bytes:
        raise DigitInputError(f"The file is {len(data) / 1e6:.1f} MB; the limit is "
                              f"{max_bytes / 1e6:.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = image.size
            if width * height > max_pixels:
                raise DigitInputError(f"The image is {width}×{height} pixels; images over "
                                      f"{max_pixels / 1e6:.0f} megapixels are refused.")
            if image.format == "JPEG":
                image.draft("L", (8 * FIELD, 8 * FIELD))  # decode big photos at a small size
            image.load()
            return ImageOps.exif_transpose(image)
    except DigitInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DigitInputError("The image is too large to decode safely.") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise DigitInputError("This is not a readable PNG or JPEG image (it may be "
                              "damaged, or another format renamed).") from None


def ink_map(image: Image.Image) -> np.ndarray:
    """Ink in [0, 1] as float32 ``[H, W]``: bright ink on a dark background.

    Mostly transparent images use their opacity as ink (a stroke on a clear background).
    Otherwise the grey levels are used, inverted when the border is light, and stretched
    so the background is 0 and the strongest ink 1.
    """
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        grey = np.asarray(image, np.float64)
        grey = grey / max(float(grey.max()), 255.0)
    else:
        rgba = np.asarray(image.convert("RGBA"), np.float64) / 255.0
        alpha = rgba[..., 3]
        if np.median(alpha) < 0.5:
            return _stretch(alpha)
        luma = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
        grey = alpha * luma + (1.0 - alpha)  # what is left transparent shows as white paper
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        grey = 1.0 - grey
    return _stretch(grey)


def _stretch(ink: np.ndarray) -> np.ndarray:
    low, high = np.percentile(ink, 1), float(ink.max())
    if high - low < MIN_CONTRAST:
        raise DigitInputError("No digit found: the image is (nearly) one flat colour.")
    return np.clip((ink - low) / (high - low), 0.0, 1.0).astype(np.float32)


def mnist_style(ink: np.ndarray) -> np.ndarray:
    """Crop ``ink`` ``[H, W]`` in [0, 1] to its bounding box, fit the longer side to 20 px and
    centre it by centre of mass in a 28x28 field; uint8 ``[28, 28]``."""
    rows = np.flatnonzero((ink > INK).any(axis=1))
    cols = np.flatnonzero((ink > INK).any(axis=0))
    if rows.size == 0:
        raise DigitInputError("No digit found: there is no ink in the image.")
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(crop.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)
    digit = np.clip(np.asarray(small, np.float64), 0.0, 1.0)
    if digit.sum() <= 0:
        raise DigitInputError("No digit found: the strokes are too thin to see at 28×28.")
    ys, xs = np.indices(digit.shape)
    cy, cx = (ys * digit).sum() / digit.sum(), (xs * digit).sum() / digit.sum()
    # MNIST puts the centre of mass on pixel (14, 14) (its test digits average 14.0, 14.0)
    top = int(np.clip(round(FIELD // 2 - cy), 0, FIELD - digit.shape[0]))
    left = int(np.clip(round(FIELD // 2 - cx), 0, FIELD - digit.shape[1]))
    field = np.zeros((FIELD, FIELD), np.float64)
    field[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return np.round(field * 255).astype(np.uint8)


def digit_from_bytes(data: bytes, max_bytes: int = MAX_BYTES) -> np.ndarray:
    """PNG or JPEG bytes -> MNIST-style uint8 ``[28, 28]``; `DigitInputError` if unusable."""
    return mnist_style(ink_map(read_image(data, max_bytes)))


def digit_from_data_url(url: str, max_bytes: int = MAX_BYTES) -> np.ndarray:
    """A ``data:image/png;base64,...`` URL (a drawing canvas) -> MNIST-style ``[28, 28]``."""
    head, sep, payload = url.partition(",")
    if not sep or not head.startswith("data:image/") or not head.endswith(";base64"):
        raise DigitInputError("The drawing did not arrive as a base64 image.")
    if len(payload) > 4 * max_bytes // 3 + 4:
        raise DigitInputError(f"The drawing is larger than {max_bytes / 1e6:.0f} MB.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise DigitInputError("The drawing did not arrive as valid base64.") from None
    return digit_from_bytes(data, max_bytes)


def model_input(digit: np.ndarray) -> np.ndarray:
    """The binarized image ``[28, 28]`` in {0, 1} that the model sees (as in training)."""
    return binarize(digit)[0, ..., 0]


def likeliest_class(log_prior: np.ndarray) -> tuple[int, float]:
    """The class whose prior gives a code the highest likelihood, and its share
    p(y | z) under equal class weights, from ``log p(z | y)`` for the 10 classes."""
    log_prior = np.asarray(log_prior, np.float64).reshape(-1)
    weights = np.exp(log_prior - log_prior.max())
    best = int(np.argmax(log_prior))
    return best, float(weights[best] / weights.sum())
