"""Reading both public file formats, and the errors that name file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from byconsent.engines.sortition import SelectionInputError, read_problem_files
from byconsent.engines.sortition.io import REPLICATION, SORTITION_FOUNDATION


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def replication_files(tmp_path: Path, respondents: str | None = None) -> tuple[Path, Path]:
    categories = write(
        tmp_path / "categories.csv",
        "category,feature,min,max\ngender,female,1,2\ngender,male,1,2\nage,young,0,2\nage,old,0,2\n",
    )
    people = write(
        tmp_path / "respondents.csv", respondents or "gender,age\nfemale,young\nmale,old\nfemale,old\nmale,young\n"
    )
    return categories, people


def sf_files(tmp_path: Path, people: str | None = None, features: str | None = None) -> tuple[Path, Path]:
    feature_file = write(
        tmp_path / "features.csv",
        features or ("feature,value,min,max,min_flex,max_flex\nGender,Female,1,2,0,3\nGender,Male,1,2,0,3\n"),
    )
    people_file = write(
        tmp_path / "candidates.csv",
        people
        or (
            "nationbuilder_id,first_name,Gender,primary_address1,primary_zip\n"
            "p1,Ann,Female,1 High St,AB1\np2,Bob,Male,1 High St,AB1\np3,Cat,Female,2 Low Rd,AB2\np4,Dan,Male,,\n"
        ),
    )
    return feature_file, people_file


def test_replication_format_uses_zero_based_row_numbers_as_ids(tmp_path: Path) -> None:
    file_format, quotas, pool = read_problem_files(*replication_files(tmp_path))
    assert file_format == REPLICATION
    assert [q.label for q in quotas] == ["gender=female", "gender=male", "age=young", "age=old"]
    assert [r.id for r in pool] == ["0", "1", "2", "3"]
    assert pool[2].features == {"gender": "female", "age": "old"}
    assert all(r.household is None for r in pool)


def test_sortition_foundation_format_with_flex_and_households(tmp_path: Path) -> None:
    file_format, quotas, pool = read_problem_files(
        *sf_files(tmp_path), household_columns=["primary_address1", "primary_zip"]
    )
    assert file_format == SORTITION_FOUNDATION
    assert (quotas[0].min_flex, quotas[0].max_flex) == (0, 3)
    assert [r.id for r in pool] == ["p1", "p2", "p3", "p4"]
    assert pool[0].household == pool[1].household is not None
    assert pool[2].household != pool[0].household
    assert pool[3].household is None  # no address: a household of one


def test_explicit_id_column(tmp_path: Path) -> None:
    _, _, pool = read_problem_files(*sf_files(tmp_path), id_column="first_name")
    assert [r.id for r in pool] == ["Ann", "Bob", "Cat", "Dan"]


@pytest.mark.parametrize(
    ("categories", "line", "column", "words"),
    [
        ("category,feature,min,max\ngender,female,one,2\n", 2, "min", "not a whole number"),
        ("category,feature,min,max\ngender,female,1,2\ngender,male,3,2\n", 3, "min", "greater than max"),
        ("category,feature,min,max\ngender,female,1,2\ngender,female,1,2\n", 3, None, "appears twice"),
        ("category,feature,min,max\ngender,,1,2\n", 2, "feature", "empty"),
        ("category,feature,min,max\ngender,female,-1,2\n", 2, "min", "negative"),
        ("name,lo,hi\n", 1, None, "unrecognised header"),
    ],
)
def test_bad_quota_files_name_file_line_and_column(
    tmp_path: Path, categories: str, line: int, column: str | None, words: str
) -> None:
    quota_file = write(tmp_path / "categories.csv", categories)
    people = write(tmp_path / "respondents.csv", "gender\nfemale\n")
    with pytest.raises(SelectionInputError) as caught:
        read_problem_files(quota_file, people)
    error = caught.value
    assert error.file == str(quota_file)
    assert error.line == line
    assert error.column == column
    assert words in str(error)
    assert "categories.csv" in str(error)


def test_unknown_value_in_pool_names_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(SelectionInputError) as caught:
        read_problem_files(*replication_files(tmp_path, "gender,age\nfemale,young\nmale,ancient\n"))
    assert (caught.value.line, caught.value.column) == (3, "age")
    assert "'ancient' has no quota" in str(caught.value)


def test_missing_category_column(tmp_path: Path) -> None:
    with pytest.raises(SelectionInputError, match="column 'age' is missing"):
        read_problem_files(*replication_files(tmp_path, "gender\nfemale\n"))


def test_duplicate_id_names_the_first_line(tmp_path: Path) -> None:
    people = "nationbuilder_id,Gender\np1,Female\np2,Male\np1,Male\n"
    with pytest.raises(SelectionInputError) as caught:
        read_problem_files(*sf_files(tmp_path, people=people))
    assert caught.value.line == 4
    assert "already used on line 2" in str(caught.value)


def test_ragged_row_and_missing_id_column(tmp_path: Path) -> None:
    with pytest.raises(SelectionInputError) as caught:
        read_problem_files(*sf_files(tmp_path, people="nationbuilder_id,Gender\np1,Female,extra\n"))
    assert caught.value.line == 2
    with pytest.raises(SelectionInputError, match="no id column found"):
        read_problem_files(*sf_files(tmp_path, people="name,Gender\nAnn,Female\n"))
    with pytest.raises(SelectionInputError, match="id column 'code' not in header"):
        read_problem_files(*sf_files(tmp_path), id_column="code")


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(SelectionInputError, match="file not found"):
        read_problem_files(tmp_path / "nope.csv", tmp_path / "nope2.csv")
    empty = write(tmp_path / "empty.csv", "\n\n")
    with pytest.raises(SelectionInputError, match="empty"):
        read_problem_files(empty, empty)


def test_flex_outside_the_bounds_is_rejected(tmp_path: Path) -> None:
    features = "feature,value,min,max,min_flex,max_flex\nGender,Female,1,2,2,3\n"
    with pytest.raises(SelectionInputError, match="min_flex 2 is above min 1"):
        read_problem_files(*sf_files(tmp_path, features=features))
