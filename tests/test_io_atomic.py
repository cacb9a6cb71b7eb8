"""Outputs are written all at once and checked: result folders and batch files, the cheap
checks the CLI runs before clearing, and processes killed while writing (SIGTERM, SIGKILL)
that leave the old output or the complete new one, never a mix."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tempp_core as tc
from tempp_core.cli import main
from tempp_core.errors import CaseError, OutputError
from tempp_core.io import RESULT_FORMAT, check_output_path, read_manifest, write_batch, write_result
from tempp_core.io.atomic import atomic_folder

TABLES = ["transactions", "prices", "locational_prices", "settlement", "history", "voltages", "flows"]
REPO = Path(tc.__file__).resolve().parents[1]


def _digests(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _partials(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".partial-")]


@pytest.fixture(scope="module")
def cleared(paper):
    return {"benders": tc.clear(paper, "benders", tc.ClearingOptions(cuts="aggregate", tol=1e-8)),
            "centralized": tc.clear(paper, "centralized")}


# ----------------------------------------------------------------------------- result folders
def test_result_folder_has_every_table_and_a_manifest_with_the_options(tmp_path, cleared):
    folder = write_result(cleared["benders"], tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{t}.csv" for t in TABLES] + ["manifest.json"])
    manifest = read_manifest(folder, RESULT_FORMAT)
    assert manifest["format"] == "tempp-result"
    assert manifest["files"]["transactions.csv"]["rows"] == (4 + 1 + 10) * 24  # DERs, MG, customers x periods
    summary = manifest["metadata"]["results"]["benders"]
    assert summary["options"] == {"sensitivity": "exact", "cuts": "aggregate", "privacy": "exact", "loads": "joint", "slack": "closed",
                                  "network": "lindist", "ac_check": "auto", "tol": 1e-8, "max_iter": 200}
    assert (summary["case"], summary["method"], summary["status"]) == ("paper", "benders", "optimal")
    assert summary["objective_usd"] == cleared["benders"].objective
    back = pd.read_csv(folder / "transactions.csv")
    pd.testing.assert_frame_equal(back, cleared["benders"].to_frame("transactions"), check_dtype=False)


def test_results_under_labels_replace_an_earlier_folder_whole(tmp_path, cleared):
    folder = tmp_path / "out"
    write_result(cleared, folder)
    assert (folder / "centralized_flows.csv").is_file()
    write_result(cleared["benders"], folder)
    assert not any(p.name.startswith(("benders_", "centralized_")) for p in folder.iterdir())
    with pytest.raises(OutputError, match="letters and digits"):
        write_result({"a b": cleared["benders"]}, tmp_path / "other")


def test_a_changed_result_table_is_found(tmp_path, cleared):
    folder = write_result(cleared["benders"], tmp_path / "out")
    text = (folder / "history.csv").read_text()
    (folder / "history.csv").write_text(text[: len(text) // 2])
    with pytest.raises(CaseError, match=r"history\.csv has .* data rows"):
        read_manifest(folder, RESULT_FORMAT)
    with pytest.raises(CaseError, match="describes a 'tempp-result' folder; expected 'tempp-case'"):
        tc.io.read_case(folder)


def test_an_exception_while_writing_leaves_the_old_folder(tmp_path, cleared):
    folder = write_result(cleared["benders"], tmp_path / "out")
    before = _digests(folder)
    for error in (RuntimeError("disk on fire"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_folder(folder, RESULT_FORMAT, {}) as partial:
                (partial / "transactions.csv").write_text("participant\nhalf")
                raise error
        assert _digests(folder) == before and _partials(tmp_path) == []


def test_partials_of_dead_writers_are_swept(tmp_path, cleared):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / f".partial-{pid}-0000abcd.out").mkdir()
    (tmp_path / f".partial-{os.getpid()}-0000abcd.out").mkdir()  # a live writer's: kept
    (tmp_path / f".partial-{pid}-0000abcd.other").mkdir()  # another target's: kept
    write_result(cleared["benders"], tmp_path / "out")
    assert sorted(_partials(tmp_path)) == [f".partial-{os.getpid()}-0000abcd.out", f".partial-{pid}-0000abcd.other"]


# ----------------------------------------------------------------------------- batch files
def _batch():
    from tempp_core.studies.batch import BatchResult

    table = pd.DataFrame({"scenario": [0, 0, 1], "case": ["a,b", 'q"uote', "line\nbreak"],
                          "quantity_kw": [1.5, -0.25, np.nan]})
    status = pd.DataFrame({"scenario": [0, 1], "converged": [True, False], "error": ["", "CaseError: bad, bad"]})
    return BatchResult(table, status)


@pytest.mark.parametrize("name", ["batch.csv", "batch.parquet"])
def test_batch_table_and_status_are_written(tmp_path, name):
    batch = _batch()
    table_path, status_path = write_batch(batch, tmp_path / name)
    assert status_path.name == name.replace("batch", "batch_status")
    read = pd.read_parquet if name.endswith(".parquet") else \
        (lambda p: pd.read_csv(p, keep_default_na=False, na_values=[""]).fillna({"error": ""}))
    pd.testing.assert_frame_equal(read(table_path), batch.table, check_dtype=False)
    pd.testing.assert_frame_equal(read(status_path), batch.status, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([table_path.name, status_path.name])


def test_a_failing_batch_write_keeps_the_earlier_files(tmp_path, monkeypatch):
    write_batch(_batch(), tmp_path / "b.csv")
    before = _digests(tmp_path)
    import tempp_core.io.results as results

    def fail_on_status(frame, path):
        if "status" in path.name:
            raise OSError(28, "No space left on device")
        frame.to_csv(path, index=False)

    monkeypatch.setattr(results, "write_csv", fail_on_status)
    with pytest.raises(OSError, match="No space"):
        write_batch(_batch(), tmp_path / "b.csv")
    assert _digests(tmp_path) == before


# ----------------------------------------------------------------------------- checks before work
def test_check_output_path_names_the_problem(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x\n")
    (tmp_path / "dir").mkdir()
    with pytest.raises(OutputError, match="file is a file; expected a folder"):
        check_output_path(tmp_path / "file", folder=True)
    with pytest.raises(OutputError, match="dir is a folder; expected a file"):
        check_output_path(tmp_path / "dir", folder=False)
    with pytest.raises(OutputError, match="file is a file, not a folder"):
        check_output_path(tmp_path / "file" / "deeper" / "out", folder=True)
    assert check_output_path(tmp_path / "new" / "deeper" / "x.parquet", folder=False).name == "x.parquet"
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    with pytest.raises(OutputError, match="needs pyarrow"):
        check_output_path(tmp_path / "x.parquet", folder=False)
    check_output_path(tmp_path / "x.csv", folder=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_check_output_path_finds_an_unwritable_parent(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(OutputError, match="no permission to write"):
        check_output_path(locked / "out", folder=True)


def _no_clearing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the output path should have been refused before clearing")

    import importlib

    # the modules the CLI imports them from (tempp_core.clearing.clear is also a function's name)
    monkeypatch.setattr(importlib.import_module("tempp_core.clearing.clear"), "clear", refuse)
    monkeypatch.setattr(importlib.import_module("tempp_core.studies.batch"), "clear_many", refuse)


def test_cli_refuses_bad_outputs_before_clearing(tmp_path, monkeypatch, capsys):
    _no_clearing(monkeypatch)
    (tmp_path / "file").write_text("x\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "thesis.tex").write_text("keep\n")
    (tmp_path / "b_status.csv").mkdir()
    cases = [(["run", "--out", str(tmp_path / "file")], "is a file; expected a folder"),
             (["run", "--plots", str(tmp_path / "file")], "is a file; expected a folder"),
             (["run", "--out", str(tmp_path / "full")], "'thesis.tex', which a tempp-result folder does not"),
             (["batch", "--out", str(tmp_path / "file" / "b.csv")], "is a file, not a folder"),
             (["batch", "--out", str(tmp_path / "b.csv")], "b_status.csv is a folder; expected a file")]
    for argv, message in cases:
        assert main(argv) == 2
        assert message in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    assert main(["batch", "--out", str(tmp_path / "b.parquet")]) == 2
    assert "needs pyarrow" in capsys.readouterr().err
    assert (tmp_path / "full" / "thesis.tex").read_text() == "keep\n"


# ----------------------------------------------------------------------------- killed while writing
_WRITE_CASE_WORKER = """
import sys
import tempp_core as tc
target, *sources = sys.argv[1:]
cases = [tc.io.read_case(s) for s in sources]
k = 0
while True:
    tc.io.write_case(cases[k % 2], target)
    k += 1
    print(f"written {k}", flush=True)
