"""Hourly shapes for loads and PV systems that an OpenDSS model gives none.

Hour ``h`` counts from 00:00 on 1 January of ``year``, local standard time; period ``t`` of a
window covers hours ``[start + t, start + t + 1)``.

- Loads (optional extra ``profiles``, demandlib): the BDEW standard load profiles of the 2025
  revision — H25 (households, with BDEW's dynamisation over the year) for RL, G25 (commerce and
  trade) for CL, L25 (farms) for AL — and demandlib's industrial step profile
  (``IndustrialLoadProfile.simple_profile`` with its default two-shift factors) for IL, each
  taken as hourly means of its 15-minute values and scaled so that its peak over the year is 1
  (the load's rated kW is its annual peak, as OpenDSS's own default shape, peak 1.0, takes it).
  German calendar: no holidays are passed.
- PV (optional extra ``profiles``, pvlib): clear-sky plane-of-array irradiance (Ineichen model
  with pvlib's Linke turbidity climatology, isotropic sky) on a fixed panel tilted at the site's
  latitude and facing the equator, as hourly means of 5-minute samples, in kW/m^2 (1 = the
  standard test irradiance at which Pmpp is rated).
- Without the extra, both fall back to the default case's 24-hour shapes
  (``cases/data/paper/profiles.csv``, repeated every day): each load type's column scaled to a
  daily peak of 1, and the PV column scaled to a peak of 1 kW/m^2 at noon.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from .data import profiles

#: Where clear-sky PV is computed unless the caller says: latitude, longitude (degrees; NREL's
#: campus in Golden, Colorado — an arbitrary mid-latitude North American site).
DEFAULT_SITE = (39.74, -105.18)
#: 1 January 2025 is a Wednesday: a default window starting at hour 0 is a working day.
DEFAULT_YEAR = 2025
KINDS = ("RL", "CL", "IL", "AL")
_EMBEDDED = "embedded 24-h shapes (cases/data/paper/profiles.csv)"


def window(start: int, hours: int, length: int) -> np.ndarray:
    """Indices of hours ``start .. start + hours - 1`` into a series of ``length`` hours that
    repeats (as OpenDSS repeats a shape shorter than the simulation)."""
    return (start + np.arange(hours)) % length


def load_shapes(hours: int, start: int, year: int = DEFAULT_YEAR) -> tuple[dict[str, np.ndarray], str]:
    """Default load shapes of the four customer types over a window.

    Returns
    -------
    shapes : dict of str to ndarray (hours,)
        Multipliers of rated kW for 'RL', 'CL', 'IL', 'AL'.
    source : str
        Which library (and version) or fallback gave them.
    """
    try:
        import demandlib  # noqa: F401  (is the extra there? the year itself is cached)
    except ImportError:
        prof = profiles()
        idx = window(start, hours, len(prof))
        return {k: (prof[k] / prof[k].max()).to_numpy()[idx] for k in KINDS}, _EMBEDDED
    annual, source = _bdew_year(year)
    return {k: a[window(start, hours, a.size)] for k, a in annual.items()}, source


@lru_cache(maxsize=4)
def _bdew_year(year: int) -> tuple[dict[str, np.ndarray], str]:
    """The four types' hourly shapes over a whole year, peak 1 (computed once per year)."""
    import demandlib
    from demandlib.bdew import G25, H25, L25
    from demandlib.particular_profiles import IndustrialLoadProfile

    quarter = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="15min", inclusive="left")
    with warnings.catch_warnings():
        # demandlib 0.2.2 calls pandas with inplace=..., which pandas >= 3.1 deprecates.
        warnings.simplefilter("ignore")
        series = {"RL": H25(quarter), "CL": G25(quarter), "AL": L25(quarter),
                  "IL": IndustrialLoadProfile(quarter).simple_profile(1.0)}
    out = {}
    for kind, s in series.items():
        hourly = np.asarray(s, dtype=float).reshape(-1, 4).mean(axis=1)
        hourly = hourly / hourly.max()
        hourly.flags.writeable = False
        out[kind] = hourly
    return out, f"demandlib {demandlib.__version__}: BDEW H25 (RL), G25 (CL), L25 (AL), industrial step profile (IL)"


def pv_irradiance(hours: int, start: int, year: int = DEFAULT_YEAR,
                  site: tuple[float, float] = DEFAULT_SITE) -> tuple[np.ndarray, str]:
    """Default PV irradiance over a window, kW/m^2 (hourly means), shape (hours,), and its source."""
    try:
        import pvlib
    except ImportError:
        pv = profiles()["pv_kw"].to_numpy()
        return (pv / pv.max())[window(start, hours, pv.size)], _EMBEDDED
    lat, lon = map(float, site)
    offset = int(round(lon / 15.0))  # local standard time, whole hours from UTC
    tz = f"Etc/GMT{-offset:+d}"
    first = pd.Timestamp(year=year, month=1, day=1, tz=tz) + pd.Timedelta(hours=start)
    samples = pd.date_range(first + pd.Timedelta(minutes=2.5), periods=12 * hours, freq="5min")
    location = pvlib.location.Location(lat, lon, tz=tz)
    with warnings.catch_warnings():
        # pvlib 0.16 reads DatetimeIndex.dayofyear, which pandas >= 3.1 deprecates.
        warnings.simplefilter("ignore")
        sky = location.get_clearsky(samples)
        sun = location.get_solarposition(samples)
        poa = pvlib.irradiance.get_total_irradiance(abs(lat), 180.0 if lat >= 0 else 0.0, sun["apparent_zenith"],
                                                    sun["azimuth"], sky["dni"], sky["ghi"], sky["dhi"])
    irradiance = poa["poa_global"].fillna(0.0).to_numpy().reshape(hours, 12).mean(axis=1) / 1000.0
    return irradiance, (f"pvlib {pvlib.__version__}: clear-sky (Ineichen) irradiance on a panel tilted "
                        f"{abs(lat):g} deg toward the equator at ({lat:g}, {lon:g})")
