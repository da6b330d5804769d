"""CustomResourceDefinitions through kubectl: a CRD serves its resource at once (discovery, OpenAPI, tables with
its printer columns), custom objects are pruned, defaulted and validated by its schema, status and scale
subresources work, strategic merge patches are refused as upstream refuses them, and deleting the CRD deletes its
objects."""

import json

import yaml

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"],
                  "categories": ["all"]},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {"type": "object", "required": ["size"], "properties": {
                        "size": {"type": "integer", "minimum": 1, "description": "How big the widget is."},
                        "colour": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                        "replicas": {"type": "integer"},
                    }},
                    "status": {"type": "object", "properties": {
                        "replicas": {"type": "integer"},
                        "conditions": {"type": "array", "items": {"type": "object", "properties": {
                            "type": {"type": "string"}, "status": {"type": "string"}}}},
                    }},
                },
            }},
            "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                      "statusReplicasPath": ".status.replicas"}},
            "additionalPrinterColumns": [
                {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                {"name": "Colour", "type": "string", "jsonPath": ".spec.colour"},
                {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            ],
        }],
    },
}


def widget(name="small", **spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": {"size": 1, **spec}}


def apply(cluster, manifest, *args, check=True):
    return cluster.kubectl("apply", *args, "-f", "-", input=yaml.safe_dump(manifest), check=check)


def test_a_crd_serves_its_resource_with_its_schema_and_columns(cluster):
    apply(cluster, CRD)
    cluster.kubectl("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=20s")
    resources = cluster.kubectl("api-resources", "--api-group=example.com", "-o", "name").stdout.split()
    assert resources == ["widgets.example.com"]

    apply(cluster, widget("small", size=2))
    live = json.loads(cluster.kubectl("get", "wd", "small", "-o", "json").stdout)
    assert live["spec"] == {"size": 2, "colour": "red"}, "the schema's default is filled in"
    assert live["metadata"]["generation"] == 1

    table = cluster.kubectl("get", "widgets").stdout.splitlines()
    assert table[0].split() == ["NAME", "SIZE", "COLOUR", "READY", "AGE"]
    assert table[1].split()[:3] == ["small", "2", "red"]
    assert "widget.example.com/small" in cluster.kubectl("get", "all", "-o", "name").stdout.split()

    explained = cluster.kubectl("explain", "widgets.spec.size").stdout
    assert "integer" in explained and "How big the widget is." in explained

    # Status and scale subresources.
    status = json.dumps({"status": {"conditions": [{"type": "Ready", "status": "True"}], "replicas": 1}})
    cluster.kubectl("patch", "widget", "small", "--subresource=status", "--type=merge", "-p", status)
    assert cluster.kubectl("get", "widgets").stdout.splitlines()[1].split()[3] == "True"
    cluster.kubectl("scale", "widget/small", "--replicas=3")
    assert json.loads(cluster.kubectl("get", "wd", "small", "-o", "json").stdout)["spec"]["replicas"] == 3

    # Merge patches and server-side apply work; strategic merge is refused as upstream refuses it.
    cluster.kubectl("patch", "widget", "small", "--type=merge", "-p", '{"spec": {"colour": "blue"}}')
    refused = cluster.kubectl("patch", "widget", "small", "--type=strategic", "-p", '{"spec": {"size": 4}}',
                              check=False)
    assert refused.returncode != 0 and "unknown format" in refused.stderr, refused.stderr
    # The client-side apply above owns spec.size, so taking it over needs --force-conflicts, as upstream.
    conflict = apply(cluster, widget("small", size=5), "--server-side", check=False)
    assert conflict.returncode != 0 and "conflict" in conflict.stderr
    apply(cluster, widget("small", size=5), "--server-side", "--force-conflicts")
    live = json.loads(cluster.kubectl("get", "wd", "small", "-o", "json").stdout)
    assert live["spec"]["size"] == 5 and live["spec"]["colour"] == "blue"


def test_custom_objects_are_pruned_and_validated(cluster):
    apply(cluster, CRD)
    strict = apply(cluster, widget("odd", bogus=True), check=False)
    assert strict.returncode != 0 and 'unknown field "spec.bogus"' in strict.stderr, strict.stderr
    apply(cluster, widget("odd", bogus=True), "--validate=false")
    assert "bogus" not in json.loads(cluster.kubectl("get", "wd", "odd", "-o", "json").stdout)["spec"], "pruned"

    cases = [
        (widget("zero", size=0), "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"),
        (widget("green", colour="green"), 'spec.colour: Unsupported value: "green": supported values: "red", "blue"'),
        (widget("text", size="big"), 'spec.size: Invalid value: "big": spec.size in body must be of type integer'),
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "empty"}, "spec": {}},
         "spec.size: Required value"),
        (widget("Bad_Name"), "metadata.name: Invalid value"),
    ]
    for manifest, message in cases:
        refused = apply(cluster, manifest, check=False)
        assert refused.returncode != 0 and message in refused.stderr, refused.stderr
        assert cluster.kubectl("get", "wd", manifest["metadata"]["name"], check=False).returncode != 0

    bad_crd = json.loads(json.dumps(CRD))
    bad_crd["metadata"]["name"] = "gadgets.example.com"
    refused = apply(cluster, bad_crd, check=False)
    assert refused.returncode != 0 and 'must be spec.names.plural+"."+spec.group' in refused.stderr


def test_deleting_a_crd_deletes_its_objects(cluster):
    apply(cluster, CRD)
    cluster.kubectl("create", "namespace", "team")
    apply(cluster, widget("one"))
    cluster.kubectl("-n", "team", "apply", "-f", "-", input=yaml.safe_dump(widget("two")))
    assert len(cluster.kubectl("get", "wd", "-A", "-o", "name").stdout.split()) == 2
    cluster.kubectl("delete", "crd", "widgets.example.com")
    gone = cluster.kubectl("get", "widgets", check=False)
    # kubectl's discovery cache may still name the resource; the server no longer serves it either way.
    assert gone.returncode != 0
    assert "doesn't have a resource type" in gone.stderr or "could not find the requested resource" in gone.stderr
    assert cluster.kubectl("get", "--raw", "/apis/example.com/v1", check=False).returncode != 0
    apply(cluster, CRD)
    assert cluster.kubectl("get", "wd", "-A", "-o", "name").stdout == "", "the objects went with the CRD"


def test_versions_are_one_object_with_the_none_conversion(cluster):
    crd = json.loads(json.dumps(CRD))
    v2 = json.loads(json.dumps(crd["spec"]["versions"][0]))
    v2["name"], v2["storage"] = "v2", False
    crd["spec"]["versions"].append(v2)
    apply(cluster, crd)
    apply(cluster, widget("both", size=3))
    group = json.loads(cluster.kubectl("get", "--raw", "/apis/example.com").stdout)
    assert group["preferredVersion"]["version"] == "v2", "the higher GA version is preferred"
    as_v2 = json.loads(cluster.kubectl("get", "--raw", "/apis/example.com/v2/namespaces/default/widgets/both").stdout)
    assert as_v2["apiVersion"] == "example.com/v2" and as_v2["spec"]["size"] == 3
    listed = json.loads(cluster.kubectl("get", "--raw", "/apis/example.com/v1/namespaces/default/widgets").stdout)
    assert [item["apiVersion"] for item in listed["items"]] == ["example.com/v1"]
    assert json.loads(cluster.kubectl("get", "widget", "both", "-o", "json").stdout)["apiVersion"] == "example.com/v2"
