"""The `select-panel` command: arguments, JSON output, exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from byconsent.commands import select_panel as command


def parse(*arguments: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(list(arguments))


def instance(tmp_path: Path) -> tuple[Path, Path]:
    categories = tmp_path / "categories.csv"
    categories.write_text(
        "category,feature,min,max\ngender,female,2,3\ngender,male,2,3\narea,north,1,4\narea,south,1,4\n",
        encoding="utf-8",
    )
    respondents = tmp_path / "respondents.csv"
    rows = [
        "female,north",
        "female,south",
        "male,north",
        "male,south",
        "female,north",
        "male,south",
        "female,south",
        "male,north",
        "male,north",
        "female,north",
    ]
    respondents.write_text("gender,area\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return categories, respondents


def test_writes_the_documented_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    categories, respondents = instance(tmp_path)
    output = tmp_path / "result.json"
    code = command.run(
        parse(
            "--categories",
            str(categories),
            "--respondents",
            str(respondents),
            "--size",
            "5",
            "--algorithm",
            "leximin",
            "--seed",
            "42",
            "--lottery-size",
            "200",
            "--output",
            str(output),
            "--quiet",
        )
    )
    assert code == 0
    document = json.loads(output.read_text())
    for key in (
        "algorithm",
        "marginals",
        "panels",
        "panel_probabilities",
        "selected",
        "min_probability",
        "gap",
        "seconds",
        "solvers",
        "lottery",
    ):
        assert key in document
    assert set(document["marginals"]) == {str(i) for i in range(10)}
    assert document["min_probability"] == pytest.approx(0.5, abs=1e-6)  # 10 people, 5 seats, symmetric enough
    assert document["selected"] in document["panels"]
    assert sum(document["lottery"]["panel_tickets"]) == 200
    assert "leximin" in capsys.readouterr().out


def test_same_seed_gives_byte_identical_json_apart_from_timings(tmp_path: Path) -> None:
    categories, respondents = instance(tmp_path)
    texts = []
    for name in ("a.json", "b.json"):
        output = tmp_path / name
        assert (
            command.run(
                parse(
                    "--categories",
                    str(categories),
                    "--respondents",
                    str(respondents),
                    "--size",
                    "5",
                    "--seed",
                    "same",
                    "--output",
                    str(output),
                    "--quiet",
                )
            )
            == 0
        )
        document = json.loads(output.read_text())
        for volatile in ("seconds", "timings"):
            document.pop(volatile)
        document["stats"] = {k: v for k, v in document["stats"].items() if not k.endswith("seconds")}
        texts.append(json.dumps(document))
    assert texts[0] == texts[1]


def test_infeasible_quotas_exit_1_with_the_relaxation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    categories, respondents = instance(tmp_path)
    categories.write_text("category,feature,min,max\ngender,female,4,5\ngender,male,4,5\n", encoding="utf-8")
    code = command.run(
        parse(
            "--categories",
            str(categories),
            "--respondents",
            str(respondents),
            "--size",
            "5",
            "--output",
            str(tmp_path / "x.json"),
            "--quiet",
        )
    )
    assert code == command.EXIT_INFEASIBLE
    message = capsys.readouterr().err
    assert "minimums of 'gender' add up to 8, more than 5" in message
    assert "min 4->" in message
    assert not (tmp_path / "x.json").exists()


def test_bad_input_exit_2_names_the_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    categories, respondents = instance(tmp_path)
    respondents.write_text("gender,area\nfemale,north\nmale,east\n", encoding="utf-8")
    code = command.run(
        parse(
            "--categories",
            str(categories),
            "--respondents",
            str(respondents),
            "--size",
            "1",
            "--output",
            str(tmp_path / "x.json"),
            "--quiet",
        )
    )
    assert code == command.EXIT_BAD_INPUT
    assert "respondents.csv, line 3, column 'area'" in capsys.readouterr().err


def test_household_columns_may_be_comma_separated(tmp_path: Path) -> None:
    categories = tmp_path / "features.csv"
    categories.write_text("feature,value,min,max\nGender,Female,1,1\nGender,Male,1,1\n", encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("id,Gender,street,zip\na,Female,1 Elm,X1\nb,Male,1 Elm,X1\nc,Male,2 Oak,X2\n", encoding="utf-8")
    output = tmp_path / "out.json"
    assert (
        command.run(
            parse(
                "--categories",
                str(categories),
                "--respondents",
                str(people),
                "--size",
                "2",
                "--household-column",
                "street,zip",
                "--seed",
                "1",
                "--output",
                str(output),
                "--quiet",
            )
        )
        == 0
    )
    document = json.loads(output.read_text())
    assert document["panels"] == [["a", "c"]]  # a and b share an address, so b can never sit with a
    assert document["marginals"] == {"a": 1.0, "b": 0.0, "c": 1.0}
