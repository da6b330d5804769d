"""STS through the real aws CLI and boto3: AssumeRole decided by trust policies, the temporary credentials it
hands out signing aws CLI calls and `aws eks get-token` for kubectl, and IRSA: a cluster's OpenID Connect issuer
served by its API server, ServiceAccount tokens exchanged with AssumeRoleWithWebIdentity."""

import base64
import datetime
import json
import ssl
import subprocess
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.config
import botocore.exceptions
import pytest

from conftest import DEADLINE_SECONDS, boto, eks_prereqs_for

ACCOUNT = "000000000000"


def trust(statement):
    return json.dumps({"Version": "2012-10-17", "Statement": [dict({"Effect": "Allow"}, **statement)]})


def run(aws, *args, access_key, secret, token=None, check=True):
    """The aws CLI with explicit credentials (and a session token for temporary ones)."""
    env = aws.env()
    env.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret})
    if token is not None:
        env["AWS_SESSION_TOKEN"] = token
    result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True, env=env,
                            timeout=DEADLINE_SECONDS)
    if check:
        assert result.returncode == 0, f"aws {' '.join(args)}: {result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip() else None
    return result


def session_env(aws, credentials):
    env = aws.env()
    env.update({"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_SESSION_TOKEN": credentials["SessionToken"]})
    return env


def sts_client(server, access_key="test", secret="test", validate=True):
    """A boto3 STS client with explicit credentials; `validate=False` lets invalid input through to the server."""
    return boto3.client("sts", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=access_key,
                        aws_secret_access_key=secret,
                        config=botocore.config.Config(parameter_validation=validate))


def client_error(call):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def user_with_key(aws, name):
    aws("iam", "create-user", "--user-name", name)
    key = aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_assume_role_is_decided_by_the_trust_policy_and_its_credentials_sign(aws, tmp_path):
    alice = user_with_key(aws, "alice")
    bob = user_with_key(aws, "bob")
    principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}
    role = aws("iam", "create-role", "--role-name", "admin", "--assume-role-policy-document",
               trust({"Principal": principal, "Action": "sts:AssumeRole"}))["Role"]
    role_arn = role["Arn"]

    denied = run(aws, "sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "bob",
                 access_key=bob[0], secret=bob[1], check=False)
    assert denied.returncode != 0
    assert (f"(AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::{ACCOUNT}:user/bob is not "
            f"authorized to perform: sts:AssumeRole on resource: {role_arn}") in denied.stderr
    bob_sts = sts_client(aws.server, *bob)
    assert client_error(lambda: bob_sts.assume_role(RoleArn=role_arn, RoleSessionName="bob"))[::2] == \
        ("AccessDenied", 403)
    missing = f"arn:aws:iam::{ACCOUNT}:role/missing"
    assert client_error(lambda: bob_sts.assume_role(RoleArn=missing, RoleSessionName="bob")) == (
        "AccessDenied", f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: sts:AssumeRole on "
                        f"resource: {missing}", 403)

    assumed = run(aws, "sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "alice-session",
                  "--duration-seconds", "900", access_key=alice[0], secret=alice[1])
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["SecretAccessKey"]) == 40
    expires = datetime.datetime.fromisoformat(credentials["Expiration"].replace("Z", "+00:00"))
    left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 800 < left <= 901, left
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/alice-session"
    assert assumed["AssumedRoleUser"] == {"Arn": session_arn, "AssumedRoleId": f"{role['RoleId']}:alice-session"}

    identity = run(aws, "sts", "get-caller-identity", access_key=credentials["AccessKeyId"],
                   secret=credentials["SecretAccessKey"], token=credentials["SessionToken"])
    assert identity == {"Arn": session_arn, "UserId": f"{role['RoleId']}:alice-session", "Account": ACCOUNT}

    for token in [None, "forged-token"]:
        refused = run(aws, "sts", "get-caller-identity", access_key=credentials["AccessKeyId"],
                      secret=credentials["SecretAccessKey"], token=token, check=False)
        assert refused.returncode != 0
        assert "(InvalidClientTokenId)" in refused.stderr and "security token included in the request is invalid" \
            in refused.stderr, refused.stderr
    wrong_secret = run(aws, "sts", "get-caller-identity", access_key=credentials["AccessKeyId"], secret="x" * 40,
                       token=credentials["SessionToken"], check=False)
    assert "(SignatureDoesNotMatch)" in wrong_secret.stderr

    # The session creates an EKS cluster; kubectl then reaches it as the cluster's creator with
    # `aws eks get-token` signing with the session.
    env = session_env(aws, credentials)
    prereqs = eks_prereqs_for(aws.server)
    created = subprocess.run(["aws", "eks", "create-cluster", "--name", "by-role", "--role-arn",
                              prereqs.cluster_role, "--resources-vpc-config", prereqs.vpc_config,
                              "--access-config", "authenticationMode=API_AND_CONFIG_MAP",
                              "--output", "json"], capture_output=True, text=True, env=env, timeout=DEADLINE_SECONDS)
    assert created.returncode == 0, created.stderr
    subprocess.run(["aws", "eks", "wait", "cluster-active", "--name", "by-role"], check=True, env=env,
                   timeout=DEADLINE_SECONDS)
    kubeconfig = tmp_path / "kubeconfig"
    subprocess.run(["aws", "eks", "update-kubeconfig", "--name", "by-role", "--kubeconfig", str(kubeconfig)],
                   check=True, capture_output=True, env=env, timeout=DEADLINE_SECONDS)
    token = json.loads(subprocess.run(["aws", "eks", "get-token", "--cluster-name", "by-role"], capture_output=True,
                                      text=True, env=env, check=True).stdout)["status"]["token"]
    assert token.startswith("k8s-aws-v1.")
    namespaces = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "namespaces", "-o", "name"],
                                capture_output=True, text=True, env=env, timeout=DEADLINE_SECONDS)
    assert namespaces.returncode == 0, namespaces.stderr
    assert "namespace/kube-system" in namespaces.stdout.split()
    who = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "auth", "whoami", "-o", "json"],
                         capture_output=True, text=True, env=env, timeout=DEADLINE_SECONDS)
    assert who.returncode == 0, who.stderr
    user = json.loads(who.stdout)["status"]["userInfo"]
    assert user["username"] == session_arn
    assert user["extra"]["canonicalArn"] == [f"arn:aws:iam::{ACCOUNT}:role/admin"]
    assert user["extra"]["arn"] == [session_arn]
    # Without its session token the same credentials make a token the cluster refuses.
    no_token_env = dict(env)
    del no_token_env["AWS_SESSION_TOKEN"]
    refused = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "namespaces"], capture_output=True,
                             text=True, env=no_token_env, timeout=DEADLINE_SECONDS)
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr, refused.stderr


