"""EC2 network interfaces through boto3 and the aws CLI, on an EKS cluster whose node group runs three t3.medium
nodes: each node's primary interface, found by `attachment.instance-id` and shown by DescribeInstances; the VPC
CNI's interfaces (`aws-K8S-<instance id>`, its tags) once a node's pods need more addresses than its primary
interface holds; an interface made, attached, given and relieved of addresses, detached and deleted by hand; a
subnet with an interface refusing deletion; terminating an instance taking its interfaces; paging; and bad input
refused with EC2's error codes and HTTP 400. Network ACLs: every VPC's default ACL, gone with its VPC."""

import json
import subprocess
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from conftest import DEADLINE_SECONDS, aws_env, boto, wait_until

CNI_CLUSTER_TAG = "cluster.k8s.amazonaws.com/name"
CNI_INSTANCE_TAG = "node.k8s.amazonaws.com/instance_id"


def running_instances(ec2):
    reservations = ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
    return {i["InstanceId"]: i for r in reservations for i in r["Instances"]}


def interfaces_of(ec2, instance_id):
    found = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["NetworkInterfaces"]
    return sorted(found, key=lambda eni: eni["Attachment"]["DeviceIndex"])


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def cli(server, tmp_path, *args):
    """The aws CLI's exit code and stderr."""
    result = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                            env=aws_env(server, tmp_path), timeout=DEADLINE_SECONDS)
    return result.returncode, result.stdout, result.stderr


