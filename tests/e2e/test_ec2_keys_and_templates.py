"""EC2 key pairs and launch templates with the aws CLI and boto3: keys imported from OpenSSH public keys (their
fingerprints as ssh-keygen and openssl compute them) and made by EC2 (the private key usable by ssh-keygen), found by
name, id and filter, tagged and deleted; launch template data kept whole and answered back; versions made default
and deleted; and EC2's errors for bad input."""

import base64
import hashlib
import shutil
import subprocess

import botocore.exceptions
import pytest

from conftest import boto


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def ssh_key(tmp_path, kind):
    """A fresh OpenSSH key pair of `kind` made by ssh-keygen: (private key path, public key line)."""
    if shutil.which("ssh-keygen") is None:
        pytest.fail("ssh-keygen is needed: install openssh-client")
    path = tmp_path / f"id_{kind}"
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "me@laptop", "-f", str(path)], check=True)
    return path, (tmp_path / f"id_{kind}.pub").read_text().strip()


def test_imported_keys_have_ec2_fingerprints_and_are_found_tagged_and_deleted(aws, tmp_path):
    ec2 = boto(aws.server, "ec2")
    _, ed25519 = ssh_key(tmp_path, "ed25519")
    rsa_path, rsa = ssh_key(tmp_path, "rsa")
    pub_file = tmp_path / "laptop.pub"
    pub_file.write_text(ed25519 + "\n")
    imported = aws("ec2", "import-key-pair", "--key-name", "laptop", "--public-key-material", f"fileb://{pub_file}",
                   "--tag-specifications", "ResourceType=key-pair,Tags=[{Key=team,Value=web}]")
    blob = base64.b64decode(ed25519.split()[1])
    assert imported["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
    assert imported["KeyPairId"].startswith("key-") and imported["Tags"] == [{"Key": "team", "Value": "web"}]
    der = subprocess.run(f"ssh-keygen -e -m PKCS8 -f {rsa_path}.pub | openssl pkey -pubin -outform DER",
                         shell=True, check=True, capture_output=True).stdout
    md5 = hashlib.md5(der).hexdigest()
    with_rsa = ec2.import_key_pair(KeyName="old", PublicKeyMaterial=rsa.encode())
    assert with_rsa["KeyFingerprint"] == ":".join(md5[i:i + 2] for i in range(0, 32, 2))

    described = aws("ec2", "describe-key-pairs", "--include-public-key")["KeyPairs"]
    assert [(k["KeyName"], k["KeyType"]) for k in described] == [("laptop", "ed25519"), ("old", "rsa")]
    assert described[0]["PublicKey"] == ed25519 and described[0]["Tags"] == [{"Key": "team", "Value": "web"}]
    assert "PublicKey" not in ec2.describe_key_pairs(KeyNames=["old"])["KeyPairs"][0]
    by_filter = ec2.describe_key_pairs(Filters=[{"Name": "tag:team", "Values": ["web"]}])["KeyPairs"]
    assert [k["KeyName"] for k in by_filter] == ["laptop"]
    by_type = ec2.describe_key_pairs(Filters=[{"Name": "key-type", "Values": ["rsa"]}])["KeyPairs"]
    assert [k["KeyPairId"] for k in by_type] == [with_rsa["KeyPairId"]]

    assert error_of(ec2.import_key_pair, KeyName="laptop", PublicKeyMaterial=ed25519.encode()) == (
        "InvalidKeyPair.Duplicate", 400)
    assert error_of(ec2.describe_key_pairs, KeyNames=["nope"]) == ("InvalidKeyPair.NotFound", 400)
    assert error_of(ec2.describe_key_pairs, KeyPairIds=["key-0123456789abcdef0"]) == ("InvalidKeyPair.NotFound", 400)
    for material in [b"garbage", b"\0\0\0", b"ssh-ed25519 " + b"A" * 20000, rsa.replace("ssh-rsa", "ssh-ed25519").encode()]:
        assert error_of(ec2.import_key_pair, KeyName="bad", PublicKeyMaterial=material) == ("InvalidKey.Format", 400)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert error_of(ec2.import_key_pair, KeyName="bad", PublicKeyMaterial=ed25519.encode(),
                    TagSpecifications=[{"ResourceType": "key-pair", "Tags": tags}])[1] == 400
    assert error_of(ec2.import_key_pair, KeyName="x" * 256, PublicKeyMaterial=ed25519.encode()) == (
        "InvalidParameterValue", 400)

    ec2.create_tags(Resources=[with_rsa["KeyPairId"]], Tags=[{"Key": "old", "Value": "yes"}])
    assert ec2.describe_key_pairs(KeyNames=["old"])["KeyPairs"][0]["Tags"] == [{"Key": "old", "Value": "yes"}]
    aws("ec2", "delete-key-pair", "--key-name", "laptop")
    ec2.delete_key_pair(KeyPairId=with_rsa["KeyPairId"])
    ec2.delete_key_pair(KeyName="laptop")
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    assert ec2.describe_tags()["Tags"] == []


def test_created_keys_give_a_private_key_once_that_ssh_keygen_reads(aws, tmp_path):
    ec2 = boto(aws.server, "ec2")
    made = aws("ec2", "create-key-pair", "--key-name", "made", "--key-type", "ed25519")
    assert made["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    private = tmp_path / "made"
    private.write_text(made["KeyMaterial"])
    private.chmod(0o600)
    public = subprocess.run(["ssh-keygen", "-y", "-f", str(private)], check=True, capture_output=True,
                            text=True).stdout.split()
    [described] = ec2.describe_key_pairs(KeyPairIds=[made["KeyPairId"]], IncludePublicKey=True)["KeyPairs"]
    assert described["PublicKey"].split()[:2] == public[:2]
    blob = base64.b64decode(public[1])
    assert described["KeyFingerprint"] == made["KeyFingerprint"] == base64.b64encode(
        hashlib.sha256(blob).digest()).decode()
    assert "KeyMaterial" not in described
    assert error_of(ec2.create_key_pair, KeyName="made", KeyType="ed25519") == ("InvalidKeyPair.Duplicate", 400)
    assert error_of(ec2.create_key_pair, KeyName="k", KeyType="ed25519", KeyFormat="ppk") == (
        "UnsupportedOperation", 400)
    assert [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]] == ["made"]


def test_created_rsa_keys_are_pkcs1_pem_with_the_sha1_fingerprint_openssl_prints(aws, tmp_path):
    made = aws("ec2", "create-key-pair", "--key-name", "k")
    assert made["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    private = tmp_path / "k.pem"
    private.write_text(made["KeyMaterial"])
    private.chmod(0o600)
    public = subprocess.run(["ssh-keygen", "-y", "-f", str(private)], check=True, capture_output=True,
                            text=True).stdout.split()
    pkcs8 = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-inform", "PEM", "-outform", "DER", "-in",
                            str(private)], check=True, capture_output=True).stdout
    digest = hashlib.sha1(pkcs8).hexdigest()
    assert made["KeyFingerprint"] == ":".join(digest[i:i + 2] for i in range(0, 40, 2))
    [described] = aws("ec2", "describe-key-pairs", "--key-names", "k", "--include-public-key")["KeyPairs"]
    assert (described["KeyType"], described["KeyFingerprint"]) == ("rsa", made["KeyFingerprint"])
    assert described["PublicKey"].split()[:2] == public[:2]
    bits = subprocess.run(["openssl", "rsa", "-in", str(private), "-noout", "-text"], check=True,
                          capture_output=True, text=True).stdout
    assert "2048 bit" in bits


