"""EKS pod identity associations and OIDC identity provider configs through the real aws CLI and boto3, with
their errors as EKS reports them."""

import json

from conftest import boto
from test_eks import raw
from test_eks_nodegroups import error_of, make_cluster, signed_headers

ROLE = "arn:aws:iam::000000000000:role/app"


def test_pod_identity_associations_from_create_to_delete(aws):
    client = boto(aws.server)
    make_cluster(client)
    created = aws("eks", "create-pod-identity-association", "--cluster-name", "demo", "--namespace", "apps",
                  "--service-account", "web", "--role-arn", ROLE, "--tags", "team=a")["association"]
    association_id = created["associationId"]
    assert association_id.startswith("a-") and len(association_id) == 19
    assert created["associationArn"] == (
        f"arn:aws:eks:us-east-1:000000000000:podidentityassociation/demo/{association_id}")
    client.create_pod_identity_association(clusterName="demo", namespace="apps", serviceAccount="api", roleArn=ROLE)
    client.create_pod_identity_association(clusterName="demo", namespace="other", serviceAccount="web", roleArn=ROLE)
    in_apps = client.list_pod_identity_associations(clusterName="demo", namespace="apps")["associations"]
    assert sorted(a["serviceAccount"] for a in in_apps) == ["api", "web"]
    paged = [a for page in client.get_paginator("list_pod_identity_associations").paginate(
        clusterName="demo", PaginationConfig={"PageSize": 2}) for a in page["associations"]]
    assert len(paged) == 3
    updated = client.update_pod_identity_association(clusterName="demo", associationId=association_id,
                                                     roleArn="arn:aws:iam::000000000000:role/other")["association"]
    assert updated["roleArn"] == "arn:aws:iam::000000000000:role/other"
    described = client.describe_pod_identity_association(clusterName="demo", associationId=association_id)
    assert described["association"]["tags"] == {"team": "a"}
    aws("eks", "delete-pod-identity-association", "--cluster-name", "demo", "--association-id", association_id)
    assert error_of(client.describe_pod_identity_association, clusterName="demo", associationId=association_id)[
        0::2] == ("ResourceNotFoundException", 404)

    assert error_of(client.create_pod_identity_association, clusterName="demo", namespace="other",
                    serviceAccount="web", roleArn=ROLE)[0::2] == ("ResourceInUseException", 409)
    assert error_of(client.create_pod_identity_association, clusterName="demo", namespace="x",
                    serviceAccount="y", roleArn="role")[0::2] == ("InvalidParameterException", 400)
    assert error_of(client.create_pod_identity_association, clusterName="nope", namespace="x",
                    serviceAccount="y", roleArn=ROLE)[0::2] == ("ResourceNotFoundException", 404)


def test_an_oidc_identity_provider_config_is_associated_and_disassociated(aws):
    client = boto(aws.server)
    make_cluster(client)
    oidc = {"identityProviderConfigName": "corp", "issuerUrl": "https://issuer.example.com", "clientId": "kubernetes",
            "usernameClaim": "email", "groupsClaim": "groups", "requiredClaims": {"hd": "example.com"}}
    associated = client.associate_identity_provider_config(clusterName="demo", oidc=oidc, tags={"team": "a"})
    assert associated["update"]["type"] == "AssociateIdentityProviderConfig"
    assert associated["tags"] == {"team": "a"}
    config = client.describe_identity_provider_config(
        clusterName="demo", identityProviderConfig={"type": "oidc", "name": "corp"})["identityProviderConfig"]["oidc"]
    assert config["status"] == "ACTIVE" and config["usernameClaim"] == "email"
    assert config["requiredClaims"] == {"hd": "example.com"}
    listed = aws("eks", "list-identity-provider-configs", "--cluster-name", "demo")["identityProviderConfigs"]
    assert listed == [{"type": "oidc", "name": "corp"}]
    assert error_of(client.associate_identity_provider_config, clusterName="demo", oidc=oidc)[0::2] == (
        "ResourceInUseException", 409)
    assert error_of(client.associate_identity_provider_config, clusterName="demo",
                    oidc=dict(oidc, identityProviderConfigName="second"))[0::2] == (
        "ResourceLimitExceededException", 400)
    update = aws("eks", "disassociate-identity-provider-config", "--cluster-name", "demo",
                 "--identity-provider-config", "type=oidc,name=corp")["update"]
    assert update["type"] == "DisassociateIdentityProviderConfig"
    assert client.list_identity_provider_configs(clusterName="demo")["identityProviderConfigs"] == []
    assert error_of(client.describe_identity_provider_config, clusterName="demo",
                    identityProviderConfig={"type": "oidc", "name": "corp"}) == (
        "ResourceNotFoundException", "No identity provider config found for name: corp", 404)
    assert error_of(client.associate_identity_provider_config, clusterName="demo",
                    oidc=dict(oidc, issuerUrl="http://plain"))[0::2] == ("InvalidParameterException", 400)


def test_garbage_identity_requests(aws):
    client = boto(aws.server)
    make_cluster(client)
    headers = signed_headers()
    cases = [
        ("POST", "/clusters/demo/pod-identity-associations", b"{not json", "BadRequestException"),
        ("POST", "/clusters/demo/pod-identity-associations", b'{"namespace": "a"}', "InvalidParameterException"),
        ("POST", "/clusters/demo/pod-identity-associations/a-123", b'{"roleArn": 5}', "InvalidParameterException"),
        ("POST", "/clusters/demo/identity-provider-configs/associate", b"{}", "InvalidParameterException"),
        ("POST", "/clusters/demo/identity-provider-configs/associate", b'{"oidc": []}', "InvalidParameterException"),
        ("POST", "/clusters/demo/identity-provider-configs/describe",
         b'{"identityProviderConfig": {"type": "saml", "name": "x"}}', "InvalidParameterException"),
        ("POST", "/clusters/demo/identity-provider-configs/disassociate", b"[", "BadRequestException"),
    ]
    for method, path, body, code in cases:
        got, reply_headers, data = raw(aws.server, method, path, body, headers)
        assert (got, reply_headers.get("x-amzn-errortype")) == (400, code), (method, path, body, data)
        assert "message" in json.loads(data)
    assert client.list_pod_identity_associations(clusterName="demo")["associations"] == []
