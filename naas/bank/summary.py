"""The summary `naas bank check` prints for a bank that passes."""

from __future__ import annotations

from collections import Counter

from naas.engine.assembly import Rules, distinct_forms, fitting_forms

from .model import Bank


def summarise(bank: Bank) -> list[str]:
    lines = []
    for tier in bank.tiers.values():
        live = bank.scenarios_of(tier.id)
        statuses = Counter(s.status for s in bank.scenarios_of(tier.id, status=None))
        items = [item for s in live for item in s.items]
        types = Counter(item.name for item in items)
        objective = sum(n for name, n in types.items() if name != "free_text")
        forms = fitting_forms(live, Rules(tier.blueprint, tier.area_codes))
        lines.append(f"{tier.id}: {tier.title}")
        lines.append(
            f"  scenarios: {len(live)} live"
            + "".join(f", {statuses[s]} {s}" for s in ("draft", "retired") if statuses[s])
            + f"; items: {len(items)}; marks: {sum(i.marks for i in items)}"
        )
        lines.append(
            "  item types: "
            + ", ".join(
                f"{name} {types[name]}"
                + (
                    f" ({100 * types[name] / objective:.0f}% of objective)"
                    if name != "free_text" and objective
                    else ""
                )
                for name in sorted(types)
            )
        )
        lines.append(
            f"  forms the blueprint can assemble: {'' if forms.complete else 'at least '}{len(forms.ids)}"
            f" ({len(distinct_forms(forms.ids))} differing in at least half their scenarios)"
        )
        for area in tier.areas:
            area_items = [i for i in items if i.area == area.code]
            lines.append(
                f"  {area.code:<4} {len(area_items):>3} items {sum(i.marks for i in area_items):>4} marks"
                f"  {area.title}"
            )
    return lines