def test_assume_role_inputs_are_validated(aws):
    role_arn = aws("iam", "create-role", "--role-name", "r", "--assume-role-policy-document",
                   trust({"Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    sts = boto(aws.server, "sts")
    unvalidated = sts_client(aws.server, validate=False)
    assert sts.assume_role(RoleArn=role_arn, RoleSessionName="root-session")["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/r/root-session"
    cases = [
        (dict(RoleSessionName="a"), "ValidationError",
         "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have "
         "length greater than or equal to 2"),
        (dict(RoleSessionName="bad name"), "ValidationError",
         "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member "
         "must satisfy regular expression pattern: [\\w+=,.@-]*"),
        (dict(RoleSessionName="ok", DurationSeconds=100), "ValidationError",
         "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must "
         "have value greater than or equal to 900"),
        (dict(RoleSessionName="ok", DurationSeconds=7200), "ValidationError",
         "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        (dict(RoleSessionName="ok", Policy="{not json"), "MalformedPolicyDocument", "This policy contains invalid Json"),
    ]
    for extra, code, message in cases:
        got = client_error(lambda: unvalidated.assume_role(RoleArn=role_arn, **extra))
        assert got == (code, message, 400), extra
    # An external id the trust policy asks for, and session tags it does not allow.
    external = aws("iam", "create-role", "--role-name", "ext", "--assume-role-policy-document", trust(
        {"Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "the-id"}}}))["Role"]["Arn"]
    assert client_error(lambda: sts.assume_role(RoleArn=external, RoleSessionName="s1"))[::2] == ("AccessDenied", 403)
    assert sts.assume_role(RoleArn=external, RoleSessionName="s1", ExternalId="the-id")["Credentials"]
    tagged = client_error(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="s1",
                                                  Tags=[{"Key": "team", "Value": "a"}]))
    assert tagged[0] == "AccessDenied" and "sts:TagSession" in tagged[1]
    # GetSessionToken: the caller's own temporary credentials.
    own = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert own["AccessKeyId"].startswith("ASIA")


def test_garbage_sts_requests_get_sts_errors(aws):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{now[:8]}/us-east-1/sts/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": now,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    cases = [
        (b"Action=AssumeRole&Version=2011-06-15&RoleSessionName=s", 400, "ValidationError"),
        (b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fx"
         b"&RoleSessionName=s&DurationSeconds=lots", 400, "ValidationError"),
        (b"Action=AssumeRole&Version=2011-06-15&RoleArn=%ZZ&RoleSessionName=s", 400, None),
        (b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fx"
         b"&RoleSessionName=s&WebIdentityToken=\xff\xfe", 400, None),
        (b"Action=Nope&Version=2011-06-15", 400, "InvalidAction"),
    ]
    for body, status, code in cases:
        request = urllib.request.Request(aws.server.url + "/", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=DEADLINE_SECONDS) as response:
                got, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            got, data = error.code, error.read()
        assert got == status, (body, data)
        assert b"<ErrorResponse" in data, (body, data)
        if code:
            assert f"<Code>{code}</Code>".encode() in data, (body, data)


def presigned_get(url):
    try:
        with urllib.request.urlopen(url, timeout=DEADLINE_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_presigned_urls_work_until_they_expire(aws, monkeypatch):
    access_key, secret = user_with_key(aws, "presigner")
    sts = sts_client(aws.server, access_key, secret)
    fresh = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    status, body = presigned_get(fresh)
    assert status == 200 and b":user/presigner</Arn>" in body, body

    # The same request, signed two hours ago for one minute: refused as expired, as STS refuses it.
    signed_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at.replace(tzinfo=None))
    stale = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    monkeypatch.undo()
    assert "X-Amz-Date=" + signed_at.strftime("%Y%m%dT%H") in stale, stale
    status, body = presigned_get(stale)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body, body

    # A fresh URL whose signature was altered.
    tampered = fresh[:-4] + ("0000" if not fresh.endswith("0000") else "1111")
    status, body = presigned_get(tampered)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body
    # An expiry beyond a week is refused before the signature is checked.
    status, body = presigned_get(fresh.replace("X-Amz-Expires=300", "X-Amz-Expires=604801"))
    assert status in (400, 403) and b"<ErrorResponse" in body, body


def test_irsa_service_account_tokens_assume_roles_through_the_served_issuer(aws, tmp_path):
    prereqs = eks_prereqs_for(aws.server)
    aws("eks", "create-cluster", "--name", "irsa", "--role-arn", prereqs.cluster_role,
        "--resources-vpc-config", prereqs.vpc_config)
    aws("eks", "wait", "cluster-active", "--name", "irsa")
    cluster = aws("eks", "describe-cluster", "--name", "irsa")["cluster"]
    issuer = cluster["identity"]["oidc"]["issuer"]
    assert issuer.startswith(cluster["endpoint"] + "/id/") and len(issuer) == len(cluster["endpoint"]) + 4 + 32

    # The issuer's documents are served to anyone, over HTTPS with the cluster's CA.
    ca = tmp_path / "ca.pem"
    ca.write_bytes(base64.b64decode(cluster["certificateAuthority"]["data"]))
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", context=context,
                                timeout=DEADLINE_SECONDS) as response:
        discovery = json.loads(response.read())
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == issuer + "/keys"
    with urllib.request.urlopen(discovery["jwks_uri"], context=context, timeout=DEADLINE_SECONDS) as response:
        keys = json.loads(response.read())["keys"]
    assert keys and keys[0]["kty"] == "EC" and keys[0]["alg"] == "ES256"

    host = issuer[len("https://"):]
    provider = aws("iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com",
                   "--thumbprint-list", "9e99a48a9960b14926bb7f3b02e22da2b0ab7280")["OpenIDConnectProviderArn"]
    assert provider == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    role = aws("iam", "create-role", "--role-name", "app-role", "--assume-role-policy-document", trust({
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:sub": "system:serviceaccount:default:app",
                                       f"{host}:aud": "sts.amazonaws.com"}},
    }))["Role"]

    kubeconfig = tmp_path / "kubeconfig"
    aws("eks", "update-kubeconfig", "--name", "irsa", "--kubeconfig", str(kubeconfig))

    def kubectl(*args):
        result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True,
                                env=aws.env(), timeout=DEADLINE_SECONDS)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    kubectl("create", "serviceaccount", "app")
    kubectl("create", "serviceaccount", "other")
    token = kubectl("create", "token", "app", "--audience", "sts.amazonaws.com")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == issuer and claims["aud"] == ["sts.amazonaws.com"]
    default_audience = json.loads(base64.urlsafe_b64decode(
        kubectl("create", "token", "app").split(".")[1] + "=="))
    assert default_audience["aud"] == [issuer]

    assumed = aws("sts", "assume-role-with-web-identity", "--role-arn", role["Arn"], "--role-session-name", "pod",
                  "--web-identity-token", token)
    assert assumed["SubjectFromWebIdentityToken"] == "system:serviceaccount:default:app"
    assert assumed["Audience"] == "sts.amazonaws.com"
    assert assumed["Provider"] == provider
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/pod"
    assert assumed["AssumedRoleUser"] == {"Arn": session_arn, "AssumedRoleId": f"{role['RoleId']}:pod"}
    identity = subprocess.run(["aws", "sts", "get-caller-identity", "--output", "json"], capture_output=True, text=True,
                              env=session_env(aws, assumed["Credentials"]), timeout=DEADLINE_SECONDS)
    assert json.loads(identity.stdout)["Arn"] == session_arn, identity.stderr

    # boto3 sends the call unsigned, as the model says.
    sts = boto(aws.server, "sts")
    assert sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="boto",
                                             WebIdentityToken=token)["Audience"] == "sts.amazonaws.com"

    def refused(web_token):
        return client_error(lambda: sts.assume_role_with_web_identity(
            RoleArn=role["Arn"], RoleSessionName="pod", WebIdentityToken=web_token))

    other = kubectl("create", "token", "other", "--audience", "sts.amazonaws.com")
    assert refused(other) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
    wrong_audience = kubectl("create", "token", "app", "--audience", "another-audience")
    assert refused(wrong_audience) == ("InvalidIdentityToken", "Incorrect token audience", 400)
    assert refused("garbage-token") == (
        "InvalidIdentityToken",
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)", 400)
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload, signature[::-1]])
    assert refused(forged)[::2] == ("InvalidIdentityToken", 400)
    cli = subprocess.run(["aws", "sts", "assume-role-with-web-identity", "--role-arn", role["Arn"],
                          "--role-session-name", "pod", "--web-identity-token", other, "--output", "json"],
                         capture_output=True, text=True, env=aws.env(), timeout=DEADLINE_SECONDS)
    assert cli.returncode != 0 and "(AccessDenied)" in cli.stderr

    aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", provider)
    assert refused(token) == ("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}",
                              400)


