"""Elastic Load Balancing v2 with the aws CLI, boto3 and Terraform: an Application Load Balancer in two subnets
(each holding a requester-managed interface, so the subnet is not deleted under it), a target group with `ip`
targets and their health, a listener and a rule, tags, attributes and deletion protection, deletes, and ELBv2's
errors for bad input; and a Classic load balancer with listeners, a registered instance and its health, moved
between security groups, subnets and zones with boto3 and Terraform."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import boto, eks_prereqs_for, wait_until
import test_terraform


def error_of(call, *args, **kwargs):
    """The code and HTTP status of the ClientError a boto3 call raises."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def health_states(elbv2, group):
    """`{target id: (state, reason)}` of a target group now."""
    described = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in described}


def test_an_alb_with_a_target_group_listener_and_rule_with_the_cli_and_boto3(aws):
    prereqs = eks_prereqs_for(aws.server)
    ec2 = boto(aws.server, "ec2")
    elbv2 = boto(aws.server, "elbv2")
    group_id = ec2.create_security_group(GroupName="web", Description="web", VpcId=prereqs.vpc)["GroupId"]
    [lb] = aws("elbv2", "create-load-balancer", "--name", "web", "--subnets", *prereqs.subnets[:2],
               "--security-groups", group_id, "--tags", "Key=team,Value=shop")["LoadBalancers"]
    arn = lb["LoadBalancerArn"]
    assert arn.startswith("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/")
    assert (lb["Type"], lb["Scheme"], lb["VpcId"], lb["SecurityGroups"]) == (
        "application", "internet-facing", prereqs.vpc, [group_id])
    assert lb["DNSName"].startswith("web-") and lb["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == sorted(prereqs.subnets[:2])
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[arn], WaiterConfig={"Delay": 1})
    [active] = aws("elbv2", "describe-load-balancers", "--names", "web")["LoadBalancers"]
    assert active["State"]["Code"] == "active"

    # The load balancer holds an interface in each subnet: the subnet and the group are not deleted under it.
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB app/web/{arn.rsplit('/', 1)[1]}"]}])["NetworkInterfaces"]
    assert len(enis) == 2 and all(e["RequesterManaged"] and e["InterfaceType"] == "interface" for e in enis)
    refused = aws("ec2", "delete-subnet", "--subnet-id", prereqs.subnets[0], check=False)
    assert refused.returncode != 0 and "DependencyViolation" in refused.stderr, refused.stderr
    # Moved to other subnets, it lets the first one go.
    moved = aws("elbv2", "set-subnets", "--load-balancer-arn", arn, "--subnets", *prereqs.subnets[1:3])
    assert sorted(z["SubnetId"] for z in moved["AvailabilityZones"]) == sorted(prereqs.subnets[1:3])
    aws("ec2", "delete-subnet", "--subnet-id", prereqs.subnets[0])

    [group] = aws("elbv2", "create-target-group", "--name", "pods", "--protocol", "HTTP", "--port", "8080",
                  "--vpc-id", prereqs.vpc, "--target-type", "ip", "--health-check-path", "/healthz")["TargetGroups"]
    tg = group["TargetGroupArn"]
    assert (group["HealthCheckPath"], group["Matcher"], group["HealthCheckIntervalSeconds"]) == (
        "/healthz", {"HttpCode": "200"}, 30)
    aws("elbv2", "register-targets", "--target-group-arn", tg, "--targets", "Id=10.0.0.10", "Id=10.0.1.10,Port=9090")
    assert health_states(elbv2, tg) == {"10.0.0.10": ("unused", "Target.NotInUse"),
                                        "10.0.1.10": ("unused", "Target.NotInUse")}

    [listener] = aws("elbv2", "create-listener", "--load-balancer-arn", arn, "--protocol", "HTTP", "--port", "80",
                     "--default-actions", f"Type=forward,TargetGroupArn={tg}")["Listeners"]
    [rule] = aws("elbv2", "create-rule", "--listener-arn", listener["ListenerArn"], "--priority", "10",
                 "--conditions", "Field=path-pattern,Values=/api/*",
                 "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain}")[
        "Rules"]
    rules = aws("elbv2", "describe-rules", "--listener-arn", listener["ListenerArn"])["Rules"]
    assert [(r["Priority"], r["IsDefault"]) for r in rules] == [("10", False), ("default", True)]
    assert rules[0]["Conditions"][0]["PathPatternConfig"]["Values"] == ["/api/*"]
    assert rules[1]["Actions"][0]["TargetGroupArn"] == tg
    [described] = elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
    assert described["LoadBalancerArns"] == [arn]

    # Targets start initial, then read healthy: nothing probes them.
    assert set(health_states(elbv2, tg).values()) == {("initial", "Elb.RegistrationInProgress")}
    wait_until(lambda: set(health_states(elbv2, tg).values()) == {("healthy", None)}, "targets healthy", 30)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.10"}])
    assert health_states(elbv2, tg)["10.0.0.10"] == ("draining", "Target.DeregistrationInProgress")
    wait_until(lambda: "10.0.0.10" not in health_states(elbv2, tg), "the target drained", 30)

    # Tags and attributes.
    aws("elbv2", "add-tags", "--resource-arns", arn, tg, rule["RuleArn"], "--tags", "Key=env,Value=test")
    aws("elbv2", "remove-tags", "--resource-arns", arn, "--tag-keys", "team")
    tags = {d["ResourceArn"]: d["Tags"] for d in
            aws("elbv2", "describe-tags", "--resource-arns", arn, tg, rule["RuleArn"])["TagDescriptions"]}
    assert tags == {arn: [{"Key": "env", "Value": "test"}], tg: [{"Key": "env", "Value": "test"}],
                    rule["RuleArn"]: [{"Key": "env", "Value": "test"}]}
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
        LoadBalancerArn=arn)["Attributes"]}
    assert (attributes["idle_timeout.timeout_seconds"], attributes["deletion_protection.enabled"]) == ("60", "false")
    aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", arn,
        "--attributes", "Key=deletion_protection.enabled,Value=true", "Key=idle_timeout.timeout_seconds,Value=120")
    assert error_of(elbv2.delete_load_balancer, LoadBalancerArn=arn) == ("OperationNotPermitted", 400)
    assert error_of(elbv2.delete_target_group, TargetGroupArn=tg) == ("ResourceInUse", 400)
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])

    # Deletes: the load balancer takes its listener, rules and interfaces with it; then the subnet goes.
    aws("elbv2", "delete-load-balancer", "--load-balancer-arn", arn)
    assert error_of(elbv2.describe_listeners, ListenerArns=[listener["ListenerArn"]]) == ("ListenerNotFound", 400)
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB app/web/{arn.rsplit('/', 1)[1]}"]}])["NetworkInterfaces"] == []
    aws("elbv2", "delete-target-group", "--target-group-arn", tg)
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    aws("ec2", "delete-subnet", "--subnet-id", prereqs.subnets[1])
    aws("ec2", "delete-security-group", "--group-id", group_id)


