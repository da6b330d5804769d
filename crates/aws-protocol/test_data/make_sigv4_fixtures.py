"""Writes SigV4 fixtures signed by botocore itself into test_data/sigv4/.

Run with a Python that has botocore and awscli installed:

    python crates/aws-protocol/test_data/make_sigv4_fixtures.py

Every request is built the way the real clients build it (a botocore client's serializer, awscli's EKS token
generator, or a hand-made AWSRequest for paths that no client sends), signed at a fixed instant with fixed
credentials, captured just before it would leave the machine, and written as one JSON file per case: the method,
the request target as sent, the headers as sent (plus Host, which the HTTP library adds), the body, and what
the Rust side must find in it.
"""

import datetime
import json
import pathlib
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = "http://127.0.0.1:4566"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/odd=chars"
SIGNED_AT = datetime.datetime(2025, 3, 14, 9, 26, 53, tzinfo=datetime.timezone.utc)
OUT = pathlib.Path(__file__).parent / "sigv4"


class Captured(Exception):
    """Stops a client call once the signed request is in hand."""

    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def capture(request, **kwargs):
    raise Captured(request)


def session(token=None):
    s = botocore.session.get_session()
    s.set_credentials(ACCESS_KEY, SECRET_KEY, token)
    return s


def client(service, region="us-west-2", token=None):
    c = session(token).create_client(service, region_name=region, endpoint_url=ENDPOINT)
    c.meta.events.register("before-send", capture)
    return c


def call(c, operation, **params):
    try:
        getattr(c, operation)(**params)
    except Captured as captured:
        return captured.request
    raise AssertionError("the request was not captured")


def headers_of(request, url):
    headers = [[name, value.decode() if isinstance(value, bytes) else value] for name, value in request.headers.items()]
    # Headers that are not signed but differ between runs are pinned, so that regenerating changes nothing.
    pinned = {"user-agent": "Botocore/" + botocore.__version__, "amz-sdk-invocation-id": "fixture"}
    headers = [[name, pinned.get(name.lower(), value)] for name, value in headers]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ["Host", urlsplit(url).netloc])
    return headers


