"""schemathesis's hooks for the run against the simulated box (loaded by ``schemathesis.toml``).

What the fuzzer cannot make, the test made before the run: apCV presentations and a
prescription (a phone and a scanner made them), sessions opened on presentations the
workstation fetched, and a second workstation (for the revocation to revoke). Their ids (``BORNE_CONTRACT_IDS``, JSON) stand in for a generated id in
one valid request out of two, so the success answers of those routes are reached and checked
too (and the document's links lead on from them: a session to its invoices).

Two things the run must not do, and nothing else:

- revoke its own certificate: ``DELETE /v1/clients/{client_id}`` with the run's own id (the
  id can come from any answer, e.g. ``GET /v1/clients/me``) would leave every later request a
  ``403 client_revoked`` and test nothing more. That id is replaced by one no workstation has
  (``BORNE_CONTRACT_OWN_CLIENT``); revoking oneself is tested by hand
  (``tests/integration/test_api.py``);
- count ``400 clock_implausible`` on ``POST /v1/clock`` as "valid data refused": whether a
  well-formed time is plausible depends on the box (its build date, the time it last knew),
  which no schema can say. Any other refusal of a valid time still fails the run.
"""

from __future__ import annotations

import json
import os
import random

import schemathesis

#: What stands for the run's own id: the form of a workstation id, owned by none.
NOBODY = "ws-000000000000"
#: The ids the test made: "presentation" (not fetched), "prescription", "fetched" (fetched by
#: the run's workstation, no session yet), "session" (open), "client" (another workstation).
IDS: dict[str, list[str]] = json.loads(os.environ.get("BORNE_CONTRACT_IDS") or "{}")
#: Its own generator: the global one is hypothesis's to watch.
_RANDOM = random.Random()


def _real(kind: str) -> str | None:
    """One of the test's ids of ``kind``, one time out of two."""
    ids = IDS.get(kind)
    return _RANDOM.choice(ids) if ids and _RANDOM.random() < 0.5 else None


def _with_real_ids(case) -> None:  # noqa: ANN001
    path = case.path_parameters or {}
    kind = {"/v1/apcv/presentations/{presentation_id}": "presentation",
            "/v1/prescriptions/{presentation_id}": "prescription"}.get(case.path)
    if kind is not None and (real := _real(kind)):
        case.path_parameters = {**path, "presentation_id": real}
    if "session_id" in path and (real := _real("session")):
        case.path_parameters = {**path, "session_id": real}
    if case.path == "/v1/clients/{client_id}" and (real := _real("client")):
        case.path_parameters = {**path, "client_id": real}
    if case.path == "/v1/apcv/sessions" and isinstance(case.body, dict) \
            and isinstance(case.body.get("presentation_id"), str) and (real := _real("fetched")):
        case.body = {**case.body, "presentation_id": real}


@schemathesis.hook
def before_call(context, case, kwargs) -> None:  # noqa: ANN001 (schemathesis's signature)
    """The test's real ids in some valid requests; never revoke the run's own workstation."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        _with_real_ids(case)
    own = os.environ.get("BORNE_CONTRACT_OWN_CLIENT")
    if case.method.upper() == "DELETE" and case.path == "/v1/clients/{client_id}" \
            and own and (case.path_parameters or {}).get("client_id") == own:
        case.path_parameters = {**case.path_parameters, "client_id": NOBODY}


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:  # noqa: ANN001
    """Keep every failure but a plausibility refusal of a well-formed time."""
    if case.method.upper() == "POST" and case.path == "/v1/clock" \
            and type(failure).__name__ == "RejectedPositiveData" and response.status_code == 400:
        try:
            return response.json().get("error") != "clock_implausible"
        except ValueError:
            return True
    return True
