"""`check_bank` reports every problem the contract lists, as FILE:LINE: message."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naas.bank import check_bank

from .builders import TIERS, scenario, write_bank


def problems_of(root):
    result = check_bank(root)
    assert not result.ok
    return [str(p) for p in result.problems]


def line_of(path, text):
    """The 1-based line of the first line of `path` containing `text`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def test_a_valid_bank_passes_and_builds_objects(tmp_path):
    result = check_bank(write_bank(tmp_path / "bank"))
    assert result.ok, result.problems
    assert [s.id for s in result.bank.scenarios] == ["p-one"]
    assert result.bank.scenarios[0].marks == 10


def edit(tmp_path, text_from, text_to, file="practitioner/p-one.yaml"):
    root = write_bank(tmp_path / "bank")
    path = root / file
    content = path.read_text()
    assert text_from in content
    path.write_text(content.replace(text_from, text_to, 1))
    return root, path


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    root, path = edit(tmp_path, "title: A referral", "title: [A referral")
    (problem,) = problems_of(root)
    assert re.match(r"bank/practitioner/p-one\.yaml:\d+: YAML syntax error", problem)


def test_duplicate_mapping_key_is_an_error_not_silently_kept(tmp_path):
    root, path = edit(tmp_path, "title: A referral\n", "title: A referral\ntitle: Another\n")
    problems = problems_of(root)
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'title: Another')}: duplicate key 'title' "
        f"(first at line {line_of(path, 'title: A referral')})" in problems
    )


def test_unknown_field_says_which_field_was_probably_meant(tmp_path):
    root, path = edit(tmp_path, "  rationale: Act.", "  rationnale: Act.")
    problems = problems_of(root)
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'rationnale')}: unknown field 'rationnale' in a "
        f"single item (did you mean 'rationale'?)" in problems
    )


def test_missing_required_field(tmp_path):
    root, path = edit(tmp_path, "    stem: First?\n", "")
    assert any("missing required field 'stem'" in p for p in problems_of(root))


def test_duplicate_scenario_id_anywhere_in_the_bank(tmp_path):
    root = write_bank(tmp_path / "bank", scenarios=[scenario("p-one"), scenario("p-two")])
    path = root / "practitioner" / "p-two.yaml"
    path.write_text(
        path.read_text().replace("id: p-two\n", "id: p-one\n", 1).replace("p-two-", "p-three-")
    )
    problems = problems_of(root)
    assert any(
        p.startswith(
            "bank/practitioner/p-two.yaml:1: duplicate scenario id 'p-one' "
            "(first at bank/practitioner/p-one.yaml:1)"
        )
        for p in problems
    )


def test_duplicate_item_id_anywhere_in_the_bank(tmp_path):
    root = write_bank(tmp_path / "bank", scenarios=[scenario("p-one"), scenario("p-two")])
    path = root / "practitioner" / "p-two.yaml"
    path.write_text(path.read_text().replace("id: p-two-3\n", "id: p-one-3\n"))
    problems = problems_of(root)
    assert any(
        "duplicate item id 'p-one-3' (first at bank/practitioner/p-one.yaml:" in p for p in problems
    )


def test_tier_not_defined_in_tiers_yaml(tmp_path):
    root, path = edit(tmp_path, "tier: practitioner", "tier: director")
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'tier: director')}: tier 'director' is not defined "
        f"in tiers.yaml (defined: practitioner)" in problems_of(root)
    )


def test_area_not_defined_for_the_tier(tmp_path):
    root, path = edit(tmp_path, "area: P2", "area: S2")
    assert any(
        p.startswith(
            f"bank/practitioner/p-one.yaml:{line_of(path, 'area: S2')}: area 'S2' is not an area"
        )
        for p in problems_of(root)
    )


def test_key_that_is_not_an_option(tmp_path):
    root, path = edit(tmp_path, "key: a\n", "key: e\n")
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'key: e')}: key 'e' is not one of the options"
        in problems_of(root)
    )