def test_launch_template_data_is_kept_whole_and_versions_are_managed(aws):
    ec2 = boto(aws.server, "ec2")
    data = {
        "ImageId": "ami-0123456789abcdef0",
        "IamInstanceProfile": {"Arn": "arn:aws:iam::000000000000:instance-profile/nodes"},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                 "Ebs": {"VolumeSize": 80, "VolumeType": "gp3", "Iops": 4000, "Throughput": 250,
                                         "Encrypted": True, "DeleteOnTermination": True}},
                                {"DeviceName": "/dev/xvdb", "NoDevice": ""}],
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False, "Groups": ["sg-1", "sg-2"],
                               "DeleteOnTermination": True}],
        "Monitoring": {"Enabled": True},
        "Placement": {"AvailabilityZone": "us-east-1a", "Tenancy": "default"},
        "CpuOptions": {"CoreCount": 2, "ThreadsPerCore": 1},
        "CreditSpecification": {"CpuCredits": "unlimited"},
        "InstanceMarketOptions": {"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.05"}},
        "PrivateDnsNameOptions": {"HostnameType": "resource-name", "EnableResourceNameDnsARecord": True},
        "MaintenanceOptions": {"AutoRecovery": "disabled"},
        "DisableApiTermination": True,
        "DisableApiStop": False,
        "InstanceInitiatedShutdownBehavior": "terminate",
        "HibernationOptions": {"Configured": False},
        "EnclaveOptions": {"Enabled": False},
        "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
        "EbsOptimized": True,
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "node"}]}],
    }
    created = ec2.create_launch_template(LaunchTemplateName="full", LaunchTemplateData=data)["LaunchTemplate"]
    [version] = ec2.describe_launch_template_versions(LaunchTemplateName="full")["LaunchTemplateVersions"]
    expected = dict(data, MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                                           "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                                           "InstanceMetadataTags": "disabled"})
    assert version["LaunchTemplateData"] == expected

    # A version from a source version keeps what it does not set; the default moves; versions are deleted.
    second = ec2.create_launch_template_version(LaunchTemplateId=created["LaunchTemplateId"], SourceVersion="1",
                                                LaunchTemplateData={"InstanceType": "m5.large"})
    assert second["LaunchTemplateVersion"]["LaunchTemplateData"] == dict(expected, InstanceType="m5.large")
    ec2.create_launch_template_version(LaunchTemplateName="full", LaunchTemplateData={"InstanceType": "t3.small"})
    modified = ec2.modify_launch_template(LaunchTemplateName="full", DefaultVersion="2")["LaunchTemplate"]
    assert (modified["DefaultVersionNumber"], modified["LatestVersionNumber"]) == (2, 3)
    [default] = ec2.describe_launch_template_versions(LaunchTemplateName="full",
                                                      Versions=["$Default"])["LaunchTemplateVersions"]
    assert default["VersionNumber"] == 2 and default["DefaultVersion"] is True
    deleted = ec2.delete_launch_template_versions(LaunchTemplateName="full", Versions=["1", "2", "9"])
    assert [v["VersionNumber"] for v in deleted["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    refused = {v["VersionNumber"]: v["ResponseError"]["Code"]
               for v in deleted["UnsuccessfullyDeletedLaunchTemplateVersions"]}
    assert refused == {2: "unexpectedError", 9: "launchTemplateVersionDoesNotExist"}
    remaining = ec2.describe_launch_template_versions(LaunchTemplateName="full")["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in remaining] == [3, 2]

    # Bad data makes nothing.
    for bad in [{"MetadataOptions": {"HttpTokens": "always"}}, {"MetadataOptions": {"HttpPutResponseHopLimit": 65}},
                {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "gp9"}}]},
                {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "st1", "VolumeSize": 5}}]},
                {"InstanceInitiatedShutdownBehavior": "explode"}, {"UserData": "not base64!"}]:
        code, status = error_of(ec2.create_launch_template, LaunchTemplateName="bad", LaunchTemplateData=bad)
        assert status == 400 and code in {"InvalidParameterValue", "InvalidUserData.Malformed"}, bad
    assert error_of(ec2.create_launch_template, LaunchTemplateName="full", LaunchTemplateData={}) == (
        "InvalidLaunchTemplateName.AlreadyExistsException", 400)
    assert error_of(ec2.modify_launch_template, LaunchTemplateName="full", DefaultVersion="1") == (
        "InvalidLaunchTemplateId.VersionNotFound", 400)
    assert [t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]] == ["full"]
