"""Per-item cues and references: what `naas bank check` tells a writer about an item whose
key a reader of the options alone could find, and what an item may cite."""

from __future__ import annotations

import subprocess
import sys

import pytest

from naas.bank import check_bank
from naas.bank.cues import item_cues, option_text, spearman

from .builders import scenario, write_bank

STEM = "The school rings about a bruise. What should you do first?"


def test_a_key_much_longer_than_every_distractor_is_named():
    cues = item_cues(
        {
            "a": "Visit today",
            "b": "Ring the school back, agree a plan with the family and record it",
            "c": "Wait a week",
            "d": "Close it",
        },
        STEM,
        ("b",),
    )
    assert any(
        c.startswith("the key is uniquely the longest option, 64 characters against at most 11")
        for c in cues
    )
    assert any("options differ" in c for c in cues)
    assert any(c.startswith("the key has the most clauses (2 against at most 0)") for c in cues)


def test_options_of_one_length_and_shape_carry_no_cue():
    options = {
        "a": "Ring the school back and agree who speaks to the child",
        "b": "Visit the family at home and see the child the same day",
        "c": "Ask the police to attend and speak with the child today",
        "d": "Hold a strategy discussion and agree who sees the child",
    }
    for key in "abcd":
        assert item_cues(options, STEM, (key,)) == []


def test_a_key_that_alone_gives_a_reason_or_alone_hedges_is_named():
    options = {
        "a": "Speak to the child alone so that her views are heard",
        "b": "Speak to the mother first and then to the child",
        "c": "Speak to the teacher first and then to the child",
    }
    assert any("only option that gives a reason" in c for c in item_cues(options, STEM, ("a",)))
    hedged = {
        "a": "Consider whether to speak to the child alone",
        "b": "Speak to the mother first and then the child",
        "c": "Speak to the teacher first and then the child",
    }
    assert any("only option with a hedging word" in c for c in item_cues(hedged, STEM, ("a",)))


def test_a_key_that_alone_avoids_absolutes_is_named():
    options = {
        "a": "Speak to the child at school today",
        "b": "Always speak to the mother before the child",
        "c": "Never speak to the child without the mother",
    }
    assert any(
        "only option without an absolute word" in c for c in item_cues(options, STEM, ("a",))
    )


def test_multiple_keys_longer_than_their_distractors_are_named():
    options = {
        "a": "Her school attendance record over the last year",
        "b": "Her diet",
        "c": "What she says about her time at home and school",
        "d": "Her hobbies",
    }
    cues = item_cues(options, STEM, ("a", "c"))
    assert any(c.startswith("key options are") and "as long as the distractors" in c for c in cues)


def test_a_ranking_whose_order_follows_length_is_named():
    options = {
        "a": "A much longer option than all of the others here",
        "b": "A longer option than two",
        "c": "A short option",
        "d": "Tiny",
    }
    cues = item_cues(options, STEM, ("a",), order=("a", "b", "c", "d"))
    assert any(
        "key order follows option length (longest first; rank correlation 1.00)" in c for c in cues
    )


def test_features_count_what_the_audit_says_they_count():
    text = option_text("a", 0, "Consider the plan, and the risk; it may always change", STEM)
    assert (text.clauses, text.hedges, text.absolutes, text.justifies) == (3, 2, 1, False)
    assert option_text("b", 1, "Record it so that the child is heard", STEM).justifies


def test_spearman_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    xs, ys = [1, 2, 2, 5, 3, 9], [4, 1, 3, 3, 8, 2]
    assert spearman(xs, ys) == pytest.approx(scipy_stats.spearmanr(xs, ys).statistic, abs=1e-12)
    assert spearman([1, 1, 1], [1, 2, 3]) is None


def cued_bank(tmp_path):
    spec = scenario()
    item = spec["stages"][0]["items"][0]
    item["options"] = {
        "a": "Visit the family at home today, see the child, and agree a plan with them",
        "b": "Wait",
        "c": "Close",
    }
    return write_bank(tmp_path / "bank", scenarios=[spec])


def test_bank_check_prints_cues_as_warnings_with_their_line_and_still_passes(tmp_path):
    root = cued_bank(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "naas.cli", "bank", "check", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    key_line = next(
        n
        for n, line in enumerate((root / "practitioner/p-one.yaml").read_text().splitlines(), 1)
        if line.startswith("    key: a")
    )
    assert (
        f"bank/practitioner/p-one.yaml:{key_line}: warning: p-one-1: the key is uniquely the longest"
        in run.stdout
    )
    assert "OK:" in run.stdout


@pytest.mark.parametrize(
    "references,message",
    [
        ("Children Act 1989 s47", "references must be a list of citations"),
        ([], "references must be a list of citations"),
        (["Children Act 1989 s47", 5], "each reference must be a line of text"),
        (["  "], "each reference must be a line of text"),
        (["x" * 301], "a reference must be one line of at most 300 characters"),
        (["Children Act\n1989"], "a reference must be one line"),
        ([{"Working Together 2023": "chapter 3"}], "a reference with ': ' in it must be in quotes"),
    ],
)
def test_references_must_be_a_list_of_one_line_citations(tmp_path, references, message):
    spec = scenario()
    spec["stages"][0]["items"][0]["references"] = references
    result = check_bank(write_bank(tmp_path / "bank", scenarios=[spec]))
    assert not result.ok
    assert any(message in p.message and ":" in str(p) for p in result.problems), result.problems


def test_references_are_kept_on_the_item(tmp_path):
    spec = scenario()
    spec["stages"][0]["items"][0]["references"] = [
        "Children Act 1989 s47(1)",
        "Working Together 2023, chapter 4",
    ]
    result = check_bank(write_bank(tmp_path / "bank", scenarios=[spec]))
    assert result.ok, result.problems
    item = result.bank.scenarios[0].items[0]
    assert item.references == ("Children Act 1989 s47(1)", "Working Together 2023, chapter 4")
    assert [p.message for p in result.unreferenced] == [
        "p-one-2: no references (what does its key rest on?)",
        "p-one-3: no references (what does its key rest on?)",
    ]