def test_ranking_key_that_is_not_a_permutation(tmp_path):
    root, path = edit(tmp_path, "  - b\n    - a\n    - c\n", "  - b\n    - a\n    - a\n")
    assert any(
        "a ranking key must list every option label exactly once" in p for p in problems_of(root)
    )


def test_select_differs_from_the_number_of_key_labels(tmp_path):
    root, path = edit(tmp_path, "select: 2", "select: 3")
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'select: 3')}: select is 3 but the key has 2 labels"
        in problems_of(root)
    )


def test_free_text_marks_differ_from_rubric_total(tmp_path):
    root, path = edit(tmp_path, "marks: 5\n", "marks: 6\n")
    assert any("marks is 6 but the rubric adds up to 5" in p for p in problems_of(root))


@pytest.mark.parametrize("bad", ["0", "-1", "1.5", "two"])
def test_marks_that_are_not_positive_whole_numbers(tmp_path, bad):
    root, path = edit(tmp_path, "marks: 1\n", f"marks: {bad}\n")
    assert any("marks must be a positive whole number" in p for p in problems_of(root))


def test_a_tier_whose_live_items_cannot_fill_its_blueprint(tmp_path):
    root, path = edit(tmp_path, "status: live", "status: draft")
    problems = problems_of(root)
    tiers = root / "tiers.yaml"
    assert any(
        p.startswith(
            f"bank/tiers.yaml:{line_of(tiers, 'blueprint:')}: the live items of tier "
            f"'practitioner' cannot fill its blueprint"
        )
        for p in problems
    )


def test_blueprint_total_marks_that_no_form_can_reach(tmp_path):
    tiers = {"tiers": [dict(TIERS["tiers"][0], blueprint={"scenarios": 1, "total_marks": 11})]}
    problems = problems_of(write_bank(tmp_path / "bank", tiers=tiers))
    assert any("cannot fill its blueprint" in p and "adding up to 11 marks" in p for p in problems)


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("a: &anchor [1, 2]\nb: *anchor\n", "anchors (&anchor) are not allowed"),
        ("a: !!python/object/apply:os.system ['true']\n", "tags"),
        ("a: !custom 1\n", "tags"),
        ("lol: &a ['x','x']\nlol2: &b [*a,*a,*a]\nlol3: [*b,*b,*b]\n", "anchors"),
    ],
)
def test_aliases_and_tags_are_refused(tmp_path, yaml_text, message):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text(yaml_text)
    (problem,) = problems_of(root)
    assert problem.startswith("bank/practitioner/p-one.yaml:1:") and message in problem


def test_a_file_over_one_mebibyte_is_refused_unread(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text("# padding\n" * 120_000)
    (problem,) = problems_of(root)
    assert "limit is 1 MiB" in problem


def test_a_scenario_in_the_wrong_tier_folder(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "supervisor").mkdir()
    (root / "practitioner" / "p-one.yaml").rename(root / "supervisor" / "p-one.yaml")
    assert any("must be in the folder 'practitioner/'" in p for p in problems_of(root))


def test_missing_tiers_file_and_missing_folder(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}:1: no such bank folder"]
    (tmp_path / "empty").mkdir()
    assert problems_of(tmp_path / "empty")[0].endswith("tiers.yaml is missing from the bank folder")


def test_every_problem_in_a_file_is_reported_not_just_the_first(tmp_path):
    root, path = edit(tmp_path, "key: a\n", "key: e\n")
    path.write_text(
        path.read_text().replace("area: P2", "area: P9", 1).replace("select: 2", "select: 3")
    )
    assert len(problems_of(root)) >= 3


# -- fuzzing: whatever a file holds, the checker answers with problems, never a traceback --
@settings(
    max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(text=st.text(max_size=400))
def test_any_text_gives_problems_or_a_bank_never_an_exception(tmp_path, text):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text(text)
    check_bank(root)


YAML_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 10**20),
        st.floats(allow_nan=True),
        st.text(max_size=20),
        st.dates(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=4),
    ),
    max_leaves=12,
)


