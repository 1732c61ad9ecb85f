"""Specification: rotating a webhook token never leaves a connection without a working URL.

The new URL is built from the stack's WebhookUrlBase before anything is stored; the old token keeps
working for a grace period (both accepted), then is refused. Webhooks go to the receiver over HTTP
(the local API front, moto over HTTP); the clock is injected where expiry is checked, never slept on.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from omsync.ledger.connections import Connection, ConnectionRepository
from omsync.receive import Outcome, receive_webhook
from omsync_ops.cli import main
from omsync_workshop.cloudformation import register_stack
from omsync_workshop.stack import LocalStack

ORDER_PAID = (Path(__file__).resolve().parents[3] / "events" / "webhooks" / "order-paid.json").read_bytes()
URL = re.compile(r"https?://\S+")
UNTIL = re.compile(r"keeps working until (\S+) \(")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def post(url: str) -> int:
    return requests.post(url, data=ORDER_PAID, timeout=10).status_code


def stored(connection_id: str) -> Connection:
    connection = ConnectionRepository().get(connection_id)
    assert connection is not None
    return connection


@pytest.fixture
def old_url(deployed_stack: LocalStack) -> str:
    """Connection toko-rapi, created on stack omsync-local; its webhook URL answers 200."""
    status, out, err = run(
        "connection", "create", "Toko Rapi", "--id", "toko-rapi", "--ginee-url", "https://api.ginee.com",
        "--ginee-access-key", "a", "--ginee-secret-key", "k", "--stack", "omsync-local", "--skip-check",
    )  # fmt: skip
    assert status == 0, err
    url = URL.findall(out)[-1]
    assert post(url) == 200
    return url


def test_both_urls_answer_200_after_a_rotation_and_the_output_says_until_when(old_url: str) -> None:
    status, out, err = run("connection", "rotate-token", "toko-rapi", "--stack", "omsync-local")

    assert (status, err) == (0, "")
    new_url = URL.findall(out)[0]
    assert new_url != old_url
    assert post(new_url) == 200
    assert post(old_url) == 200
    connection = stored("toko-rapi")
    until = datetime.fromisoformat(UNTIL.findall(out)[0])
    assert connection.previous_token_expires_at is not None
    assert abs(connection.previous_token_expires_at - until) < timedelta(seconds=1)
    assert timedelta(hours=23, minutes=59) < until - connection.created_at < timedelta(hours=24, minutes=1)
    assert "(24 h); give Ginee the new one before then" in out


def test_the_old_token_is_refused_once_its_grace_period_ends(old_url: str) -> None:
    status, out, _ = run("connection", "rotate-token", "toko-rapi", "--grace-hours", "2", "--stack", "omsync-local")
    assert status == 0
    old_token, new_token = old_url.rsplit("/", 1)[1], URL.findall(out)[0].rsplit("/", 1)[1]
    expires = stored("toko-rapi").previous_token_expires_at
    assert expires is not None

    just_before, at_expiry = expires - timedelta(seconds=1), expires

    assert receive_webhook("toko-rapi", old_token, ORDER_PAID, now=just_before).status_code == 200
    assert receive_webhook("toko-rapi", new_token, ORDER_PAID, now=just_before).status_code == 200
    assert receive_webhook("toko-rapi", old_token, ORDER_PAID, now=at_expiry).outcome is Outcome.UNAUTHORIZED
    assert receive_webhook("toko-rapi", new_token, ORDER_PAID, now=at_expiry + timedelta(days=30)).status_code == 200


@pytest.mark.parametrize(
    ("break_the_stack", "says"),
    [
        ("missing", "error: no stack omsync-gone (--stack) in this account and region"),
        ("without its WebhookUrlBase", "error: stack omsync-gone has no WebhookUrlBase output"),
    ],
)
def test_a_rotation_whose_stack_cannot_be_read_stores_nothing_and_the_old_url_keeps_working(
    deployed_stack: LocalStack, old_url: str, break_the_stack: str, says: str
) -> None:
    if break_the_stack == "without its WebhookUrlBase":
        # DescribeStacks answers, with the functions' environment, but not the output the new URL needs.
        register_stack(deployed_stack.target, "omsync-gone", deployed_stack.functions, outputs={})
    before = stored("toko-rapi")

    status, out, err = run("connection", "rotate-token", "toko-rapi", "--stack", "omsync-gone")

    assert status == 2
    assert err.startswith(says) and err.count("\n") == 1
    assert out == ""
    assert stored("toko-rapi") == before
    assert post(old_url) == 200


@pytest.mark.usefixtures("deployed_stack")
@pytest.mark.parametrize("hours", ["-1", "nan", "721"])
def test_a_grace_period_out_of_range_is_refused_before_anything_is_read(old_url: str, hours: str) -> None:
    before = stored("toko-rapi")

    status, _, err = run("connection", "rotate-token", "toko-rapi", "--grace-hours", hours, "--stack", "omsync-local")

    assert (status, err) == (2, "error: --grace-hours must be between 0 and 720\n")
    assert stored("toko-rapi") == before
    assert post(old_url) == 200


@pytest.mark.parametrize("base", ["notaurl", "ftp://host/prod", "https://"])
def test_a_webhook_base_that_is_not_a_url_is_refused_and_the_old_token_stays(old_url: str, base: str) -> None:
    before = stored("toko-rapi")

    status, out, err = run("connection", "rotate-token", "toko-rapi", "--stack", "omsync-local", "--webhook-base", base)

    assert (status, out) == (2, "")
    assert err == (
        f"error: --webhook-base {base!r} is not a URL: give http:// or https:// and a host, e.g. https://host/path\n"
    )
    assert stored("toko-rapi") == before
    assert post(old_url) == 200


@pytest.mark.usefixtures("deployed_stack")
@pytest.mark.parametrize("option", ["--ginee-url", "--webhook-base", "--accurate-account-url"])
def test_create_refuses_an_option_that_is_not_a_url_and_stores_no_connection(option: str) -> None:
    argv = [
        "connection", "create", "Toko Rapi", "--id", "toko-baru", "--ginee-url", "https://api.ginee.com",
        "--ginee-access-key", "a", "--ginee-secret-key", "k", "--stack", "omsync-local",
    ]  # fmt: skip
    if option == "--ginee-url":
        argv[argv.index("--ginee-url") + 1] = "notaurl"
    else:
        argv += [option, "notaurl"]

    status, out, err = run(*argv)

    assert (status, out) == (2, "")
    assert err.startswith(f"error: {option} 'notaurl' is not a URL")
    assert ConnectionRepository().get("toko-baru") is None
