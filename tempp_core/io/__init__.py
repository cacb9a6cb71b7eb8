"""Input and output of feeders and cases."""
from .case_folder import read_case, write_case
from .csv_case import read_csv_case
from .dss import read_dss

__all__ = ["read_csv_case", "read_dss", "read_case", "write_case"]