def test_nodes_have_primary_interfaces_and_the_cni_adds_its_own_for_pods(nodes_cluster, tmp_path):
    ec2 = nodes_cluster.ec2
    instances = running_instances(ec2)
    assert len(instances) == 3
    for instance_id, instance in instances.items():
        (primary,) = interfaces_of(ec2, instance_id)
        assert primary["NetworkInterfaceId"].startswith("eni-")
        assert primary["Status"] == "in-use" and primary["Attachment"]["DeviceIndex"] == 0
        assert primary["Attachment"]["DeleteOnTermination"] is True
        assert primary["PrivateIpAddress"] == instance["PrivateIpAddress"]
        assert primary["SubnetId"] == instance["SubnetId"] and primary["VpcId"] == instance["VpcId"]
        shown = [eni["NetworkInterfaceId"] for eni in instance["NetworkInterfaces"]]
        assert shown == [primary["NetworkInterfaceId"]], "DescribeInstances shows the same interface"

    # 21 pods, about 7 a node: a t3.medium's primary interface holds 5 pod addresses, so the CNI makes more.
    nodes_cluster.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=21")

    def pod_ips():
        pods = json.loads(nodes_cluster.kubectl("get", "pods", "-l", "app=web", "-o", "json").stdout)["items"]
        placed = [(p["spec"].get("nodeName"), p["status"].get("podIP")) for p in pods]
        return placed if len(placed) == 21 and all(ip for _, ip in placed) else None
    placed = wait_until(pod_ips, "21 pods with addresses")

    # The CNI's interfaces, found by its tag, as the aws CLI lists them.
    code, out, err = cli(nodes_cluster.server, tmp_path, "ec2", "describe-network-interfaces", "--filters",
                         f"Name=tag:{CNI_CLUSTER_TAG},Values=demo")
    assert code == 0, err
    made = json.loads(out)["NetworkInterfaces"]
    assert made, "the CNI made interfaces"
    node_of_instance = {i["InstanceId"]: i["PrivateDnsName"] for i in running_instances(ec2).values()}
    per_node = Counter(node for node, _ in placed)
    for eni in made:
        tags = {t["Key"]: t["Value"] for t in eni["TagSet"]}
        owner = eni["Attachment"]["InstanceId"]
        assert eni["Description"] == f"aws-K8S-{owner}"
        assert tags[CNI_INSTANCE_TAG] == owner
        assert eni["Attachment"]["DeviceIndex"] >= 1 and eni["Attachment"]["DeleteOnTermination"] is True
        assert per_node[node_of_instance[owner]] > 5, "only a node whose primary interface is full gets one"
    by_description = ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": ["aws-K8S-*"]}])["NetworkInterfaces"]
    assert sorted(e["NetworkInterfaceId"] for e in by_description) == sorted(e["NetworkInterfaceId"] for e in made)

    # Every pod's address is a secondary address of its node's interfaces, and DescribeInstances agrees.
    instances = running_instances(ec2)
    for instance_id, instance in instances.items():
        node = instance["PrivateDnsName"]
        secondary = {a["PrivateIpAddress"] for eni in interfaces_of(ec2, instance_id)
                     for a in eni["PrivateIpAddresses"] if not a["Primary"]}
        shown = {a["PrivateIpAddress"] for eni in instance["NetworkInterfaces"]
                 for a in eni["PrivateIpAddresses"] if not a["Primary"]}
        assert shown == secondary
        assert {ip for n, ip in placed if n == node} <= secondary

    # Paging through every interface gives what one call gives.
    whole = [e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces()["NetworkInterfaces"]]
    paged, token = [], None
    while True:
        page = ec2.describe_network_interfaces(MaxResults=5, **({"NextToken": token} if token else {}))
        paged += [e["NetworkInterfaceId"] for e in page["NetworkInterfaces"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paged == whole and len(whole) >= 3 + len(made)

    # Terminating an instance takes its interfaces (all DeleteOnTermination) with it.
    victim = next(iter(instances))
    gone = [e["NetworkInterfaceId"] for e in interfaces_of(ec2, victim)]
    ec2.terminate_instances(InstanceIds=[victim])
    assert interfaces_of(ec2, victim) == []
    assert error_of(ec2.describe_network_interfaces, NetworkInterfaceIds=gone[:1]) == (
        "InvalidNetworkInterfaceID.NotFound", 400)


def test_an_interface_by_hand_and_a_subnet_that_has_one(nodes_cluster):
    ec2 = nodes_cluster.ec2
    instance_id, instance = next(iter(running_instances(ec2).items()))
    subnet = instance["SubnetId"]
    group = instance["SecurityGroups"][0]["GroupId"] if instance["SecurityGroups"] else None
    created = ec2.create_network_interface(
        SubnetId=subnet, Description="by hand", SecondaryPrivateIpAddressCount=1,
        **({"Groups": [group]} if group else {}),
        TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "team", "Value": "net"}]}],
    )["NetworkInterface"]
    eni = created["NetworkInterfaceId"]
    assert created["Status"] == "available" and len(created["PrivateIpAddresses"]) == 2
    assert ec2.describe_network_interfaces(Filters=[{"Name": "tag:team", "Values": ["net"]}])[
        "NetworkInterfaces"][0]["NetworkInterfaceId"] == eni

    attachment = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=instance_id, DeviceIndex=1)[
        "AttachmentId"]
    described = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert described["Status"] == "in-use" and described["Attachment"]["AttachmentId"] == attachment
    assert error_of(ec2.delete_network_interface, NetworkInterfaceId=eni) == ("InvalidNetworkInterface.InUse", 400)
    shown = running_instances(ec2)[instance_id]["NetworkInterfaces"]
    assert eni in [e["NetworkInterfaceId"] for e in shown]

    assigned = ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=2)[
        "AssignedPrivateIpAddresses"]
    addresses = [a["PrivateIpAddress"] for a in assigned]
    assert len(addresses) == 2
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=addresses[:1])
    held = {a["PrivateIpAddress"] for a in
            ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]["PrivateIpAddresses"]}
    assert addresses[1] in held and addresses[0] not in held
    # A t3.medium's interface holds 6 addresses.
    assert error_of(ec2.assign_private_ip_addresses, NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=4) == (
        "PrivateIpAddressLimitExceeded", 400)

    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Description={"Value": "renamed"})
    assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="description")[
        "Description"]["Value"] == "renamed"

    ec2.detach_network_interface(AttachmentId=attachment)
    assert ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]["Status"] == "available"
    primary_attachment = interfaces_of(ec2, instance_id)[0]["Attachment"]["AttachmentId"]
    assert error_of(ec2.detach_network_interface, AttachmentId=primary_attachment) == ("OperationNotPermitted", 400)

    # A node's subnet, and a subnet with only this interface in it, refuse deletion.
    assert error_of(ec2.delete_subnet, SubnetId=subnet) == ("DependencyViolation", 400)
    vpc = instance["VpcId"]
    spare = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.100.0/24",
                              AvailabilityZone=instance["Placement"]["AvailabilityZone"])["Subnet"]["SubnetId"]
    lonely = ec2.create_network_interface(SubnetId=spare)["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ClientError) as caught:
        ec2.delete_subnet(SubnetId=spare)
    assert caught.value.response["Error"]["Code"] == "DependencyViolation"
    assert caught.value.response["Error"]["Message"] == f"The subnet '{spare}' has dependencies and cannot be deleted."
    ec2.delete_network_interface(NetworkInterfaceId=lonely)
    ec2.delete_subnet(SubnetId=spare)

    ec2.delete_network_interface(NetworkInterfaceId=eni)
    assert error_of(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni]) == (
        "InvalidNetworkInterfaceID.NotFound", 400)


