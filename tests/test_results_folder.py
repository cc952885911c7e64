"""A results folder is checked when it is read: ``compare`` and ``plot`` name the damaged file and
say what is wrong (unreadable parquet or JSON, missing columns or keys, a summary that does not
describe the tables), in one line and exit code 2, never a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from test_runner import SMALL

from sim.cli.main import main
from sim.errors import DataError
from sim.study.folders import REQUIRED_COLUMNS, load_results
from sim.study.runner import run_scenario


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small runs that differ only in their seed."""
    root = tmp_path_factory.mktemp("folders")
    f = root / "small.yaml"
    f.write_text(SMALL, encoding="utf-8")
    return {name: run_scenario(f, out=root / name, reps=2, seed=seed, workers=1, progress=False)
            for name, seed in (("a", 7), ("b", 8))}


@pytest.fixture
def folder(runs: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of run ``a`` to damage."""
    return Path(shutil.copytree(runs["a"], tmp_path / "copy"))


def _one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_sound_folder_loads(runs: dict[str, Path]) -> None:
    res = load_results(runs["a"])
    assert res.variants == ["national", "benelux"] and len(res.incidents) > 0
    for table, columns in REQUIRED_COLUMNS.items():
        assert set(columns) <= set(getattr(res, table).columns), table


def _without_digests(folder: Path) -> None:
    """As a folder written before summaries recorded their tables' SHA-256."""
    doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del doc["tables"]
    (folder / "summary.json").write_text(json.dumps(doc), encoding="utf-8")


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])


def _garble(f: Path) -> None:
    data = bytearray(f.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    f.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _garble, lambda f: f.write_bytes(b"")],
                         ids=["truncated", "garbled", "empty"])
@pytest.mark.parametrize("table", ["incidents", "missions", "units"])
def test_a_corrupt_parquet_is_named(folder: Path, table: str, damage: Callable[[Path], None],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    # summary.json holds each table's SHA-256: even bytes that still decode (garbled) are found out
    f = folder / f"{table}.parquet"
    damage(f)
    msg = (f"{f}: not the file summary.json was written with (its SHA-256 differs: damaged, or changed "
           "after the run)")
    with pytest.raises(DataError) as info:
        load_results(folder)
    assert str(info.value) == msg
    assert _one_line(["compare", str(folder)], capsys) == f"xborder: error: {msg}"
    assert _one_line(["plot", str(folder)], capsys) == f"xborder: error: {msg}"


@pytest.mark.parametrize("damage", [_truncate, lambda f: f.write_bytes(b"")], ids=["truncated", "empty"])
def test_an_unreadable_parquet_without_digests_is_named(folder: Path, damage: Callable[[Path], None],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _without_digests(folder)
    assert load_results(folder).variants == ["national", "benelux"]
    f = folder / "missions.parquet"
    damage(f)
    with pytest.raises(DataError, match=f"^{f}: cannot read it as a parquet table"):
        load_results(folder)
    assert _one_line(["compare", str(folder)], capsys).startswith(f"xborder: error: {f}: cannot read it")


def test_a_truncated_or_wrong_summary_is_named(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = folder / "summary.json"
    text = f.read_text(encoding="utf-8")
    f.write_text(text[: len(text) // 2], encoding="utf-8")
    assert _one_line(["compare", str(folder)], capsys).startswith(f"xborder: error: {f}: cannot read it (")
    f.write_text("[1, 2]", encoding="utf-8")
    assert _one_line(["compare", str(folder)], capsys) == f"xborder: error: {f}: not a JSON object"
    doc = json.loads(text)
    for key, message in (("variant_order", "no 'variant_order': not the summary of an xborder run"),
                         ("replications_done", "no 'replications_done': not the summary of an xborder run")):
        f.write_text(json.dumps({k: v for k, v in doc.items() if k != key}), encoding="utf-8")
        assert _one_line(["plot", str(folder)], capsys) == f"xborder: error: {f}: {message}"
    f.write_text(json.dumps({**doc, "variants": {**doc["variants"], "benelux": {"overall": {}}}}),
                 encoding="utf-8")
    assert _one_line(["compare", str(folder)], capsys) == (
        f"xborder: error: {f}: the statistics of variant 'benelux' are incomplete "
        "(replications, by_dispatch_centre, by_type, focus)")
    f.write_text(json.dumps({**doc, "seed": "seven"}), encoding="utf-8")
    assert _one_line(["compare", str(folder)], capsys) == f"xborder: error: {f}: 'seed' is not a whole number"


def test_a_summary_from_another_run_is_found_out(folder: Path, runs: dict[str, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # the same scenario, variants and replications, another seed: its digests do not match
    shutil.copy(runs["b"] / "summary.json", folder / "summary.json")
    assert _one_line(["compare", str(folder)], capsys) == (
        f"xborder: error: {folder / 'incidents.parquet'}: not the file summary.json was written with (its "
        "SHA-256 differs: damaged, or changed after the run)")
    # without digests, the counts tell
    _without_digests(folder)
    err = _one_line(["compare", str(folder)], capsys)
    assert err.startswith(f"xborder: error: {folder / 'incidents.parquet'}: ")
    assert "measured incident(s) of variant 'national' where summary.json counts" in err
    assert err.endswith("summary.json does not describe it (a summary from another run?)")
    # a summary that lists fewer replications than the tables hold
    doc = json.loads((runs["a"] / "summary.json").read_text(encoding="utf-8"))
    doc["replications_done"]["benelux"] = [0]
    (folder / "summary.json").write_text(json.dumps(doc), encoding="utf-8")
    assert _one_line(["compare", str(folder)], capsys) == (
        f"xborder: error: {folder / 'incidents.parquet'}: holds replication(s) benelux 1 that summary.json "
        "does not list: summary.json does not describe it (a summary from another run?)")


def test_a_table_from_another_run_is_found_out(folder: Path, runs: dict[str, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(runs["b"] / "incidents.parquet", folder / "incidents.parquet")
    assert "its SHA-256 differs" in _one_line(["plot", str(folder)], capsys)
    _without_digests(folder)
    assert "does not describe it" in _one_line(["plot", str(folder)], capsys)


def test_a_missing_column_is_named(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _without_digests(folder)
    f = folder / "units.parquet"
    pd.read_parquet(f).drop(columns=["utilisation", "station"]).to_parquet(f, index=False)
    assert _one_line(["compare", str(folder)], capsys) == (
        f"xborder: error: {f}: no column station, utilisation (not a table written by xborder run)")


def test_an_incomplete_folder_says_why(runs: dict[str, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = Path(shutil.copytree(runs["a"], tmp_path / "stopped"))
    doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    doc.update(complete=False, stopped="stopped by SIGTERM")
    (folder / "summary.json").write_text(json.dumps(doc), encoding="utf-8")
    assert main(["compare", str(folder)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("seed 7, INCOMPLETE (stopped by SIGTERM)")


def test_a_folder_that_was_never_assembled_says_how_to_finish_it(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "parts").mkdir()
    msg = f"{tmp_path}: not assembled (the run stopped before it could assemble its results); " \
          f"xborder run --resume {tmp_path} finishes it"
    assert _one_line(["compare", str(tmp_path)], capsys) == f"xborder: error: {msg}"
    assert _one_line(["plot", str(tmp_path)], capsys) == f"xborder: error: {msg}"