def test_bad_input_gets_elbv2_errors_and_statuses(aws):
    prereqs = eks_prereqs_for(aws.server)
    elbv2 = boto(aws.server, "elbv2")
    subnets = prereqs.subnets[:2]
    assert error_of(elbv2.create_load_balancer, Name="one", Subnets=subnets[:1]) == ("ValidationError", 400)
    assert error_of(elbv2.create_load_balancer, Name="x" * 33, Subnets=subnets) == ("ValidationError", 400)
    assert error_of(elbv2.create_load_balancer, Name="bad\0name", Subnets=subnets) == ("ValidationError", 400)
    assert error_of(elbv2.create_load_balancer, Name="web", Subnets=["subnet-0123456789abcdef0", subnets[0]]) == (
        "SubnetNotFound", 400)
    assert error_of(elbv2.create_load_balancer, Name="web", Subnets=subnets,
                    SecurityGroups=["sg-0123456789abcdef0"]) == ("InvalidSecurityGroup", 400)
    lb = elbv2.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    assert elbv2.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"] == lb[
        "LoadBalancerArn"], "the same name and settings answer the same load balancer"
    assert error_of(elbv2.create_load_balancer, Name="web", Subnets=prereqs.subnets[1:3]) == (
        "DuplicateLoadBalancerName", 400)
    missing = lb["LoadBalancerArn"].rsplit("/", 1)[0] + "/0000000000000000"
    assert error_of(elbv2.describe_load_balancers, LoadBalancerArns=[missing]) == ("LoadBalancerNotFound", 400)
    assert error_of(elbv2.describe_load_balancers, Names=["nope"]) == ("LoadBalancerNotFound", 400)
    assert error_of(elbv2.describe_load_balancers, Marker="nope") == ("ValidationError", 400)
    assert error_of(elbv2.modify_load_balancer_attributes, LoadBalancerArn=lb["LoadBalancerArn"],
                    Attributes=[{"Key": "no.such.key", "Value": "1"}]) == ("ValidationError", 400)
    assert error_of(elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                    DefaultActions=[{"Type": "fixed-response",
                                     "FixedResponseConfig": {"StatusCode": "200"}}]) == ("ValidationError", 400)
    assert error_of(elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
                    DefaultActions=[{"Type": "fixed-response",
                                     "FixedResponseConfig": {"StatusCode": "200"}}]) == ("UnsupportedProtocol", 400)
    group = elbv2.create_target_group(Name="pods", Protocol="HTTP", Port=80, VpcId=prereqs.vpc,
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    assert error_of(elbv2.create_target_group, Name="pods", Protocol="HTTP", Port=81, VpcId=prereqs.vpc,
                    TargetType="ip") == ("DuplicateTargetGroupName", 400)
    assert error_of(elbv2.register_targets, TargetGroupArn=group, Targets=[{"Id": "192.168.9.9"}]) == (
        "InvalidTarget", 400)
    assert error_of(elbv2.register_targets, TargetGroupArn=group, Targets=[{"Id": "not-an-ip"}]) == (
        "InvalidTarget", 400)
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]
    rule = {"ListenerArn": listener["ListenerArn"], "Priority": 5,
            "Conditions": [{"Field": "host-header", "Values": ["shop.example.com"]}],
            "Actions": [{"Type": "forward", "TargetGroupArn": group}]}
    elbv2.create_rule(**rule)
    assert error_of(elbv2.create_rule, **rule) == ("PriorityInUse", 400)
    gone = listener["ListenerArn"].rsplit("/", 1)[0] + "/0000000000000000"
    assert error_of(elbv2.describe_listeners, ListenerArns=[gone]) == ("ListenerNotFound", 400)
    assert error_of(elbv2.describe_target_health, TargetGroupArn=group.rsplit("/", 1)[0] + "/0000000000000000") == (
        "TargetGroupNotFound", 400)
    assert error_of(elbv2.add_tags, ResourceArns=[group], Tags=[{"Key": f"k{n}", "Value": ""} for n in range(51)]) == (
        "TooManyTags", 400)
    garbage = aws("elbv2", "describe-target-groups", "--target-group-arns", "garbage", check=False)
    assert garbage.returncode != 0 and "ValidationError" in garbage.stderr, garbage.stderr
    unknown = aws("elbv2", "describe-trust-stores", check=False)
    assert unknown.returncode != 0 and "InvalidAction" in unknown.stderr, unknown.stderr


