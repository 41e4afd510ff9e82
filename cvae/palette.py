"""The class colours and the colour science that checks them (NumPy only).

`CLASS_COLOURS` is Petroff's 10-colour sequence (Matplotlib's ``petroff10``, from
Petroff 2021, "Accessible Color Sequences for Data Visualization"), chosen so that the ten
classes stay apart for colour-blind visitors; `TEXT_ON_CLASS` is black or white, whichever
reads better on each. `simulate` (Machado, Oliveira & Fernandes 2009, severity 1) and
`ciede2000` (Sharma, Wu & Dalal 2005) let a test check that: written here because neither
is in the project's dependencies (``colorspacious`` simulates but measures CAM02-UCS
distances, ``colour-science`` does both but is a large dependency for two formulas).
"""

from __future__ import annotations

import numpy as np

CLASS_COLOURS = ("#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
                 "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd")

# Machado et al. 2009, severity 1.0, applied to linear RGB.
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65


def rgb(hex_colour: str) -> np.ndarray:
    """``#rrggbb`` as sRGB in [0, 1]; `ValueError` for anything else."""
    text = hex_colour.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(f"expected a #rrggbb colour, got {hex_colour!r}")
    return np.array([int(text[i:i + 2], 16) for i in (0, 2, 4)], np.float64) / 255.0


def linear(srgb: np.ndarray) -> np.ndarray:
    srgb = np.asarray(srgb, np.float64)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def encoded(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(np.asarray(lin, np.float64), 0.0, 1.0)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)


def simulate(srgb: np.ndarray, kind: str) -> np.ndarray:
    """``srgb`` as seen with ``kind`` (a key of `MACHADO`), in sRGB [0, 1]."""
    return encoded(np.asarray(MACHADO[kind]) @ linear(srgb))


def lab(srgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour in [0, 1]."""
    xyz = _RGB_TO_XYZ @ linear(srgb) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """The CIEDE2000 colour difference (kL = kC = kH = 1)."""
    (l1, a1, b1), (l2, a2, b2) = np.asarray(lab1, float), np.asarray(lab2, float)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dh_big = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    r_c = 2 * np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
    r_t = -np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2)))) * r_c
    return float(np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh_big / s_h) ** 2
                         + r_t * (dc / s_c) * (dh_big / s_h)))


def luminance(srgb: np.ndarray) -> float:
    """WCAG relative luminance."""
    return float(np.dot([0.2126, 0.7152, 0.0722], linear(srgb)))


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    hi, lo = sorted((luminance(rgb(fg)), luminance(rgb(bg))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(bg: str) -> str:
    """Black or white, whichever contrasts more with ``bg``."""
    return "#000000" if contrast("#000000", bg) >= contrast("#ffffff", bg) else "#ffffff"


TEXT_ON_CLASS = tuple(text_on(colour) for colour in CLASS_COLOURS)
