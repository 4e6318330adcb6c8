"""Surface features of an item's options, and the cues that give its key away to a
candidate who reads only the options.

A test-wise candidate who knows nothing of the content still has habits that work on badly
written items: pick the longest option, the one with the most clauses, the hedged one, the
one without "always", the one that echoes the stem. Each function here measures one such
feature of an option's text; `item_cues` names, for one item, the features on which its key
stands out so clearly that the habit would find it. The audit (naas/bank/audit.py) turns the
same features into strategies and scores them over a whole tier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# The words test-wise candidates read as signs of a careful (hence right) answer...
HEDGES = frozenset(
    {
        "consider",
        "considering",
        "where",
        "may",
        "might",
        "could",
        "proportionate",
        "proportionately",
        "explore",
        "exploring",
        "appropriate",
        "discuss",
        "likely",
        "possible",
        "perhaps",
        "balance",
    }
)
# ...and of a careless (hence wrong) one.
ABSOLUTES = frozenset({"always", "never", "only", "immediately", "all", "every", "none", "must"})
JUSTIFICATIONS = ("because", "so that", "to ensure", "in order to", "which means", "so as to")
MODALS = frozenset({"should", "would", "could", "can", "will", "must", "may", "might", "shall"})
NEGATIONS = frozenset({"not", "no", "without", "never", "nor", "none", "nothing"})
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "their",
        "there",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "him",
        "you",
        "your",
        "we",
        "our",
        "us",
        "who",
        "whom",
        "which",
        "what",
        "when",
        "how",
        "why",
        "if",
        "then",
        "than",
        "so",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "not",
        "no",
        "into",
        "about",
        "over",
        "after",
        "before",
        "up",
        "out",
        "all",
        "any",
        "each",
        "would",
        "should",
        "could",
        "can",
        "will",
        "may",
        "might",
        "must",
        "also",
        "only",
    ]
)


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 3 and w not in STOPWORDS}


@dataclass(frozen=True)
class OptionText:
    """The surface of one option: what a candidate can see without reading for meaning."""

    label: str
    position: int  # 0-based, in the bank's order
    length: int  # characters
    word_count: int
    clauses: int  # commas, semicolons, colons and "and"s
    hedges: int
    absolutes: int
    justifies: bool  # gives a reason: "because", "so that", "to ensure", ...
    stem_overlap: int  # distinct content words shared with the stem
    modals: int
    negations: int
    adverbs: int  # words ending in -ly
    capitals: int  # capitalised words after the first: names, Acts, agencies
    digits: int


def option_text(label: str, position: int, text: str, stem: str) -> OptionText:
    ws = words(text)
    lowered = " " + " ".join(ws) + " "
    tokens = WORD.findall(text)
    return OptionText(
        label=label,
        position=position,
        length=len(text.strip()),
        word_count=len(ws),
        clauses=sum(text.count(mark) for mark in ",;:") + ws.count("and"),
        hedges=sum(w in HEDGES for w in ws),
        absolutes=sum(w in ABSOLUTES for w in ws),
        justifies=any(f" {phrase} " in lowered for phrase in JUSTIFICATIONS),
        stem_overlap=len(content_words(text) & content_words(stem)),
        modals=sum(w in MODALS for w in ws),
        negations=sum(w in NEGATIONS for w in ws),
        adverbs=sum(w.endswith("ly") and len(w) > 4 for w in ws),
        capitals=sum(t[0].isupper() for t in tokens[1:]),
        digits=sum(ch.isdigit() for ch in text),
    )


def option_texts(options: Mapping[str, str], stem: str) -> list[OptionText]:
    return [
        option_text(label, index, text, stem) for index, (label, text) in enumerate(options.items())
    ]


# How far the key must stand out before a habit reliably finds it. A key that is longest by
# a few characters is what chance gives a quarter of four-option items; one a fifth longer
# than any distractor is a cue.
LENGTH_MARGIN = 1.2
LENGTH_SPREAD = 1.5  # longest option over shortest
CLAUSE_MARGIN = 2
OVERLAP_MARGIN = 2
MULTIPLE_MEAN_MARGIN = 1.2


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None where either has no spread."""

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        result = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                result[order[k]] = (i + j) / 2
            i = j + 1
        return result

    rx, ry = ranks(xs), ranks(ys)
    mx, my = _mean(rx), _mean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5


def item_cues(
    options: Mapping[str, str],
    stem: str,
    keyed: tuple[str, ...],
    order: tuple[str, ...] | None = None,
) -> list[str]:
    """The cues by which this item's key stands out from its distractors, in words a writer
    can act on. `keyed` is what a knowing candidate picks first (for a ranking, the option
    ranked first); `order` is a ranking's whole key order."""
    texts = option_texts(options, stem)
    keys = [t for t in texts if t.label in keyed]
    others = [t for t in texts if t.label not in keyed]
    if not keys or not others:
        return []
    cues = []
    lengths = [t.length for t in texts]
    if min(lengths) > 0 and max(lengths) / min(lengths) > LENGTH_SPREAD:
        cues.append(
            f"options differ {max(lengths) / min(lengths):.1f}x in length "
            f"({min(lengths)} to {max(lengths)} characters): write them to one length"
        )
    if len(keys) == 1:
        key = keys[0]
        what = "the key" if order is None else "the option ranked first"
        if key.length >= LENGTH_MARGIN * max(t.length for t in others):
            cues.append(
                f"{what} is uniquely the longest option, {key.length} characters against at most "
                f"{max(t.length for t in others)}"
            )
        if key.length <= min(t.length for t in others) / LENGTH_MARGIN:
            cues.append(
                f"{what} is uniquely the shortest option, {key.length} characters against at least "
                f"{min(t.length for t in others)}"
            )
        if key.clauses >= max(t.clauses for t in others) + CLAUSE_MARGIN:
            cues.append(
                f"{what} has the most clauses ({key.clauses} against at most "
                f"{max(t.clauses for t in others)})"
            )
        if key.justifies and not any(t.justifies for t in others):
            cues.append(
                f"{what} is the only option that gives a reason (because, so that, to ensure...)"
            )
        if key.hedges and not any(t.hedges for t in others):
            cues.append(
                f"{what} is the only option with a hedging word (consider, where, may, proportionate...)"
            )
        if not key.absolutes and len(others) >= 2 and all(t.absolutes for t in others):
            cues.append(
                f"{what} is the only option without an absolute word (always, never, only, all...)"
            )
        if key.stem_overlap >= max(t.stem_overlap for t in others) + OVERLAP_MARGIN:
            cues.append(
                f"{what} repeats the most words of the stem ({key.stem_overlap} against at most "
                f"{max(t.stem_overlap for t in others)})"
            )
    else:
        key_mean, other_mean = _mean([t.length for t in keys]), _mean([t.length for t in others])
        if (
            key_mean >= MULTIPLE_MEAN_MARGIN * other_mean
            or other_mean >= MULTIPLE_MEAN_MARGIN * key_mean
        ):
            cues.append(
                f"key options are {key_mean / other_mean:.2f}x as long as the distractors on average"
            )
        if all(t.justifies for t in keys) and not any(t.justifies for t in others):
            cues.append("only the key options give a reason (because, so that, to ensure...)")
    if order is not None and len(order) >= 4:
        by_label = {t.label: t for t in texts}
        rho = spearman(
            [-order.index(t.label) for t in texts], [by_label[t.label].length for t in texts]
        )
        if rho is not None and abs(rho) >= 0.9:
            direction = "longest" if rho > 0 else "shortest"
            cues.append(
                f"the key order follows option length ({direction} first; rank correlation {rho:.2f})"
            )
    return cues