TERRAFORM = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2   = "%(url)s"
    elbv2 = "%(url)s"
    sts   = "%(url)s"
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.2.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.2.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.2.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
}

resource "aws_lb" "web" {
  name               = "web"
  load_balancer_type = "application"
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
  security_groups    = [aws_security_group.web.id]
  idle_timeout       = 120
  tags = {
    team = "shop"
  }
}

resource "aws_lb_target_group" "pods" {
  name        = "pods"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.main.id
  health_check {
    path    = "/healthz"
    matcher = "200-299"
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.pods.arn
  }
}

resource "aws_lb_listener_rule" "api" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10
  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "404"
    }
  }
  condition {
    path_pattern {
      values = ["/api/*"]
    }
  }
}

resource "aws_lb_target_group_attachment" "pod" {
  target_group_arn = aws_lb_target_group.pods.arn
  target_id        = "10.2.1.20"
  port             = 8080
}

output "lb_arn" {
  value = aws_lb.web.arn
}
"""


@test_terraform.needs_terraform
def test_terraform_applies_plans_clean_and_destroys_an_alb_stack(ekslite, tmp_path):
    server = ekslite()
    elbv2 = boto(server, "elbv2")
    test_terraform.configure(tmp_path, TERRAFORM, server)
    test_terraform.succeeds(tmp_path, "init")
    test_terraform.succeeds(tmp_path, "apply", "-auto-approve")
    arn = json.loads(test_terraform.succeeds(tmp_path, "output", "-json"))["lb_arn"]["value"]
    [lb] = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert lb["State"]["Code"] == "active"
    [group] = elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
    assert group["Matcher"] == {"HttpCode": "200-299"}
    assert list(health_states(elbv2, group["TargetGroupArn"])) == ["10.2.1.20"]

    plan = test_terraform.terraform(tmp_path, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"the plan is not clean:\n{plan.stdout}\n{plan.stderr}"

    test_terraform.succeeds(tmp_path, "destroy", "-auto-approve")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    ec2 = boto(server, "ec2")
    assert [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
            if e["Description"].startswith("ELB ")] == []


def test_a_classic_load_balancer_with_listeners_instances_and_health(aws):
    prereqs = eks_prereqs_for(aws.server)
    ec2 = boto(aws.server, "ec2")
    elb = boto(aws.server, "elb")
    made = aws("elb", "create-load-balancer", "--load-balancer-name", "legacy", "--subnets", *prereqs.subnets[:2],
               "--listeners", "Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=8080",
               "--scheme", "internal", "--tags", "Key=team,Value=shop")
    assert made["DNSName"].startswith("internal-legacy-") and made["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    [lb] = aws("elb", "describe-load-balancers", "--load-balancer-names", "legacy")["LoadBalancerDescriptions"]
    assert (lb["VPCId"], sorted(lb["Subnets"]), lb["Scheme"]) == (prereqs.vpc, sorted(prereqs.subnets[:2]), "internal")
    assert lb["ListenerDescriptions"][0]["Listener"]["InstancePort"] == 8080
    assert lb["HealthCheck"]["Target"] == "TCP:8080"
    enis = [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"] if e["Description"] == "ELB legacy"]
    assert len(enis) == 2 and all(e["RequesterManaged"] for e in enis)
    refused = aws("ec2", "delete-subnet", "--subnet-id", prereqs.subnets[1], check=False)
    assert refused.returncode != 0 and "DependencyViolation" in refused.stderr, refused.stderr

    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 SubnetId=prereqs.subnets[0])["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1})
    registered = elb.register_instances_with_load_balancer(LoadBalancerName="legacy",
                                                           Instances=[{"InstanceId": instance}])
    assert registered["Instances"] == [{"InstanceId": instance}]
    [state] = elb.describe_instance_health(LoadBalancerName="legacy")["InstanceStates"]
    assert (state["InstanceId"], state["State"]) == (instance, "InService")
    ec2.stop_instances(InstanceIds=[instance])
    wait_until(lambda: elb.describe_instance_health(LoadBalancerName="legacy")["InstanceStates"][0]["State"]
               == "OutOfService", "the stopped instance out of service", 30)

    elb.configure_health_check(LoadBalancerName="legacy", HealthCheck={
        "Target": "HTTP:8080/healthz", "Interval": 10, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 3})
    assert error_of(elb.configure_health_check, LoadBalancerName="legacy", HealthCheck={
        "Target": "HTTP:8080", "Interval": 10, "Timeout": 5, "UnhealthyThreshold": 2, "HealthyThreshold": 3}) == (
        "ValidationError", 400)
    elb.create_load_balancer_listeners(LoadBalancerName="legacy", Listeners=[
        {"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 8443}])
    assert error_of(elb.create_load_balancer_listeners, LoadBalancerName="legacy", Listeners=[
        {"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 9}]) == ("DuplicateListener", 400)
    elb.delete_load_balancer_listeners(LoadBalancerName="legacy", LoadBalancerPorts=[443])
    elb.modify_load_balancer_attributes(LoadBalancerName="legacy", LoadBalancerAttributes={
        "ConnectionSettings": {"IdleTimeout": 120}, "CrossZoneLoadBalancing": {"Enabled": True}})
    attributes = elb.describe_load_balancer_attributes(LoadBalancerName="legacy")["LoadBalancerAttributes"]
    assert (attributes["ConnectionSettings"]["IdleTimeout"], attributes["CrossZoneLoadBalancing"]["Enabled"]) == (
        120, True)
    elb.add_tags(LoadBalancerNames=["legacy"], Tags=[{"Key": "env", "Value": "test"}])
    elb.remove_tags(LoadBalancerNames=["legacy"], Tags=[{"Key": "team"}])
    [tags] = elb.describe_tags(LoadBalancerNames=["legacy"])["TagDescriptions"]
    assert tags["Tags"] == [{"Key": "env", "Value": "test"}]

    assert error_of(elb.describe_load_balancers, LoadBalancerNames=["nope"]) == ("LoadBalancerNotFound", 400)
    assert error_of(elb.register_instances_with_load_balancer, LoadBalancerName="legacy",
                    Instances=[{"InstanceId": "i-0123456789abcdef0"}]) == ("InvalidInstance", 400)
    assert error_of(elb.create_load_balancer, LoadBalancerName="bad_name", Subnets=prereqs.subnets[:1],
                    Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]) == (
        "ValidationError", 400)
    elb.deregister_instances_from_load_balancer(LoadBalancerName="legacy", Instances=[{"InstanceId": instance}])
    aws("elb", "delete-load-balancer", "--load-balancer-name", "legacy")
    assert elb.describe_load_balancers()["LoadBalancerDescriptions"] == []
    assert [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"] if e["Description"] == "ELB legacy"] == []


def test_a_classic_load_balancer_changes_its_groups_subnets_and_zones(aws):
    ec2 = boto(aws.server, "ec2")
    elb = boto(aws.server, "elb")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    subnet = {name: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
              for name, cidr, zone in [("a", "10.4.1.0/24", "us-east-1a"), ("b", "10.4.2.0/24", "us-east-1b"),
                                       ("c", "10.4.3.0/24", "us-east-1c"), ("b2", "10.4.4.0/24", "us-east-1b")]}
    one, two = (ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
                for name in ("one", "two"))
    elsewhere = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    listener = {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}
    elb.create_load_balancer(LoadBalancerName="moving", Listeners=[listener], Subnets=[subnet["a"], subnet["b"]],
                             SecurityGroups=[one])

    def interfaces():
        found = [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"] if e["Description"] == "ELB moving"]
        return {e["SubnetId"]: [g["GroupId"] for g in e["Groups"]] for e in found}

    # Groups: replaced on the load balancer and on each of its interfaces; a group in use is not deleted.
    assert elb.apply_security_groups_to_load_balancer(LoadBalancerName="moving", SecurityGroups=[two])[
        "SecurityGroups"] == [two]
    assert interfaces() == {subnet["a"]: [two], subnet["b"]: [two]}
    ec2.delete_security_group(GroupId=one)
    assert error_of(ec2.delete_security_group, GroupId=two) == ("DependencyViolation", 400)
    for bad in (["sg-0123456789abcdef0"], [elsewhere]):
        assert error_of(elb.apply_security_groups_to_load_balancer, LoadBalancerName="moving",
                        SecurityGroups=bad) == ("InvalidSecurityGroup", 400)

    # Subnets: one a zone, of its VPC, known; the last one stays; a refusal changes nothing.
    assert sorted(elb.attach_load_balancer_to_subnets(LoadBalancerName="moving", Subnets=[subnet["c"]])[
        "Subnets"]) == sorted([subnet["a"], subnet["b"], subnet["c"]])
    assert error_of(elb.attach_load_balancer_to_subnets, LoadBalancerName="moving",
                    Subnets=[subnet["b2"]]) == ("InvalidConfigurationRequest", 409)
    default_subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
        "Subnets"][0]["SubnetId"]
    assert error_of(elb.attach_load_balancer_to_subnets, LoadBalancerName="moving",
                    Subnets=[default_subnet]) == ("InvalidConfigurationRequest", 409)
    assert error_of(elb.attach_load_balancer_to_subnets, LoadBalancerName="moving",
                    Subnets=["subnet-0123456789abcdef0"]) == ("SubnetNotFound", 400)
    assert elb.detach_load_balancer_from_subnets(LoadBalancerName="moving", Subnets=[subnet["a"], subnet["b"]])[
        "Subnets"] == [subnet["c"]]
    with pytest.raises(ClientError) as raised:
        elb.detach_load_balancer_from_subnets(LoadBalancerName="moving", Subnets=[subnet["c"]])
    assert raised.value.response["Error"]["Code"] == "InvalidConfigurationRequest"
    assert "cannot be attached to zero subnets" in raised.value.response["Error"]["Message"]
    assert interfaces() == {subnet["c"]: [two]}
    ec2.delete_subnet(SubnetId=subnet["a"])
    [lb] = elb.describe_load_balancers(LoadBalancerNames=["moving"])["LoadBalancerDescriptions"]
    assert (lb["Subnets"], lb["AvailabilityZones"], lb["SecurityGroups"]) == ([subnet["c"]], ["us-east-1c"], [two])
    assert error_of(elb.attach_load_balancer_to_subnets, LoadBalancerName="nope",
                    Subnets=[subnet["b"]]) == ("LoadBalancerNotFound", 400)

    # Zones, for a load balancer of the default VPC: the default subnet of each zone.
    elb.create_load_balancer(LoadBalancerName="zoned", Listeners=[listener], AvailabilityZones=["us-east-1a"])
    assert elb.enable_availability_zones_for_load_balancer(LoadBalancerName="zoned", AvailabilityZones=[
        "us-east-1b"])["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert elb.disable_availability_zones_for_load_balancer(LoadBalancerName="zoned", AvailabilityZones=[
        "us-east-1a"])["AvailabilityZones"] == ["us-east-1b"]
    assert error_of(elb.disable_availability_zones_for_load_balancer, LoadBalancerName="zoned",
                    AvailabilityZones=["us-east-1b"]) == ("InvalidConfigurationRequest", 409)

    for name in ("moving", "zoned"):
        elb.delete_load_balancer(LoadBalancerName=name)
    assert interfaces() == {}
    ec2.delete_security_group(GroupId=two)


CLASSIC_TERRAFORM = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    ec2 = "%(url)s"
    elb = "%(url)s"
    sts = "%(url)s"
  }
}

variable "phase" {
  type    = number
  default = 1
}

resource "aws_vpc" "main" {
  cidr_block = "10.5.0.0/16"
}

resource "aws_subnet" "zone" {
  for_each          = { a = "10.5.1.0/24", b = "10.5.2.0/24", c = "10.5.3.0/24" }
  vpc_id            = aws_vpc.main.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

resource "aws_security_group" "group" {
  for_each = toset(["one", "two"])
  name     = each.key
  vpc_id   = aws_vpc.main.id
}

resource "aws_elb" "legacy" {
  name            = "legacy"
  internal        = true
  subnets         = var.phase == 1 ? [aws_subnet.zone["a"].id, aws_subnet.zone["b"].id] : [aws_subnet.zone["b"].id, aws_subnet.zone["c"].id]
  security_groups = [aws_security_group.group[var.phase == 1 ? "one" : "two"].id]

  listener {
    instance_port     = 8080
    instance_protocol = "http"
    lb_port           = 80
    lb_protocol       = "http"
  }

  tags = {
    team = "shop"
  }
}
"""