def scenario_with_one_field_replaced(data, values) -> dict:
    """A valid scenario with one field, of the scenario, a stage or an item, drawn from `values`."""
    spec = scenario()
    stage = data.draw(st.sampled_from(spec["stages"]))
    item = data.draw(st.sampled_from(stage["items"]))
    target = data.draw(st.sampled_from([spec, stage, item]))
    target[data.draw(st.sampled_from(sorted(target)))] = data.draw(values)
    return spec


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(data=st.data())
def test_a_valid_scenario_with_any_field_replaced_never_raises(tmp_path, data):
    spec = scenario_with_one_field_replaced(data, YAML_VALUES)
    root = write_bank(tmp_path / "bank", scenarios=[spec])
    result = check_bank(root)
    assert result.ok or result.problems


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(blob=st.binary(max_size=300))
def test_any_bytes_never_raise(tmp_path, blob):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_bytes(blob)
    (root / "tiers.yaml").write_bytes(blob)
    assert not check_bank(
        root
    ).ok  # a problem to report, never a traceback (no 300 bytes make a whole tiers.yaml)


def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert check_bank(root).problems


def test_the_command_prints_file_line_messages_and_exits_1(tmp_path):
    root, path = edit(tmp_path, "key: a\n", "key: e\n")
    result = subprocess.run(
        [sys.executable, "-m", "naas.cli", "bank", "check", str(root)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "p-one.yaml:" in result.stdout and "key 'e' is not one of the options" in result.stdout
    assert "Traceback" not in result.stderr


# -- numbers: only finite values of a sensible size reach the database -----------------------
def tiers_with(**changes):
    tier = dict(TIERS["tiers"][0])
    blueprint = dict(tier["blueprint"])
    for name, value in changes.items():
        if name in blueprint:
            blueprint[name] = value
        else:
            tier[name] = value
    return {"tiers": [dict(tier, blueprint=blueprint)]}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("pass_mark_percent", ".nan", "pass_mark_percent must be a number, not nan"),
        ("pass_mark_percent", ".inf", "pass_mark_percent must be a number, not inf"),
        ("pass_mark_percent", "100.5", "pass_mark_percent must be from 0 to 100, not 100.5"),
        ("pass_mark_percent", "true", "pass_mark_percent must be a number, not True"),
        ("domain_floor_percent", "-.inf", "domain_floor_percent must be a number, not -inf"),
        (
            "time_limit_minutes",
            "100000000000000000000000",
            "time_limit_minutes must be from 1 to 1440",
        ),
        ("time_limit_minutes", "true", "time_limit_minutes must be a whole number, not True"),
        ("validity_years", "1000", "validity_years must be from 1 to 50, not 1000"),
        ("resit_wait_days", "99999999999", "resit_wait_days must be from 0 to 3660"),
        ("scenarios", "1000000", "scenarios must be from 1 to 100, not 1000000"),
        ("min_items_per_area", ".nan", "min_items_per_area must be a whole number, not nan"),
        ("total_marks", "false", "total_marks must be a whole number, not False"),
        ("total_marks", "100000000000000000000000", "total_marks must be from 1 to 10000"),
    ],
)
def test_tier_numbers_must_be_finite_and_sensibly_sized(tmp_path, field, value, message):
    root = write_bank(tmp_path / "bank", tiers=tiers_with(**{field: 12345}))
    path = root / "tiers.yaml"
    path.write_text(path.read_text().replace(": 12345", f": {value}"))
    assert f"bank/tiers.yaml:{line_of(path, value)}: {message}" in " ".join(problems_of(root))


