"""Input and output of feeders and cases."""
from .csv_case import read_csv_case

__all__ = ["read_csv_case"]
