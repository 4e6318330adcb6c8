"""Keyset pagination (naas/pagination.py): pages follow the key, never an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from naas.models import Organisation
from naas.pagination import BadPageKey, Keyset, paginate

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
BY_NAME = Keyset(Organisation.name, Organisation.id, per_page=3)
BY_TIME = Keyset(Organisation.created_at, Organisation.id, per_page=3, descending=True)


@pytest.fixture
def organisations(session):
    rows = [
        Organisation(name=f"Org {n:02}", created_at=AT + timedelta(hours=n % 3)) for n in range(7)
    ]
    session.add_all(rows)
    session.commit()
    return rows


def names(page):
    return [o.name for o in page.rows]


def walk(session, keyset, direction="next", args=None):
    """Every page from the first, following the links."""
    pages, args = [], args or {}
    while True:
        page = paginate(session, select(Organisation), keyset, args)
        pages.append(page)
        if not page.next_key:
            return pages
        args = page.link_args(direction)


def test_pages_follow_one_another_in_order_and_the_last_says_there_is_no_next(
    session, organisations
):
    pages = walk(session, BY_NAME)
    assert [names(p) for p in pages] == [
        ["Org 00", "Org 01", "Org 02"],
        ["Org 03", "Org 04", "Org 05"],
        ["Org 06"],
    ]
    assert pages[0].prev_key is None and pages[-1].next_key is None
    assert pages[1].link_args("next") == {"after": "Org 05~6"}


def test_previous_goes_back_to_the_same_page(session, organisations):
    second = walk(session, BY_NAME)[1]
    back = paginate(session, select(Organisation), BY_NAME, second.link_args("prev"))
    assert names(back) == ["Org 00", "Org 01", "Org 02"]
    assert back.prev_key is None and back.next_key


def test_equal_keys_are_split_by_id_with_none_lost_or_repeated_descending(session, organisations):
    pages = walk(session, BY_TIME)
    seen = [o.id for p in pages for o in p.rows]
    assert len(seen) == 7 and len(set(seen)) == 7
    keys = [(o.created_at, o.id) for p in pages for o in p.rows]
    assert keys == sorted(keys, reverse=True)


def test_a_row_added_behind_the_reader_does_not_repeat_a_row_on_the_next_page(
    session, organisations
):
    first = paginate(session, select(Organisation), BY_NAME, {})
    session.add(Organisation(name="Org 00a"))
    session.commit()
    second = paginate(session, select(Organisation), BY_NAME, first.link_args("next"))
    assert names(second) == ["Org 03", "Org 04", "Org 05"]


def test_other_parameters_of_the_request_are_kept_in_the_links(session, organisations):
    page = paginate(session, select(Organisation), BY_NAME, {"q": "Org", "before": "x~1"})
    # "before" with a key that is not an organisation's name still reads as a key
    assert "q" in page.link_args("next")


def test_a_key_that_cannot_be_read_is_refused(session, organisations):
    for token in ("no-separator", "Org 01~not-a-number"):
        with pytest.raises(BadPageKey):
            paginate(session, select(Organisation), BY_NAME, {"after": token})
    with pytest.raises(BadPageKey):
        paginate(session, select(Organisation), BY_TIME, {"after": "yesterday~3"})


def test_a_list_with_one_page_has_no_links(session):
    session.add(Organisation(name="Only"))
    session.commit()
    page = paginate(session, select(Organisation), BY_NAME, {})
    assert names(page) == ["Only"] and page.next_key is None and page.prev_key is None
