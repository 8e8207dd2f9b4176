"""The Azure pipeline, with the real SDK clients over real HTTP to a local ARM endpoint: only reads leave the
process, the static token is sent over http, retries honour Retry-After, and bad credentials are one line."""

from __future__ import annotations

import time

import pytest
from azure_arm import TOKEN, ArmEndpoint, arm_endpoint, load_routes

from providers.azure.adapter import scan_azure
from providers.azure.calls import Calls
from providers.azure.options import AzureOptions
from providers.azure.session import AzureClients, CredentialsError, WriteRefused, is_read_only
from providers.interface import ScanOptions
from providers.live.coverage import Recorder
from providers.live.failed import Failed
from scanner.model import ScopeStatus

S1 = "11111111-1111-1111-1111-111111111111"
S2 = "22222222-2222-2222-2222-222222222222"


def _clients(endpoint: ArmEndpoint, token: str | None = TOKEN) -> AzureClients:
    return AzureClients(AzureOptions(arm_endpoint=endpoint.url, token=token))


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/subscriptions/x/resources", True),
    ("HEAD", "/subscriptions/x", True),
    ("PUT", "/subscriptions/x/resourcegroups/rg", False),
    ("PATCH", "/subscriptions/x/resourcegroups/rg", False),
    ("DELETE", "/subscriptions/x/resourcegroups/rg", False),
    ("POST", "/subscriptions/x/providers/Microsoft.Storage/storageAccounts/a/listKeys", False),
    ("POST", "/providers/Microsoft.ResourceGraph/resources", True),
    ("POST", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Web/sites/app/config/appsettings/list", True),
    ("POST", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Web/sites/app/slots/s/config/appsettings/list",
     True),
    ("POST", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Web/sites/app/config/publishingcredentials/list",
     False),
    ("POST", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Web/sites/app/config/connectionstrings/list",
     False),
    ("PUT", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Web/sites/app/config/appsettings/list", False),
    ("POST", "/subscriptions/x/providers/Microsoft.Web/sites/app/config/appsettings/list/x", False),
])
def test_only_reads_and_the_resource_graph_query_are_allowed(method: str, path: str, allowed: bool) -> None:
    assert is_read_only(method, f"https://management.azure.com{path}?api-version=1") is allowed


def test_a_write_through_a_real_client_is_refused_before_it_is_sent() -> None:
    with arm_endpoint() as endpoint:
        clients = _clients(endpoint)
        with pytest.raises(WriteRefused, match="refused PUT"):
            clients.get("resources", S1).resource_groups.create_or_update("claims-rg", {"location": "uksouth"})
        with pytest.raises(WriteRefused, match="refused POST"):
            clients.get("storage", S1).storage_accounts.list_keys("claims-rg", "claimsevidence")
        with pytest.raises(WriteRefused, match="refused DELETE"):
            clients.get("resources", S1).resource_groups.begin_delete("claims-rg")
        assert endpoint.seen == []  # nothing reached the endpoint


def test_the_sdk_never_registers_a_resource_provider() -> None:
    # ARM answers 409 MissingSubscriptionRegistration; azure-mgmt-core would POST .../register.
    routes = load_routes("claims")
    path = f"/subscriptions/{S1}/resourcegroups/claims-rg/providers/microsoft.keyvault/vaults/claims-kv/providers/" \
           "microsoft.insights/diagnosticsettings"
    routes[path] = {"$status": 409, "$body": {"error": {
        "code": "MissingSubscriptionRegistration",
        "message": "The subscription is not registered to use namespace 'Microsoft.Insights'."}}}
    endpoint = ArmEndpoint(routes).start()
    try:
        calls = Calls(_clients(endpoint), Recorder())
        answer = calls.listing(S1, "Microsoft.Insights", path, "2021-05-01-preview")
    finally:
        endpoint.close()
    assert isinstance(answer, Failed) and answer.status is ScopeStatus.FAILED
    assert "never registers" in answer.detail
    assert {s.method for s in endpoint.seen} == {"GET"}


def test_the_static_token_is_sent_over_plain_http_and_a_wrong_one_is_refused() -> None:
    with arm_endpoint() as endpoint:
        calls = Calls(_clients(endpoint), Recorder())
        assert isinstance(calls.read("tenant", "Microsoft.Resources", "subscriptions.list",
                                     lambda: calls.clients.get("subscriptions").subscriptions.list()), list)
        with pytest.raises(CredentialsError, match=r"did not accept the credentials.*HTTP 401"):
            scan_azure(AzureOptions(arm_endpoint=endpoint.url, token="wrong"), ScanOptions())


def test_an_endpoint_that_does_not_answer_is_one_line() -> None:
    endpoint = ArmEndpoint({}).start()
    url = endpoint.url
    endpoint.close()
    with pytest.raises(CredentialsError, match="did not answer") as raised:
        scan_azure(AzureOptions(arm_endpoint=url, token=TOKEN), ScanOptions())
    assert "\n" not in str(raised.value)


