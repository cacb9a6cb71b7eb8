"""The folder formats tempp_core writes, as their manifests name them."""
from __future__ import annotations

from ..clearing.results import TABLES
from .manifest import FolderFormat

#: A case folder (:func:`tempp_core.io.write_case`).
CASE_FORMAT = FolderFormat(
    "tempp-case", 1,
    r"case\.toml|(profiles|ders|customers|bus_data|branch_data|reg_data|cap_data)\.csv",
)

#: The tables of one clearing, or of several under a prefix each (:func:`tempp_core.io.write_result`).
RESULT_FORMAT = FolderFormat("tempp-result", 1, rf"([A-Za-z0-9]+_)?({'|'.join(TABLES)})\.csv")