def test_bad_input_gets_ec2_s_errors(aws, eks_prereqs, tmp_path):
    ec2 = boto(aws.server, "ec2")
    subnet = eks_prereqs.subnets[0]
    cases = [
        (ec2.delete_network_interface, {"NetworkInterfaceId": "garbage"}, "InvalidNetworkInterfaceId.Malformed"),
        (ec2.delete_network_interface, {"NetworkInterfaceId": "eni-\x00"}, "InvalidNetworkInterfaceId.Malformed"),
        (ec2.delete_network_interface, {"NetworkInterfaceId": "eni-0123456789abcdef0"},
         "InvalidNetworkInterfaceID.NotFound"),
        (ec2.describe_network_interfaces, {"NetworkInterfaceIds": ["eni-nope"]}, "InvalidNetworkInterfaceId.Malformed"),
        (ec2.describe_network_interfaces, {"Filters": [{"Name": "colour", "Values": ["red"]}]}, "InvalidFilter"),
        (ec2.describe_network_interfaces, {"MaxResults": 5, "NetworkInterfaceIds": ["eni-0123456789abcdef0"]},
         "InvalidParameterCombination"),
        (ec2.describe_network_interfaces, {"NextToken": "!!"}, "InvalidParameterValue"),
        (ec2.create_network_interface, {"SubnetId": subnet, "Description": "d" * 256}, "InvalidParameterValue"),
        (ec2.create_network_interface, {"SubnetId": subnet, "Description": "nul\x00byte"}, "InvalidParameterValue"),
        (ec2.create_network_interface, {"SubnetId": "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound"),
        (ec2.create_network_interface, {"SubnetId": subnet, "TagSpecifications": [{
            "ResourceType": "network-interface", "Tags": [{"Key": f"k{n}", "Value": "v"} for n in range(51)]}]},
         "TagLimitExceeded"),
        (ec2.attach_network_interface, {"NetworkInterfaceId": "eni-0123456789abcdef0", "InstanceId": "i-nope",
                                        "DeviceIndex": 1}, "InvalidNetworkInterfaceID.NotFound"),
        (ec2.detach_network_interface, {"AttachmentId": "garbage"}, "InvalidNetworkInterfaceAttachmentId.Malformed"),
        (ec2.detach_network_interface, {"AttachmentId": "eni-attach-0123456789abcdef0"},
         "InvalidAttachmentID.NotFound"),
        (ec2.describe_network_acls, {"NetworkAclIds": ["acl-\x00"]}, "InvalidNetworkAclId.Malformed"),
        (ec2.delete_network_acl, {"NetworkAclId": "acl-0123456789abcdef0"}, "InvalidNetworkAclID.NotFound"),
    ]
    for call, kwargs, code in cases:
        assert error_of(call, **kwargs) == (code, 400), kwargs
    # The aws CLI prints them readably.
    code, _, err = cli(aws.server, tmp_path, "ec2", "delete-network-interface", "--network-interface-id", "garbage")
    assert code != 0 and "(InvalidNetworkInterfaceId.Malformed)" in err, err
    code, _, err = cli(aws.server, tmp_path, "ec2", "create-network-interface", "--subnet-id", subnet,
                       "--description", "x" * 300)
    assert code != 0 and "(InvalidParameterValue)" in err, err


def test_every_vpc_has_a_default_acl_that_goes_with_it(aws):
    ec2 = boto(aws.server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    (acl,) = acls
    assert [a["SubnetId"] for a in acl["Associations"]] == [subnet]
    assert sorted((e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in acl["Entries"]) == [
        (100, False, "allow"), (100, True, "allow"), (32767, False, "deny"), (32767, True, "deny")]
    own = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    association = acl["Associations"][0]["NetworkAclAssociationId"]
    moved = ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=own)["NewAssociationId"]
    assert error_of(ec2.delete_network_acl, NetworkAclId=own) == ("DependencyViolation", 400)
    ec2.replace_network_acl_association(AssociationId=moved, NetworkAclId=acl["NetworkAclId"])
    ec2.delete_network_acl(NetworkAclId=own)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
    assert error_of(ec2.describe_network_acls, NetworkAclIds=[acl["NetworkAclId"]]) == (
        "InvalidNetworkAclID.NotFound", 400)


def test_a_security_group_in_use_is_not_deleted(aws):
    ec2 = boto(aws.server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    web, other, peer = (ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
                        for name in ("web", "other", "peer"))

    def refused(group):
        with pytest.raises(ClientError) as caught:
            ec2.delete_security_group(GroupId=group)
        error = caught.value.response["Error"]
        assert (error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
            "DependencyViolation", f"resource {group} has a dependent object", 400)

    # An interface's group, until the interface moves to another group or goes.
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[web])["NetworkInterface"]["NetworkInterfaceId"]
    refused(web)
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=[other])
    ec2.delete_security_group(GroupId=web)
    refused(other)
    ec2.delete_network_interface(NetworkInterfaceId=eni)

    # A group another group's rule names as its source, until the rule is revoked.
    permission = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": other}]}
    ec2.authorize_security_group_ingress(GroupId=peer, IpPermissions=[permission])
    refused(other)
    ec2.revoke_security_group_ingress(GroupId=peer, IpPermissions=[permission])
    for group in (other, peer):
        ec2.delete_security_group(GroupId=group)
    assert {g["GroupName"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]} == {"default"}