@test_terraform.needs_terraform
def test_terraform_moves_a_classic_load_balancer_between_subnets_and_groups(ekslite, tmp_path):
    server = ekslite()
    elb = boto(server, "elb")
    ec2 = boto(server, "ec2")
    test_terraform.configure(tmp_path, CLASSIC_TERRAFORM, server)
    test_terraform.succeeds(tmp_path, "init")

    def placed():
        [lb] = elb.describe_load_balancers(LoadBalancerNames=["legacy"])["LoadBalancerDescriptions"]
        groups = {g["GroupId"]: g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]}
        return sorted(lb["AvailabilityZones"]), [groups[g] for g in lb["SecurityGroups"]]

    for phase, expect in [("1", (["us-east-1a", "us-east-1b"], ["one"])),
                          ("2", (["us-east-1b", "us-east-1c"], ["two"]))]:
        test_terraform.succeeds(tmp_path, "apply", "-auto-approve", "-var", f"phase={phase}")
        assert placed() == expect
        plan = test_terraform.terraform(tmp_path, "plan", "-detailed-exitcode", "-var", f"phase={phase}")
        assert plan.returncode == 0, f"the plan is not clean:\n{plan.stdout}\n{plan.stderr}"

    test_terraform.succeeds(tmp_path, "destroy", "-auto-approve", "-var", "phase=2")
    assert elb.describe_load_balancers()["LoadBalancerDescriptions"] == []
    assert [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
            if e["Description"].startswith("ELB ")] == []
