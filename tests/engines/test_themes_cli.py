"""`byconsent themes` end to end through its argparse entry points, on the fast embedder."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from byconsent.commands.themes import add_arguments, run
from tests.engines.test_themes_corpus import topic_corpus


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="byconsent themes")
    add_arguments(parser)
    return parser.parse_args(argv)


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_round_trip_with_row_numbers_and_blank_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts, _ = topic_corpus(per_topic=15)
    texts = [*texts[:5], "", *texts[5:], "  "]
    source = tmp_path / "answers.csv"
    _write_csv(source, [{"answer": t, "ward": "x"} for t in texts])
    output = tmp_path / "out" / "themes.json"
    argv = ["--input", str(source), "--text-column", "answer", "--themes", "3", "--embedder", "fast"]
    assert run(_parse([*argv, "--seed", "5", "--output", str(output)])) == 0
    document = json.loads(output.read_text(encoding="utf-8"))
    assert list(document["assignments"]) == [str(i) for i in range(len(texts))]
    assert document["assignments"]["5"] is None and document["assignments"][str(len(texts) - 1)] is None
    assert document["blank_rows"] == ["5", str(len(texts) - 1)]
    assert len(document["themes"]) == 3
    for theme in document["themes"]:
        assert set(theme) == {"id", "label", "keywords", "size", "examples"}
        assert theme["size"] == sum(v == theme["id"] for v in document["assignments"].values())
    assert document["run"]["embedder"]["backend"] == "tfidf-lsa"
    assert document["run"]["seed"] == 5
    printed = capsys.readouterr().out
    assert "2 blank" in printed and "blank rows (assigned null): 5," in printed
    # Same seed, same file: byte-identical output.
    again = tmp_path / "again.json"
    assert run(_parse([*argv, "--seed", "5", "--output", str(again)])) == 0
    assert again.read_text(encoding="utf-8") == output.read_text(encoding="utf-8")


def test_id_column_and_automatic_theme_count(tmp_path: Path) -> None:
    texts, _ = topic_corpus(per_topic=20)
    source = tmp_path / "answers.csv"
    _write_csv(source, [{"ref": f"R-{i:03d}", "comment": t} for i, t in enumerate(texts)])
    output = tmp_path / "themes.json"
    argv = ["--input", str(source), "--text-column", "comment", "--id-column", "ref", "--embedder", "fast"]
    assert run(_parse([*argv, "--max-themes", "8", "--output", str(output)])) == 0
    document = json.loads(output.read_text(encoding="utf-8"))
    assert set(document["assignments"]) == {f"R-{i:03d}" for i in range(len(texts))}
    assert document["run"]["themes_requested"] == "auto"
    assert len(document["themes"]) == 3
    assert set(document["run"]["score_by_k"]) == {str(k) for k in range(3, 9)}


def test_bad_input_gives_exit_code_2_and_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "answers.csv"
    _write_csv(source, [{"ref": "a", "comment": "parking"}, {"ref": "a", "comment": "burglary"}])
    output = tmp_path / "themes.json"
    missing = ["--input", str(source), "--text-column", "nope", "--embedder", "fast", "--output", str(output)]
    assert run(_parse(missing)) == 2
    assert "column 'nope' not found" in capsys.readouterr().err
    repeated = ["--input", str(source), "--text-column", "comment", "--id-column", "ref", "--embedder", "fast"]
    assert run(_parse([*repeated, "--output", str(output)])) == 2
    assert "repeated values" in capsys.readouterr().err
    absent = ["--input", str(tmp_path / "none.csv"), "--text-column", "c", "--embedder", "fast"]
    assert run(_parse([*absent, "--output", str(output)])) == 2
    assert not output.exists()


def test_theme_count_must_be_a_positive_number_or_auto() -> None:
    with pytest.raises(SystemExit):
        _parse(["--input", "x.csv", "--text-column", "c", "--themes", "zero", "--output", "o.json"])
    with pytest.raises(SystemExit):
        _parse(["--input", "x.csv", "--text-column", "c", "--themes", "0", "--output", "o.json"])
    assert _parse(["--input", "x.csv", "--text-column", "c", "--themes", "4", "--output", "o.json"]).themes == 4