def test_sessions_and_issuers_survive_a_restart(ekslite, tmp_path):
    data_dir = tmp_path / "data"
    server = ekslite(data_dir=data_dir)
    sts = sts_client(server)
    role_arn = boto(server, "iam").create_role(
        RoleName="r", AssumeRolePolicyDocument=trust({"Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}),
    )["Role"]["Arn"]
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="kept")["Credentials"]
    eks = boto(server, "eks")
    prereqs = eks_prereqs_for(server)
    eks.create_cluster(name="kept", roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources)
    eks.get_waiter("cluster_active").wait(name="kept", WaiterConfig={"Delay": 1})
    issuer = eks.describe_cluster(name="kept")["cluster"]["identity"]["oidc"]["issuer"]
    assert server.stop() == 0

    again = ekslite(data_dir=data_dir)
    session = boto3.client("sts", endpoint_url=again.url, region_name="us-east-1",
                           aws_access_key_id=credentials["AccessKeyId"],
                           aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=credentials["SessionToken"])
    assert session.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/kept"
    cluster = boto(again, "eks").describe_cluster(name="kept")["cluster"]
    assert cluster["identity"]["oidc"]["issuer"] == issuer
    ca = tmp_path / "ca.pem"
    ca.write_bytes(base64.b64decode(cluster["certificateAuthority"]["data"]))
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", context=context,
                                timeout=DEADLINE_SECONDS) as response:
        assert json.loads(response.read())["issuer"] == issuer