@pytest.mark.parametrize(
    "before, after, message",
    [
        (
            "version: 1\n",
            "version: 100000000000000000000000\n",
            "version must be from 1 to 2147483647",
        ),
        ("version: 1\n", "version: .nan\n", "version must be a whole number, not nan"),
        ("version: 1\n", "version: true\n", "version must be a whole number, not True"),
        ("marks: 1\n", "marks: 100000000000000000000000\n", "marks must be at most 100"),
        ("marks: 1\n", "marks: true\n", "marks must be a positive whole number, not True"),
        (
            "max_words: 300\n",
            "max_words: 100000000000000000000000\n",
            "max_words must be a whole number from 1 to 5000",
        ),
        ("select: 2\n", "select: true\n", "select must be a whole number of at least 1"),
    ],
)
def test_scenario_numbers_must_be_finite_and_sensibly_sized(tmp_path, before, after, message):
    root, path = edit(tmp_path, before, after)
    assert f"bank/practitioner/p-one.yaml:{line_of(path, after.strip())}: {message}" in " ".join(
        problems_of(root)
    )


def test_a_key_of_nan_does_not_match_an_option_labelled_nan(tmp_path):
    root, path = edit(
        tmp_path,
        "      a: Visit\n      b: Wait\n      c: Close\n    key: a\n",
        "      nan: Visit\n      b: Wait\n      c: Close\n    key: .nan\n",
    )
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'key: .nan')}: key nan is not one of the options"
        in problems_of(root)
    )


@pytest.mark.parametrize(
    "value, message",
    [
        (float("nan"), "nan is not a number that can be stored"),
        (float("-inf"), "-inf is not a number that can be stored"),
        (2**63, "too large a number to store"),
        (__import__("datetime").date(2024, 1, 1), "cannot be stored: write it as text"),
    ],
)
def test_the_storable_backstop_names_the_path_of_a_bad_value(value, message):
    from naas.bank.checker import unstorable

    path, problem = unstorable({"a": [1, {"b": value}]})
    assert path == ("a", 1, "b") and message in problem
    assert unstorable({"a": [1, 2.5, "x", None, True, {"b": -(2**63)}]}) is None


def assert_storable(bank):
    """What `bank load` will store: JSON without NaN, and 32-bit whole numbers in columns."""
    import json

    for tier in bank.tiers.values():
        json.dumps(tier.spec, allow_nan=False)
    for s in bank.scenarios:
        json.dumps(s.spec, allow_nan=False)
        assert 1 <= s.version < 2**31 and all(0 < item.marks < 2**31 for item in s.items)


def tier_paths(value, path=()):
    """Every path into tiers.yaml's data, the root included."""
    yield path
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        yield from tier_paths(child, path + (key,))


AWKWARD_NUMBERS = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        10**23,
        2**31,
        2**63,
        -1,
        0,
        0.5,
        1e308,
        True,
        False,
    ]
)
NUMBERS = st.one_of(AWKWARD_NUMBERS, st.floats(), st.integers(-(2**70), 2**70))


def _mutate_tiers(data, tiers):
    """tiers.yaml varied in its structure: a value replaced by anything, a field removed or
    added, a list entry duplicated or dropped, a value wrapped in a list."""
    import copy

    tiers = copy.deepcopy(tiers)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(tier_paths(tiers))
        numeric = [
            p
            for p in paths
            if p
            and p[-1]
            in (
                "time_limit_minutes",
                "validity_years",
                "resit_wait_days",
                "pass_mark_percent",
                "domain_floor_percent",
                "scenarios",
                "domain_floor_min_marks",
                "min_items_per_area",
                "total_marks",
            )
        ]
        path = data.draw(
            st.sampled_from(numeric)
            if numeric and data.draw(st.booleans())
            else st.sampled_from(paths)
        )
        if not path:
            tiers = data.draw(YAML_VALUES)
            continue
        parent = tiers
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = data.draw(st.sampled_from(["replace", "remove", "add", "duplicate", "wrap"]))
        if action == "replace":
            parent[last] = data.draw(st.one_of(YAML_VALUES, NUMBERS))
        elif action == "remove":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][
                data.draw(
                    st.sampled_from(["id", "blueprint", "areas", "extra", "scenarios", "code"])
                )
            ] = data.draw(YAML_VALUES)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif action == "wrap":
            parent[last] = [parent[last]]
        if not isinstance(tiers, (dict, list)):
            break
    return tiers


