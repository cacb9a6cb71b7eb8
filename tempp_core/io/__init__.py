"""Input and output of feeders, cases and results (outputs are written all at once, with a
manifest that readers check)."""
from .atomic import check_output_path
from .case_folder import read_case, write_case
from .csv_case import read_csv_case
from .dss import DssModel, read_dss, read_dss_model
from .formats import CASE_FORMAT, RESULT_FORMAT
from .manifest import read_manifest
from .results import check_batch_file, check_result_folder, write_batch, write_result

__all__ = ["CASE_FORMAT", "DssModel", "RESULT_FORMAT", "check_batch_file", "check_output_path", "check_result_folder",
           "read_case", "read_csv_case", "read_dss", "read_dss_model", "read_manifest", "write_batch", "write_case",
           "write_result"]
