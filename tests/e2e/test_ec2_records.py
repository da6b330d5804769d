"""EC2 keeps one record per resource: with a cluster of several node groups and pods running, a tag on the VPC
stores a few hundred bytes (read back from the SQLite log), no record grows with the region, and DescribeInstances
pages through every instance with its addresses. `bench/scale.py` measures the same at 2,000 nodes."""

import contextlib
import json
import sqlite3

from conftest import NodesCluster, boto, eks_prereqs_for, run_ekslite, wait_until

NODEGROUPS = 5
NODES_PER_GROUP = 6
PODS_PER_NODE = 3
TAG_LIMIT_BYTES = 4096
RECORD_LIMIT_BYTES = 64 * 1024


def log_rows_after(database, revision: int) -> list[tuple[str, int]]:
    """(key, bytes of key and value) of every write to the SQLite log after `revision`."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute("SELECT key, LENGTH(key) + LENGTH(value) FROM log WHERE revision > ?",
                                  (revision,)).fetchall()


def log_revision(database) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute("SELECT COALESCE(MAX(revision), 0) FROM log").fetchone()[0]


def largest_value(database) -> tuple[int, str]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute("SELECT LENGTH(value), key FROM log ORDER BY LENGTH(value) DESC LIMIT 1").fetchone()


def test_a_vpc_tag_stores_only_the_vpc_and_instances_page_with_their_addresses(aws, tmp_path):
    server = aws.server
    prereqs = eks_prereqs_for(server)
    eks, ec2 = boto(server, "eks"), boto(server, "ec2")
    eks.create_cluster(name="wide", roleArn=prereqs.cluster_role, resourcesVpcConfig=prereqs.resources)
    eks.get_waiter("cluster_active").wait(name="wide", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    for group in range(NODEGROUPS):
        eks.create_nodegroup(clusterName="wide", nodegroupName=f"group-{group}", nodeRole=prereqs.node_role,
                             subnets=list(prereqs.subnets), instanceTypes=["t3.medium"],
                             scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": NODES_PER_GROUP})
    config = run_ekslite("kubeconfig", "wide.us-east-1.000000000000", "--endpoint", server.url)
    assert config.returncode == 0, config.stderr
    kubeconfig = tmp_path / "wide.kubeconfig"
    kubeconfig.write_text(config.stdout)
    cluster = NodesCluster(server, "wide.us-east-1.000000000000", kubeconfig, "wide", prereqs.subnets)
    nodes = NODEGROUPS * NODES_PER_GROUP
    wait_until(lambda: len(cluster.ready_nodes()) == nodes, f"{nodes} Ready nodes")
    pods = nodes * PODS_PER_NODE
    cluster.kubectl("create", "deployment", "web", "--image=nginx", f"--replicas={pods}")

    def all_ready():
        status = json.loads(cluster.kubectl("get", "deployment", "web", "-o", "json").stdout).get("status", {})
        return status.get("readyReplicas") == pods

    wait_until(all_ready, f"{pods} Ready pods")

    # One tag on the VPC writes the VPC's record and nothing else of EC2: a few hundred bytes, not the region.
    database = server.data_dir / "ekslite.db"
    before = log_revision(database)
    aws("ec2", "create-tags", "--resources", prereqs.vpc, "--tags", "Key=team,Value=platform")
    written = [(key, size) for key, size in log_rows_after(database, before) if "/ec2/" in key]
    assert [key for key, _ in written] == [f"/aws/000000000000/us-east-1/ec2/vpc/{prereqs.vpc}"], written
    assert sum(size for _, size in written) < TAG_LIMIT_BYTES, written
    tags = aws("ec2", "describe-vpcs", "--vpc-ids", prereqs.vpc)["Vpcs"][0]["Tags"]
    assert {"Key": "team", "Value": "platform"} in tags

    # DescribeInstances pages through every instance, each once, each with its private address.
    seen, pages, token = [], 0, None
    while True:
        page = ec2.describe_instances(MaxResults=7, **({"NextToken": token} if token else {}))
        instances = [i for r in page["Reservations"] for i in r["Instances"]]
        assert len(instances) <= 7
        seen += [(i["InstanceId"], i.get("PrivateIpAddress")) for i in instances]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == nodes and len({instance for instance, _ in seen}) == nodes, seen
    assert all(address for _, address in seen), seen
    assert pages >= nodes // 7
    # The CLI pages on its own and finds the same.
    listed = aws("ec2", "describe-instances", "--page-size", "5", "--query",
                 "Reservations[].Instances[].InstanceId")
    assert sorted(listed) == sorted(instance for instance, _ in seen)

    # No record in the store grows with the region.
    size, key = largest_value(database)
    assert size < RECORD_LIMIT_BYTES, (size, key)
