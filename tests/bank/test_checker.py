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
    assert f"bank/practitioner/p-one.yaml:{line_of(path, 'title: Another')}: duplicate key 'title' " \
           f"(first at line {line_of(path, 'title: A referral')})" in problems


def test_unknown_field_says_which_field_was_probably_meant(tmp_path):
    root, path = edit(tmp_path, "  rationale: Act.", "  rationnale: Act.")
    problems = problems_of(root)
    assert f"bank/practitioner/p-one.yaml:{line_of(path, 'rationnale')}: unknown field 'rationnale' in a " \
           f"single item (did you mean 'rationale'?)" in problems


def test_missing_required_field(tmp_path):
    root, path = edit(tmp_path, "    stem: First?\n", "")
    assert any("missing required field 'stem'" in p for p in problems_of(root))


def test_duplicate_scenario_id_anywhere_in_the_bank(tmp_path):
    root = write_bank(tmp_path / "bank", scenarios=[scenario("p-one"), scenario("p-two")])
    path = root / "practitioner" / "p-two.yaml"
    path.write_text(path.read_text().replace("id: p-two\n", "id: p-one\n", 1).replace("p-two-", "p-three-"))
    problems = problems_of(root)
    assert any(p.startswith("bank/practitioner/p-two.yaml:1: duplicate scenario id 'p-one' "
                            "(first at bank/practitioner/p-one.yaml:1)") for p in problems)


def test_duplicate_item_id_anywhere_in_the_bank(tmp_path):
    root = write_bank(tmp_path / "bank", scenarios=[scenario("p-one"), scenario("p-two")])
    path = root / "practitioner" / "p-two.yaml"
    path.write_text(path.read_text().replace("id: p-two-3\n", "id: p-one-3\n"))
    problems = problems_of(root)
    assert any("duplicate item id 'p-one-3' (first at bank/practitioner/p-one.yaml:" in p for p in problems)


def test_tier_not_defined_in_tiers_yaml(tmp_path):
    root, path = edit(tmp_path, "tier: practitioner", "tier: director")
    assert f"bank/practitioner/p-one.yaml:{line_of(path, 'tier: director')}: tier 'director' is not defined " \
           f"in tiers.yaml (defined: practitioner)" in problems_of(root)


def test_area_not_defined_for_the_tier(tmp_path):
    root, path = edit(tmp_path, "area: P2", "area: S2")
    assert any(p.startswith(f"bank/practitioner/p-one.yaml:{line_of(path, 'area: S2')}: area 'S2' is not an area")
               for p in problems_of(root))


def test_key_that_is_not_an_option(tmp_path):
    root, path = edit(tmp_path, "key: a\n", "key: e\n")
    assert f"bank/practitioner/p-one.yaml:{line_of(path, 'key: e')}: key 'e' is not one of the options" \
           in problems_of(root)


def test_ranking_key_that_is_not_a_permutation(tmp_path):
    root, path = edit(tmp_path, "  - b\n    - a\n    - c\n", "  - b\n    - a\n    - a\n")
    assert any("a ranking key must list every option label exactly once" in p for p in problems_of(root))


def test_select_differs_from_the_number_of_key_labels(tmp_path):
    root, path = edit(tmp_path, "select: 2", "select: 3")
    assert f"bank/practitioner/p-one.yaml:{line_of(path, 'select: 3')}: select is 3 but the key has 2 labels" \
           in problems_of(root)


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
    assert any(p.startswith(f"bank/tiers.yaml:{line_of(tiers, 'blueprint:')}: the live items of tier "
                            f"'practitioner' cannot fill its blueprint") for p in problems)


def test_blueprint_total_marks_that_no_form_can_reach(tmp_path):
    tiers = {"tiers": [dict(TIERS["tiers"][0], blueprint={"scenarios": 1, "total_marks": 11})]}
    problems = problems_of(write_bank(tmp_path / "bank", tiers=tiers))
    assert any("cannot fill its blueprint" in p and "adding up to 11 marks" in p for p in problems)


@pytest.mark.parametrize("yaml_text, message", [
    ("a: &anchor [1, 2]\nb: *anchor\n", "anchors (&anchor) are not allowed"),
    ("a: !!python/object/apply:os.system ['true']\n", "tags"),
    ("a: !custom 1\n", "tags"),
    ("lol: &a ['x','x']\nlol2: &b [*a,*a,*a]\nlol3: [*b,*b,*b]\n", "anchors"),
])
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
    path.write_text(path.read_text().replace("area: P2", "area: P9", 1).replace("select: 2", "select: 3"))
    assert len(problems_of(root)) >= 3


# -- fuzzing: whatever a file holds, the checker answers with problems, never a traceback --
@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=st.text(max_size=400))
def test_any_text_gives_problems_or_a_bank_never_an_exception(tmp_path, text):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text(text)
    check_bank(root)


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=True),
              st.text(max_size=20), st.dates()),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_a_valid_scenario_with_any_field_replaced_never_raises(tmp_path, data):
    spec = scenario()
    stage = data.draw(st.sampled_from(spec["stages"]))
    item = data.draw(st.sampled_from(stage["items"]))
    target = data.draw(st.sampled_from([spec, stage, item]))
    field = data.draw(st.sampled_from(sorted(target)))
    target[field] = data.draw(YAML_VALUES)
    root = write_bank(tmp_path / "bank", scenarios=[spec])
    result = check_bank(root)
    assert result.ok or result.problems


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(blob=st.binary(max_size=300))
def test_any_bytes_never_raise(tmp_path, blob):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_bytes(blob)
    (root / "tiers.yaml").write_bytes(blob)
    assert not check_bank(root).ok or True


def test_deeply_nested_yaml_is_a_problem_not_a_crash(tmp_path):
    root = write_bank(tmp_path / "bank")
    (root / "practitioner" / "p-one.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert check_bank(root).problems


def test_the_command_prints_file_line_messages_and_exits_1(tmp_path):
    root, path = edit(tmp_path, "key: a\n", "key: e\n")
    result = subprocess.run([sys.executable, "-m", "naas.cli", "bank", "check", str(root)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "p-one.yaml:" in result.stdout and "key 'e' is not one of the options" in result.stdout
    assert "Traceback" not in result.stderr
