"""The direct_post body parser of the hot route: one pass, strict, no pydantic."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from govchain.verifier.errors import MalformedResponseError
from govchain.verifier.routes import response_form

FORM = "application/x-www-form-urlencoded"


def test_state_and_vp_token_are_read_from_a_form() -> None:
    body = urlencode({"vp_token": '{"hund": ["a~b~"]}', "state": "s1"}).encode()
    assert response_form(FORM + "; charset=utf-8", body) == ("s1", '{"hund": ["a~b~"]}')


def test_a_body_that_is_not_a_form_carries_neither_field() -> None:
    assert response_form("application/json", b'{"state": "s1"}') == (None, None)
    assert response_form(None, b"state=s1") == (None, None)


@pytest.mark.parametrize("name", ["state", "vp_token"])
def test_a_field_sent_twice_is_refused(name: str) -> None:
    with pytest.raises(MalformedResponseError):
        response_form(FORM, f"{name}=a&{name}=b".encode())


def test_an_oversized_or_undecodable_body_is_refused() -> None:
    with pytest.raises(MalformedResponseError):
        response_form(FORM, b"vp_token=" + b"a" * 300_000)
    with pytest.raises(MalformedResponseError):
        response_form(FORM, "state=\u00e9".encode())
    with pytest.raises(MalformedResponseError):
        response_form(FORM, b"state=%ff")
