"""Specification: the pure rules of the operator commands (webhook URLs, choosing the Accurate database)."""

from __future__ import annotations

import pytest

from omsync.accurate.client import Database
from omsync_ops.connections import CommandError, pick_database, webhook_url

DATABASES = [Database(1001, "PT Contoh Niaga Online"), Database(1002, "PT Contoh Grosir")]


def test_the_webhook_url_is_the_base_the_ginee_route_the_connection_and_its_token() -> None:
    assert webhook_url("https://api.example.com/", "toko", "t0k") == "https://api.example.com/webhooks/ginee/toko/t0k"


def test_a_base_that_already_names_the_ginee_route_is_not_doubled() -> None:
    url = webhook_url("https://abc.execute-api.ap-southeast-1.amazonaws.com/webhooks/ginee", "toko", "t0k")

    assert url == "https://abc.execute-api.ap-southeast-1.amazonaws.com/webhooks/ginee/toko/t0k"


def test_the_only_database_is_chosen_without_asking() -> None:
    assert pick_database(DATABASES[:1], None) == DATABASES[0]


def test_a_database_is_chosen_by_id_or_by_name() -> None:
    assert pick_database(DATABASES, "1002") == DATABASES[1]
    assert pick_database(DATABASES, "PT Contoh Niaga Online") == DATABASES[0]


def test_several_databases_and_no_choice_is_an_error_listing_them() -> None:
    with pytest.raises(CommandError, match="1001 \\(PT Contoh Niaga Online\\), 1002 \\(PT Contoh Grosir\\)"):
        pick_database(DATABASES, None)


def test_a_database_the_token_cannot_see_is_an_error() -> None:
    with pytest.raises(CommandError, match="no database '9'"):
        pick_database(DATABASES, "9")
