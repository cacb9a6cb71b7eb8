"""Embedded cases: the paper's default market case, the IEEE 13/123 feeders, synthetic feeders,
and market cases from any OpenDSS feeder.

- :func:`paper` — the default market case (a feeder built to what the source states, with
  G1, G2, WT, PV and all four customer types over 24 hours; see docs/paper_case.md).
- :func:`ieee13`, :func:`ieee123` — the IEEE test feeders with their base loads;
  :func:`synthetic` — random unbalanced feeders of any size; all return ``(feeder, p, q)``.
- :func:`data_path` — folder of an embedded feeder (``'ieee13'``, ``'ieee123'``) for
  :func:`tempp_core.io.read_csv_case`.
- :func:`populate` — customers and DERs on any feeder's loads.
- :func:`load` — a market case by name: ``'paper'``, or an IEEE feeder populated with
  customers on its load buses.
- :func:`from_dss` — a market case from an OpenDSS model: its loads as customers, its PV
  systems and generators as DERs (docs/from_dss.md; needs the ``dss`` extra, and the
  ``profiles`` extra for library default shapes).
"""
from .data import data_path
from .embedded import ieee13, ieee123, load, paper
from .from_dss import FromDssWarning, from_dss
from .population import populate
from .synthetic_feeders import synthetic

__all__ = ["data_path", "ieee13", "ieee123", "synthetic", "paper", "load", "populate", "from_dss",
           "FromDssWarning"]
