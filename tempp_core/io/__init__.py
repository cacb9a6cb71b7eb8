"""Input and output of feeders and cases."""
from .case_folder import read_case, write_case
from .csv_case import read_csv_case
from .dss import DssModel, read_dss, read_dss_model

__all__ = ["DssModel", "read_csv_case", "read_dss", "read_dss_model", "read_case", "write_case"]
