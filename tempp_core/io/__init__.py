"""Input and output of feeders and cases."""
from .case_folder import read_case, write_case
from .csv_case import read_csv_case

__all__ = ["read_csv_case", "read_case", "write_case"]