TIER_NUMBERS = {
    "time_limit_minutes": (1, 1440),
    "validity_years": (1, 50),
    "resit_wait_days": (0, 3660),
    "pass_mark_percent": (0, 100),
    "domain_floor_percent": (0, 100),
    "scenarios": (1, 100),
    "domain_floor_min_marks": (1, 10_000),
    "min_items_per_area": (0, 1000),
    "total_marks": (1, 10_000),
}


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(field=st.sampled_from(sorted(TIER_NUMBERS)), value=NUMBERS)
def test_a_tier_number_passes_only_when_finite_and_in_range(tmp_path, field, value):
    import math

    root = write_bank(tmp_path / "bank", tiers=tiers_with(**{field: value}))
    result = check_bank(root)
    low, high = TIER_NUMBERS[field]
    whole = field not in ("pass_mark_percent", "domain_floor_percent")
    proper = (
        not isinstance(value, bool)
        and isinstance(value, int if whole else (int, float))
        and math.isfinite(value)
        and low <= value <= high
    )
    if not proper:
        assert not result.ok and any(field in p.message for p in result.problems)
    if result.ok:
        assert_storable(result.bank)


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(data=st.data())
def test_tiers_yaml_varied_in_its_structure_never_raises_and_passes_only_storable_values(
    tmp_path, data
):
    import yaml

    tiers = _mutate_tiers(data, TIERS)
    root = write_bank(tmp_path / "bank")
    (root / "tiers.yaml").write_text(yaml.safe_dump(tiers, sort_keys=False, allow_unicode=True))
    result = check_bank(root)
    assert result.ok or result.problems
    if result.ok:
        assert_storable(result.bank)


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(data=st.data())
def test_any_scenario_the_checker_passes_can_be_stored(tmp_path, data):
    spec = scenario_with_one_field_replaced(data, st.one_of(YAML_VALUES, NUMBERS))
    result = check_bank(write_bank(tmp_path / "bank", scenarios=[spec]))
    if result.ok:
        assert_storable(result.bank)


# -- files and folders that cannot be read are problems with their name, never a traceback --
def test_a_folder_named_like_a_scenario_file(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-two.yaml").mkdir()
    assert problems_of(root) == ["bank/practitioner/p-two.yaml:1: is a folder, not a scenario file"]


def test_a_folder_named_tiers_yaml(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "tiers.yaml").unlink()
    (root / "tiers.yaml").mkdir()
    assert problems_of(root) == ["bank/tiers.yaml:1: cannot read the file: Is a directory"]


def test_a_broken_symbolic_link(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-two.yaml").symlink_to(tmp_path / "gone.yaml")
    assert problems_of(root) == [
        "bank/practitioner/p-two.yaml:1: cannot read the file: No such file or directory"
    ]


def test_a_file_that_cannot_be_read(tmp_path, monkeypatch):
    root = write_bank(tmp_path / "bank")
    unreadable = root / "practitioner" / "p-one.yaml"
    read_bytes = type(unreadable).read_bytes

    def refuse(path):
        if path == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(type(unreadable), "read_bytes", refuse)
    assert "bank/practitioner/p-one.yaml:1: cannot read the file: Permission denied" in problems_of(
        root
    )


def test_a_folder_that_cannot_be_listed(tmp_path, monkeypatch):
    import os

    root = write_bank(tmp_path / "bank")
    scandir = os.scandir

    def refuse(path="."):
        if str(path).endswith("practitioner"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    assert "bank/practitioner:1: cannot read the folder: Permission denied" in problems_of(root)


# -- keys, rubric fields and warnings ------------------------------------------------------
def test_a_multiple_key_that_is_not_an_option(tmp_path):
    root, path = edit(
        tmp_path,
        "    key:\n    - a\n    - b\n    select: 2\n",
        "    key:\n    - a\n    - z\n    select: 2\n",
    )
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, '- z')}: key 'z' is not one of the options"
        in problems_of(root)
    )


