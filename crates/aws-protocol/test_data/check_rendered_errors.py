"""Feeds every rendered error in test_data/rendered/ to botocore's own response parser for its service and
protocol, and checks that botocore reads the expected error code, message and request id.

Run with a Python that has botocore installed, after `UPDATE_EXPECT=1 cargo test -p aws-protocol`:

    python crates/aws-protocol/test_data/check_rendered_errors.py
"""

import json
import pathlib
import sys

import botocore.parsers
import botocore.session
from botocore.awsrequest import HeadersDict

RENDERED = pathlib.Path(__file__).parent / "rendered"


def main():
    session = botocore.session.get_session()
    failures = 0
    paths = sorted(RENDERED.glob("*.json"))
    for path in paths:
        case = json.loads(path.read_text())
        model = session.get_service_model(case["service"])
        assert model.protocol == case["protocol"], f"{path.name}: model protocol is {model.protocol}"
        operation = model.operation_model(model.operation_names[0])
        parser = botocore.parsers.create_parser(case["protocol"])
        response = {
            "status_code": case["status"],
            "headers": HeadersDict(case["headers"]),
            "body": case["body"].encode(),
        }
        parsed = parser.parse(response, operation.output_shape)
        error = parsed.get("Error", {})
        got = (error.get("Code"), error.get("Message"), parsed["ResponseMetadata"].get("RequestId"))
        want = (case["expect"]["code"], case["expect"]["message"], case["expect"]["request_id"])
        # XML 1.0 cannot carry most control characters; the writer replaces them, and a CR survives as &#13;.
        want = (want[0], "".join("\ufffd" if ord(c) < 32 and c not in "\t\n\r" else c for c in want[1]), want[2])
        status = "ok" if got == want else "FAIL"
        failures += got != want
        print(f"{status} {path.name}: {got}" + ("" if got == want else f" != {want}"))
    print(f"{len(paths) - failures} of {len(paths)} rendered errors parse as expected")
    sys.exit(1 if failures or not paths else 0)


if __name__ == "__main__":
    main()
