"""API: producer routes for agents (client credentials), read routes for signed-in users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from infra_synth import Synth
from lineage_infra.config import RUNTIME

pytestmark = pytest.mark.unit

PRODUCER_ROUTES = {
    "HEAD /producer/status",
    "GET /producer/status",
    "POST /producer/execution-plans",
    "POST /producer/execution-events",
}
READ_ROUTES = {"GET /api/{proxy+}"}


def _routes(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
    }


def _authorizer(synth: Synth, route: dict[str, Any]) -> dict[str, Any]:
    return dict(synth.json["Resources"][route["AuthorizerId"]["Ref"]]["Properties"])


def _client_id_of(synth: Synth, name: str) -> str:
    [logical_id] = [k for k in synth.resources("AWS::Cognito::UserPoolClient") if name in k]
    return logical_id


def _scopes(synth: Synth, scopes: list[Any]) -> list[str]:
    """Resolve `{"Fn::Join": ["", [{"Ref": server}, "/x"]]}` to `identifier/x`."""
    resolved = []
    for scope in scopes:
        if isinstance(scope, str):
            resolved.append(scope)
            continue
        parts = []
        for part in scope["Fn::Join"][1]:
            if isinstance(part, dict):
                part = synth.json["Resources"][part["Ref"]]["Properties"]["Identifier"]
            parts.append(part)
        resolved.append("".join(parts))
    return resolved


def test_http_api_has_exactly_the_producer_and_read_routes(synth: Synth) -> None:
    assert synth.only("AWS::ApiGatewayV2::Api")["ProtocolType"] == "HTTP"
    assert set(_routes(synth)) == PRODUCER_ROUTES | READ_ROUTES


def test_every_route_requires_a_jwt(synth: Synth) -> None:
    for key, route in _routes(synth).items():
        assert route["AuthorizationType"] == "JWT", key
        authorizer = _authorizer(synth, route)
        assert authorizer["AuthorizerType"] == "JWT"
        issuer = authorizer["JwtConfiguration"]["Issuer"]["Fn::Join"][1]
        assert "cognito-idp." in "".join(p for p in issuer if isinstance(p, str))


def test_producer_routes_trust_only_the_agent_client_and_write_scope(synth: Synth) -> None:
    agent = _client_id_of(synth, "AgentClientagents1")
    for key in PRODUCER_ROUTES:
        route = _routes(synth)[key]
        assert route["AuthorizationScopes"] == ["lineage/producer.write"], key
        audience = _authorizer(synth, route)["JwtConfiguration"]["Audience"]
        assert audience == [{"Ref": agent}]


def test_read_routes_trust_only_the_ui_client_and_read_scope(synth: Synth) -> None:
    ui = _client_id_of(synth, "UiClient")
    route = _routes(synth)["GET /api/{proxy+}"]
    assert route["AuthorizationScopes"] == ["lineage/graph.read"]
    assert _authorizer(synth, route)["JwtConfiguration"]["Audience"] == [{"Ref": ui}]


def test_agent_client_uses_client_credentials_with_a_secret(synth: Synth) -> None:
    clients = synth.resources("AWS::Cognito::UserPoolClient")
    agent = clients[_client_id_of(synth, "AgentClientagents1")]["Properties"]
    assert agent["GenerateSecret"] is True
    assert agent["AllowedOAuthFlows"] == ["client_credentials"]
    assert _scopes(synth, agent["AllowedOAuthScopes"]) == ["lineage/producer.write"]


def test_two_agent_clients_are_trusted_during_a_secret_rotation(synth_with: Any) -> None:
    rotating = synth_with(agentClients="agents-1,agents-2")
    # CloudFormation logical ids drop the hyphens of the construct ids.
    ids = [{"Ref": _client_id_of(rotating, f"AgentClientagents{n}")} for n in (1, 2)]
    route = _routes(rotating)["POST /producer/execution-plans"]
    assert _authorizer(rotating, route)["JwtConfiguration"]["Audience"] == ids
    assert {"AgentClientIdagents1", "AgentClientIdagents2"} <= set(rotating.json["Outputs"])


def test_ui_client_signs_people_in_with_code_flow_and_no_secret(synth: Synth) -> None:
    clients = synth.resources("AWS::Cognito::UserPoolClient")
    ui = clients[_client_id_of(synth, "UiClient")]["Properties"]
    assert ui["GenerateSecret"] is False
    assert ui["AllowedOAuthFlows"] == ["code"]
    assert _scopes(synth, ui["AllowedOAuthScopes"]) == ["openid", "email", "lineage/graph.read"]
    pool = synth.only("AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_stage_logs_access_and_throttles(synth: Synth) -> None:
    stage = synth.only("AWS::ApiGatewayV2::Stage")
    assert "DestinationArn" in stage["AccessLogSettings"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 200


def test_lambdas_run_the_configured_handlers_in_private_subnets(synth: Synth) -> None:
    functions = {k: v["Properties"] for k, v in synth.resources("AWS::Lambda::Function").items()}
    handlers = {props["Handler"] for props in functions.values()}
    assert handlers == {RUNTIME.producer_handler, RUNTIME.consumer_handler}
    for props in functions.values():
        assert props["Runtime"] == "python3.11"
        assert props["VpcConfig"]["SubnetIds"]
        assert props["Timeout"] < 30  # API Gateway's integration timeout is 30 s
        assert "KmsKeyArn" in props
        assert props["ReservedConcurrentExecutions"] > 0


def test_producer_writes_the_raw_zone_and_consumer_uses_neptune_iam_auth(synth: Synth) -> None:
    functions = [v["Properties"] for v in synth.resources("AWS::Lambda::Function").values()]
    [producer] = [f for f in functions if f["Handler"] == RUNTIME.producer_handler]
    [consumer] = [f for f in functions if f["Handler"] == RUNTIME.consumer_handler]
    raw_uri = producer["Environment"]["Variables"][RUNTIME.producer_lake_env]
    assert raw_uri["Fn::Join"][1][0] == "s3://"
    graph_url = consumer["Environment"]["Variables"][RUNTIME.consumer_graph_url_env]
    assert graph_url["Fn::Join"][1][0] == "wss://"
    assert consumer["Environment"]["Variables"][RUNTIME.consumer_iam_auth_env] == "true"


def test_lambda_code_is_the_source_folders_bundled_without_docker(synth: Synth) -> None:
    manifest = synth.json["Resources"]
    functions = [v for v in manifest.values() if v["Type"] == "AWS::Lambda::Function"]
    adapters = {RUNTIME.producer_handler: "producer", RUNTIME.consumer_handler: "consumer"}
    for function in functions:
        props = function["Properties"]
        asset_hash = props["Code"]["S3Key"].removesuffix(".zip")
        staged = synth.outdir / f"asset.{asset_hash}"
        assert staged.is_dir(), staged
        assert (staged / "lineage" / "__init__.py").is_file()
        # Each Lambda ships its own adapter only: adapters never depend on each other.
        own = adapters[props["Handler"]]
        assert sorted(p.name for p in (staged / "lambdas").iterdir()) == ["__init__.py", own]
        assert not list(Path(staged).rglob("__pycache__"))


def test_dependency_layer_is_attached_when_packaged(synth_with: Any, tmp_path: Path) -> None:
    (tmp_path / "python" / "fastapi").mkdir(parents=True)
    (tmp_path / "python" / "fastapi" / "__init__.py").write_text("")
    packaged = synth_with(lambdaDepsDir=str(tmp_path))
    [layer_id] = packaged.resources("AWS::Lambda::LayerVersion")
    layer = packaged.json["Resources"][layer_id]["Properties"]
    assert layer["CompatibleRuntimes"] == ["python3.11"]
    for function in packaged.resources("AWS::Lambda::Function").values():
        assert function["Properties"]["Layers"] == [{"Ref": layer_id}]


def test_deploy_synth_refuses_to_run_without_the_layer(synth_with: Any, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make package"):
        synth_with(lambdaDepsDir=str(tmp_path / "absent"), requirePackagedDependencies="true")


def test_producer_can_list_its_prefix_so_a_missing_index_key_is_404_not_403(
    synth: Synth,
) -> None:
    functions = [v["Properties"] for v in synth.resources("AWS::Lambda::Function").values()]
    [producer] = [f for f in functions if f["Handler"] == RUNTIME.producer_handler]
    role = {"Ref": producer["Role"]["Fn::GetAtt"][0]}
    statements = [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if role in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    [listing] = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{RUNTIME.raw_prefix}*"]}}
    # Write-once: the producer may put and read back, never delete.
    assert not [s for s in statements if "Delete" in str(s["Action"])]
