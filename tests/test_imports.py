"""``import tempp_core`` loads only the core; optional extras load when used (pyarrow is left
out: pandas 3 imports it by itself when it is installed)."""
import subprocess
import sys


def test_import_loads_no_optional_dependency():
    code = ("import sys, tempp_core; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'matplotlib', 'dask', 'distributed', 'opendssdirect', 'distopf'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