def test_a_ranking_key_that_is_not_an_option(tmp_path):
    root, path = edit(tmp_path, "    - b\n    - a\n    - c\n", "    - b\n    - a\n    - z\n")
    assert problems_of(root) == [
        f"bank/practitioner/p-one.yaml:{line_of(path, '- z')}: key 'z' is not one of the options"
    ]


def test_an_unknown_rubric_field_says_which_field_was_probably_meant(tmp_path):
    root, path = edit(tmp_path, "criterion: Plan", "critérion: Plan")
    assert (
        f"bank/practitioner/p-one.yaml:{line_of(path, 'critérion')}: unknown field 'critérion' in a rubric "
        f"entry (did you mean 'criterion'?)" in problems_of(root)
    )


def test_a_key_that_lists_every_option_is_a_warning_not_a_failure(tmp_path):
    # the contract allows it, though choosing every option then earns full marks
    root, path = edit(
        tmp_path,
        "    key:\n    - a\n    - b\n    select: 2\n",
        "    key:\n    - a\n    - b\n    - c\n    - d\n    select: 4\n",
    )
    result = check_bank(root)
    assert result.ok, result.problems
    assert [str(w) for w in result.warnings] == [
        f"bank/practitioner/p-one.yaml:{line_of(path, 'select: 4') - 5}: key lists every option, so choosing "
        "every option earns full marks: add an option that is wrong"
    ]
    command = subprocess.run(
        [sys.executable, "-m", "naas.cli", "bank", "check", str(root)],
        capture_output=True,
        text=True,
    )
    assert command.returncode == 0, command.stdout
    assert "p-one.yaml:" in command.stdout and ": warning: key lists every option" in command.stdout


# -- the blueprint check is quick, and says so when it cannot decide ------------------------
def test_forty_scenarios_that_cannot_reach_the_total_are_reported_without_searching_every_form(
    tmp_path,
):
    # 6 scenarios of 10 marks never make 61; the old search tried all 3.8 million choices
    tiers = tiers_with(scenarios=6, total_marks=61)
    root = write_bank(
        tmp_path / "bank", tiers=tiers, scenarios=[scenario(f"p-s{i}") for i in range(40)]
    )
    assert any(
        "the live items of tier 'practitioner' cannot fill its blueprint (40 live scenarios; a form needs 6 "
        "adding up to 61 marks" in p
        for p in problems_of(root)
    )


def test_a_blueprint_the_search_cannot_decide_is_a_problem_that_says_so(tmp_path, monkeypatch):
    from naas.engine import assembly

    tiers = tiers_with(scenarios=2, total_marks=20)
    tier = tiers["tiers"][0]
    tier["areas"] = tier["areas"] + [
        {"code": "P3", "title": "Three"},
        {"code": "P4", "title": "Four"},
    ]
    specs = []
    for number, other in enumerate(("P2", "P3", "P4")):
        spec = scenario(f"p-s{number}")
        for item in spec["stages"][0]["items"] + spec["stages"][1]["items"]:
            item["area"] = "P1" if item["area"] == "P1" else other
        specs.append(spec)
    root = write_bank(tmp_path / "bank", tiers=tiers, scenarios=specs)
    assert any("cannot fill its blueprint (3 live scenarios" in p for p in problems_of(root))
    monkeypatch.setattr(assembly, "MAX_STEPS", 2)
    assert any(
        "cannot be shown to fill its blueprint: no form was found in 2 steps of search (3 live scenarios"
        in p
        for p in problems_of(root)
    )


def test_areas_left_empty_is_a_problem_not_a_crash(tmp_path):
    root = write_bank(tmp_path / "bank")
    path = root / "tiers.yaml"
    text = path.read_text()
    start, end = text.index("  areas:\n"), text.index("  blueprint:")
    path.write_text(text[:start] + "  areas:\n" + text[end:])
    assert problems_of(root) == [
        f"bank/tiers.yaml:{line_of(path, 'areas:')}: areas must be a list of code and title"
    ]