"""

_RUN_WORKER = """
import sys
from tempp_core.cli import main
k = 0
while True:
    code = main(["run", "--out", sys.argv[1], "--method", ("benders", "centralized")[k % 2]])
    if code == 143:  # the CLI turns SIGTERM into its exit code after cleaning up
        sys.exit(code)
    assert code == 0
    k += 1
    print(f"written {k}", flush=True)
"""


def _start(script: str, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _kill_after_first_write(procs, delays, signals) -> None:
    """Wait for each worker's first complete write (the 'old' output), then kill it by its
    process id after its delay."""
    for proc, delay, signum in zip(procs, delays, signals):
        line = proc.stdout.readline()
        while line and not line.startswith("written"):
            line = proc.stdout.readline()
        assert line, f"worker ended before writing: {proc.stderr.read()}"
        time.sleep(delay)
        os.kill(proc.pid, signum)
    for proc, signum in zip(procs, signals):
        # SIGTERM ends a writer as the signal would, or (tempp's CLI) with exit code 128 + 15
        assert proc.wait(timeout=60) in (-signum, 128 + signum)


SEEDS_AND_SIGNALS = [(0, signal.SIGTERM), (1, signal.SIGKILL), (2, signal.SIGTERM)]


def test_write_case_killed_at_random_leaves_old_or_new_case(tmp_path, paper):
    references = [tc.io.write_case(paper, tmp_path / "ref_a"), tc.io.write_case(tc.cases.load("ieee13"),
                                                                                  tmp_path / "ref_b")]
    expected = [_digests(r) for r in references]
    targets = [tmp_path / f"run{seed}" / "case" for seed, _ in SEEDS_AND_SIGNALS]
    procs = [_start(_WRITE_CASE_WORKER, target, *references) for target in targets]
    delays = [np.random.default_rng(seed).uniform(0.0, 0.4) for seed, _ in SEEDS_AND_SIGNALS]
    _kill_after_first_write(procs, delays, [s for _, s in SEEDS_AND_SIGNALS])
    for target, (_, signum) in zip(targets, SEEDS_AND_SIGNALS):
        assert _digests(target) in expected  # all of A or all of B, manifest included
        tc.io.read_case(target)
        if signum == signal.SIGTERM:
            assert _partials(target.parent) == []
        tc.io.write_case(paper, target)  # sweeps what a SIGKILL left
        assert _partials(target.parent) == []


def test_tempp_run_killed_at_random_leaves_a_complete_result(tmp_path):
    runs = [(3, signal.SIGTERM), (4, signal.SIGKILL)]
    targets = [tmp_path / f"run{seed}" / "out" for seed, _ in runs]
    procs = [_start(_RUN_WORKER, target) for target in targets]
    delays = [np.random.default_rng(seed).uniform(0.0, 1.5) for seed, _ in runs]
    _kill_after_first_write(procs, delays, [s for _, s in runs])
    for target, (_, signum) in zip(targets, runs):
        manifest = read_manifest(target, RESULT_FORMAT)  # every file complete and of one run
        assert sorted(p.name for p in target.iterdir()) == sorted([f"{t}.csv" for t in TABLES] + ["manifest.json"])
        (label, summary), = manifest["metadata"]["results"].items()
        assert label == summary["method"] in ("benders", "centralized")
        if signum == signal.SIGTERM:
            assert _partials(target.parent) == []
        json.loads((target / "manifest.json").read_text())