def test_throttling_is_retried_after_the_time_arm_asks_for() -> None:
    with arm_endpoint() as endpoint:
        calls = Calls(_clients(endpoint), Recorder())
        client = calls.clients.get("resources", S2)
        started = time.monotonic()
        answer = calls.read(S2, "Microsoft.Resources", "resources.list", lambda: client.resources.list())
        waited = time.monotonic() - started
    listed = [s for s in endpoint.seen if s.path.endswith("/resources")]
    assert [s.status for s in listed] == [429, 200]
    assert waited >= 0.9  # Retry-After: 1
    assert isinstance(answer, list) and len(answer) == 3
    assert calls.recorder.coverage()[0].status is ScopeStatus.SCANNED


def test_throttling_that_does_not_end_is_a_throttled_scope_not_an_empty_answer() -> None:
    routes = load_routes("claims")
    routes[f"/subscriptions/{S2}/resources"] = {"$status": 429, "$headers": {"Retry-After": "0"},
                                                "$body": {"error": {"code": "TooManyRequests", "message": "slow"}}}
    endpoint = ArmEndpoint(routes).start()
    try:
        calls = Calls(_clients(endpoint), Recorder())
        client = calls.clients.get("resources", S2)
        answer = calls.read(S2, "Microsoft.Resources", "resources.list", lambda: client.resources.list())
    finally:
        endpoint.close()
    assert isinstance(answer, Failed) and answer.status is ScopeStatus.THROTTLED
    assert len([s for s in endpoint.seen if s.path.endswith("/resources")]) > 1  # retried before giving up
    (scope,) = calls.recorder.coverage()
    assert scope.status is ScopeStatus.THROTTLED and scope.status.incomplete


class _NoToken:
    """A credential chain that finds nothing (as DefaultAzureCredential on a machine never signed in)."""

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        from azure.identity import CredentialUnavailableError

        raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token.\nAttempted: ...")

    def get_token_info(self, *scopes: str, options: object = None) -> object:
        return self.get_token(*scopes)


def test_missing_credentials_are_one_line_not_a_traceback() -> None:
    # https: azure-core's bearer policy asks the credential before anything is sent (nothing listens there).
    options = AzureOptions(arm_endpoint="https://127.0.0.1:9")
    clients = AzureClients(options)
    clients.credential = _NoToken()
    with pytest.raises(CredentialsError, match="no usable Azure credentials") as raised:
        scan_azure(options, ScanOptions(), clients=clients)
    assert "\n" not in str(raised.value)


def test_tenant_asks_every_token_for_that_tenant() -> None:
    from providers.azure.session import _TenantCredential

    asked: list[object] = []

    class Inner:
        def get_token(self, *scopes: str, **kwargs: object) -> str:
            asked.append(kwargs.get("tenant_id"))
            return "token"

        def get_token_info(self, *scopes: str, options: dict | None = None) -> str:
            asked.append((options or {}).get("tenant_id"))
            return "token"

    credential = _TenantCredential(Inner(), "99999999-9999-9999-9999-999999999999")
    credential.get_token("https://management.azure.com/.default")
    credential.get_token_info("https://management.azure.com/.default", options={"claims": "x"})
    assert asked == ["99999999-9999-9999-9999-999999999999"] * 2


def test_every_page_of_a_listing_is_read() -> None:
    routes = load_routes("claims")
    path = f"/subscriptions/{S2}/resources"
    first = routes[path]["$sequence"][-1]["value"]
    routes[path] = {"value": first[:1], "nextLink": f"{{endpoint}}{path}?api-version=2025-04-01&$skiptoken=2"}
    routes[f"{path}?$skiptoken=2"] = {"value": first[1:]}
    vault = f"/subscriptions/{S2}/resourcegroups/monitoring-rg/providers/microsoft.keyvault/vaults/monitoring-kv"
    settings = f"{vault}/providers/microsoft.insights/diagnosticsettings"
    setting = {"id": f"{settings}/a", "name": "a", "properties": {"workspaceId": "w"}}
    routes[settings] = {"value": [setting], "nextLink": f"{{endpoint}}{settings}?api-version=x&$skiptoken=b"}
    routes[f"{settings}?$skiptoken=b"] = {"value": [{**setting, "id": f"{settings}/b", "name": "b"}]}
    endpoint = ArmEndpoint(routes).start()
    try:
        calls = Calls(_clients(endpoint), Recorder())
        client = calls.clients.get("resources", S2)
        listed = calls.read(S2, "Microsoft.Resources", "resources.list", lambda: client.resources.list())
        found = calls.listing(S2, "Microsoft.Insights", settings, "2021-05-01-preview")
    finally:
        endpoint.close()
    assert [r["name"] for r in listed] == [r["name"] for r in first]  # the SDK's pager
    assert [s["name"] for s in found] == ["a", "b"]  # send_request listings follow nextLink too
