"""The one haversine: scalar and vectorised forms agree, and the unit-sphere test matches them."""

from __future__ import annotations

import numpy as np
import pytest

from index.places.geo import EARTH_KM, haversine, haversine_km, haversine_matrix, unit_vectors

# Siversk, Bakhmut, Kharkiv, Kyiv
LAT = np.array([48.8659, 48.5956, 49.9808, 50.4547])
LON = np.array([38.1009, 38.0003, 36.2527, 30.5238])


def test_known_distances() -> None:
    assert haversine_km(LAT[0], LON[0], LAT[1], LON[1]) == pytest.approx(31.0, abs=1.0)
    assert haversine_km(LAT[2], LON[2], LAT[3], LON[3]) == pytest.approx(410.0, abs=5.0)
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(np.pi * EARTH_KM)


def test_the_vectorised_forms_agree_with_the_scalar_one() -> None:
    matrix = haversine_matrix(LAT, LON, LAT[:2], LON[:2])
    assert matrix.shape == (4, 2)
    for i in range(4):
        for j in range(2):
            assert matrix[i, j] == pytest.approx(haversine_km(LAT[i], LON[i], LAT[j], LON[j]))
    paired = haversine(LAT, LON, LAT[::-1], LON[::-1])
    assert paired.shape == (4,)
    for i in range(4):
        assert paired[i] == pytest.approx(haversine_km(LAT[i], LON[i], LAT[3 - i], LON[3 - i]))


def test_unit_vectors_decide_within_a_radius_as_the_haversine_does() -> None:
    xyz = unit_vectors(LAT, LON)
    dots = xyz @ xyz.T
    km = haversine_matrix(LAT, LON, LAT, LON)
    for radius in (10.0, 40.0, 300.0, 500.0):
        assert ((dots >= np.cos(radius / EARTH_KM) - 1e-12) == (km <= radius)).all()