def target_of(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def body_of(request):
    body = request.body
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode()
    if hasattr(body, "read"):
        return body.read().decode()
    return body


def write(name, request, region, service, signed_headers, presigned=False, token=None, description=""):
    fixture = {
        "description": description,
        "method": request.method,
        "target": target_of(request.url),
        "headers": headers_of(request, request.url),
        "body": body_of(request),
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "security_token": token,
        "signed_at": SIGNED_AT.strftime("%Y%m%dT%H%M%SZ"),
        "region": region,
        "service": service,
        "signed_headers": signed_headers,
        "presigned": presigned,
    }
    (OUT / f"{name}.json").write_text(json.dumps(fixture, indent=2, sort_keys=True) + "\n")


def signed_headers_of(request):
    auth = request.headers["Authorization"]
    auth = auth.decode() if isinstance(auth, bytes) else auth
    return auth.split("SignedHeaders=")[1].split(",")[0].split(";")


def main():
    OUT.mkdir(exist_ok=True)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=SIGNED_AT.replace(tzinfo=None)):
        r = call(client("sts", "us-east-1"), "get_caller_identity")
        write("query_post_sts", r, "us-east-1", "sts", signed_headers_of(r), description="query protocol POST form body")

        r = call(
            client("iam", "us-east-1"),
            "create_role",
            RoleName="eks-node role",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}',
            Description="nodes & pods ~ 100% (test)",
            Tags=[{"Key": "team", "Value": "a b"}, {"Key": "cost/center", "Value": "42"}],
        )
        write("query_post_iam_encoded", r, "us-east-1", "iam", signed_headers_of(r), description="form body with escapes")

        r = call(client("logs"), "describe_log_groups", logGroupNamePrefix="/aws/eks/demo", limit=5)
        write("json_post_logs", r, "us-west-2", "logs", signed_headers_of(r), description="json 1.1 with X-Amz-Target")

        r = call(
            client("eks"),
            "list_tags_for_resource",
            resourceArn="arn:aws:eks:us-west-2:123456789012:cluster/demo",
        )
        write("rest_json_get_arn_path", r, "us-west-2", "eks", signed_headers_of(r), description="ARN in the path")

        r = call(client("eks"), "list_clusters", maxResults=10, nextToken="a b/c+d=e~f")
        write("rest_json_get_query", r, "us-west-2", "eks", signed_headers_of(r), description="query parameters")

        r = call(
            client("eks"),
            "create_cluster",
            name="demo",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
            clientRequestToken="fixture-token",
        )
        write("rest_json_post_eks", r, "us-west-2", "eks", signed_headers_of(r), description="rest-json POST body")

        r = call(client("sts", "eu-central-1", token=SESSION_TOKEN), "get_caller_identity")
        write(
            "query_post_session_token",
            r,
            "eu-central-1",
            "sts",
            signed_headers_of(r),
            token=SESSION_TOKEN,
            description="temporary credentials",
        )

        r = call(
            client("ec2"),
            "describe_instances",
            Filters=[{"Name": "tag:eks:cluster-name", "Values": ["demo", "other"]}],
            MaxResults=5,
        )
        write("ec2_post_filters", r, "us-west-2", "ec2", signed_headers_of(r), description="ec2 protocol lists")

        credentials = Credentials(ACCESS_KEY, SECRET_KEY)
        request = AWSRequest(
            method="PUT",
            url=ENDPOINT + "/a//b/./c/../d%20e/%7Efile:1/",
            data=b"payload",
            headers={"X-Amz-Meta-Note": "  several   spaces\there  ", "Content-Type": "text/plain"},
        )
        botocore.auth.SigV4Auth(credentials, "eks", "us-west-2").add_auth(request)
        write(
            "path_dot_segments_spaces",
            request,
            "us-west-2",
            "eks",
            signed_headers_of(request),
            description="double slashes, dot segments, an encoded space, runs of spaces in a header",
        )

        request = AWSRequest(
            method="POST",
            url=ENDPOINT + "/",
            data=b"Action=ListRoles&Version=2010-05-08",
            headers={"Date": "whatever", "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        botocore.auth.SigV4Auth(credentials, "iam", "us-east-1").add_auth(request)
        write(
            "date_header",
            request,
            "us-east-1",
            "iam",
            signed_headers_of(request),
            description="the Date header instead of X-Amz-Date",
        )

        request = AWSRequest(method="POST", url="https://127.0.0.1:4566/clusters", data=b'{"name":"x"}')
        request.context["payload_signing_enabled"] = False
        botocore.auth.SigV4Auth(credentials, "eks", "us-west-2").add_auth(request)
        write(
            "unsigned_payload",
            request,
            "us-west-2",
            "eks",
            signed_headers_of(request),
            description="X-Amz-Content-SHA256: UNSIGNED-PAYLOAD",
        )

        for name, token in [("presigned_eks_token", None), ("presigned_eks_token_session", SESSION_TOKEN)]:
            from awscli.customizations.eks.get_token import STSClientFactory, TokenGenerator

            factory = STSClientFactory(session(token))
            sts = factory.get_sts_client(region_name="us-west-2")
            url = TokenGenerator(sts)._get_presigned_url("demo-cluster")
            query = dict(pair.split("=", 1) for pair in urlsplit(url).query.split("&"))
            request = AWSRequest(method="GET", url=url, headers={"x-k8s-aws-id": "demo-cluster"})
            write(
                name,
                request,
                "us-west-2",
                "sts",
                query["X-Amz-SignedHeaders"].split("%3B"),
                presigned=True,
                token=token,
                description="aws eks get-token: presigned STS GetCallerIdentity",
            )


if __name__ == "__main__":
    main()
