"""A bounded schemathesis run over every operation of /openapi.json, against a real server.

Each operation gets a few generated requests, valid ones and invalid ones, with a valid
bearer token; every answer must be no 5xx, a status code the document lists for the
operation, the content type it lists, and a body that fits the documented schema. The run
is deterministic (Hypothesis derandomized, no example database) and small enough for the
suite: EXAMPLES_PER_OPERATION each, ~25 s here. One server, one user and one test walk the
operations in turn (``operation.as_strategy``; schemathesis 4.32's ``from_fixture`` fails
under pytest 9.2), each operation's failures collected and all reported at the end.

Strings hold any character UTF-8 can carry, NUL included, but a few examples rarely hold
one, and never a lone surrogate, which only a JSON ``\\ud800`` escape can carry. So, as an
attacker's probe would, ``with_unstorable_characters`` appends NUL to a string of some
cases (query, path or body), or a lone surrogate to a string field of a JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import requests
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.hooks import HookContext
from schemathesis.schemas import APIOperation, BaseSchema

from microblog import passwords
from tests.api.helpers import PASSWORD

EXAMPLES_PER_OPERATION = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BODY_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")
CONFIG = {
    # Strings of any character UTF-8 can carry, NUL included (the defaults, spelled out).
    "generation": {"allow-x00": True, "codec": "utf-8"},
    # Failures show the request as sent: the test's token and passwords are no secret.
    "output": {"sanitization": {"enabled": False}},
}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ups and log-ins with argon2's cheapest settings (the server runs in this
    process): the fuzzer signs people up, and argon2's default costs 0.2 s each."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def api_schema(live_server: str) -> Iterator[BaseSchema]:
    """The server's own document, as schemathesis reads it."""
    config = SchemathesisConfig.from_dict(CONFIG)
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json", config=config)
    schema.hook("flatmap_case")(with_unstorable_characters)
    yield schema


@pytest.fixture
def token(live_server: str) -> str:
    """A signed-up user's bearer token, and a post of theirs (something to reply to)."""
    with httpx.Client(base_url=live_server, timeout=10) as http:
        response = http.post("/api/v1/accounts", data={"username": "fuzz", "password": PASSWORD})
        assert response.status_code == 200, response.text
        value: str = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {value}"}
        posted = http.post("/api/v1/statuses", data={"status": "hello"}, headers=headers)
        assert posted.status_code == 200, posted.text
    return value


def with_unstorable_characters(context: HookContext, case: Case) -> st.SearchStrategy[Case]:
    """The case, or the case with NUL or a lone surrogate appended to one of its strings."""
    targets: list[tuple[str, str, str]] = []
    for where, values in (("query", case.query), ("path", case.path_parameters)):
        targets += [(where, key, "\x00") for key, v in values.items() if isinstance(v, str)]
    if isinstance(case.body, dict) and case.media_type in BODY_MEDIA_TYPES:
        fields = [key for key, v in case.body.items() if isinstance(v, str)]
        targets += [("body", key, "\x00") for key in fields]
        if case.media_type == "application/json":
            targets += [("body", key, "\ud800") for key in fields]
    if not targets:
        return st.just(case)

    def spoil(target: tuple[str, str, str]) -> Case:
        where, key, char = target
        if where == "query":
            case.query = {**case.query, key: case.query[key] + char}
        elif where == "path":
            case.path_parameters = {**case.path_parameters, key: case.path_parameters[key] + char}
        elif char == "\x00":
            case.body = {**case.body, key: case.body[key] + char}
        else:
            # As the JSON text, escape included (schemathesis' own checks of a changed body
            # can't take a lone surrogate; bytes are sent as they are).
            case.body = json.dumps({**case.body, key: case.body[key] + char}).encode()
        return case

    return st.one_of(st.just(case), st.sampled_from(sorted(targets)).map(spoil))


def run_operation(operation: APIOperation, token: str, session: requests.Session) -> None:
    """The operation's examples, valid and invalid ones mixed; raises on the first failure."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, unshrunk
        verbosity=Verbosity.quiet,
    )
    def check(case: Case) -> None:
        case.call_and_validate(
            session=session, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )

    check()


def test_every_operation_answers_as_documented(api_schema: BaseSchema, token: str) -> None:
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    with requests.Session() as session:  # one connection, kept alive
        for operation in operations:
            try:
                run_operation(operation, token, session)
            # Each operation's failures are reported (a FailureGroup when several); on to the next.
            except (Exception, BaseExceptionGroup) as exc:
                failures[operation.label] = str(exc)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
