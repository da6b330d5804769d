"""The real clients that the end-to-end suites drive are installed at the versions the project pins."""

import shutil
import subprocess


def version_of(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result
    return result.stdout + result.stderr


def test_the_pinned_clients_are_installed():
    assert "aws-cli/1." in version_of("aws", "--version")
    assert "v1.37." in version_of("kubectl", "version", "--client")
    assert version_of("helm", "version", "--short").startswith("v4.")
    assert version_of("helm3", "version", "--short").startswith("v3.")
    assert "etcd Version: 3.4." in version_of("etcd", "--version")
    assert shutil.which("curl"), "curl drives the README's health check"
    import boto3  # noqa: F401 - only its presence is tested
    import kubernetes  # noqa: F401
