//! `ekslite nodeadm init` and `ekslite nodeadm uninstall`: what nodeadm does on an EKS hybrid node's machine,
//! played against a running server. `init` reads the NodeConfig given as `-c file://<path>` (nodeadm's
//! `--config-source`), checks the IAM Roles Anywhere certificate and key files exist as nodeadm does, and asks
//! the server to join the node (`/_ekslite/nodeadm/init`, see the server's `eks::hybrid`); `uninstall` takes it
//! out again. The account is that of the AWS credentials in the environment, as for the aws CLI.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::client;

/// The largest NodeConfig read.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// What `ekslite nodeadm init` is given.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub endpoint: String,
    /// `file://<path>` or a path.
    pub config_source: String,
    /// The machine's address when the NodeConfig's kubelet flags name none.
    pub node_ip: Option<String>,
    pub hostname: Option<String>,
    pub cpus: Option<u32>,
    pub memory_mib: Option<u64>,
}

/// What `ekslite nodeadm uninstall` is given.
#[derive(Debug, Clone)]
pub struct UninstallOptions {
    pub endpoint: String,
    pub config_source: String,
    /// The node's name, as `init` printed it.
    pub node_name: String,
    /// nodeadm's `--skip` phases: `pod-validation`, `node-validation`.
    pub skip: Vec<String>,
}

/// The account of the AWS credentials in the environment.
fn account() -> String {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default();
    aws_protocol::Account::from_access_key_id(&key).id().to_owned()
}

/// Reads the NodeConfig document `source` names.
fn read_config(source: &str) -> anyhow::Result<(String, Value)> {
    let path = source.strip_prefix("file://").unwrap_or(source);
    if source.contains("://") && !source.starts_with("file://") {
        bail!("config source {source:?}: only file:// sources are read");
    }
    let size = std::fs::metadata(path).with_context(|| format!("reading the NodeConfig {path}"))?.len();
    if size > MAX_CONFIG_BYTES {
        bail!("the NodeConfig {path} is larger than {MAX_CONFIG_BYTES} bytes");
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the NodeConfig {path}"))?;
    let value: Value =
        serde_norway::from_str(&text).with_context(|| format!("the NodeConfig {path} is not YAML or JSON"))?;
    Ok((text, value))
}

/// nodeadm's local checks of IAM Roles Anywhere credentials: the certificate and key files exist.
fn check_local_files(config: &Value) -> anyhow::Result<()> {
    let Some(anywhere) = config.pointer("/spec/hybrid/iamRolesAnywhere") else { return Ok(()) };
    for (member, what, missing) in [
        ("certificatePath", "certificate", "CertificatePath is missing in hybrid iam roles anywhere configuration"),
        ("privateKeyPath", "private key", "PrivateKeyPath is missing in hybrid iam roles anywhere configuration"),
    ] {
        let path = anywhere.get(member).and_then(Value::as_str).unwrap_or_default();
        if path.is_empty() {
            bail!("{missing}");
        }
        if !std::path::Path::new(path).exists() {
            bail!("IAM Roles Anywhere {what} {path} not found");
        }
    }
    Ok(())
}

/// Joins the machine as a hybrid node and prints its name.
pub async fn init(options: InitOptions) -> anyhow::Result<()> {
    let (text, config) = read_config(&options.config_source)?;
    check_local_files(&config)?;
    let request = json!({
        "account": account(),
        "config": text,
        "nodeIp": options.node_ip,
        "hostname": options.hostname,
        "cpus": options.cpus,
        "memoryMib": options.memory_mib,
    });
    let (status, body) =
        client::call(&options.endpoint, hyper::Method::POST, "/_ekslite/nodeadm/init", Some(&request)).await?;
    let answer = client::expect_success(status, &body)?;
    let field = |name: &str| answer.get(name).and_then(Value::as_str).unwrap_or("none").to_owned();
    println!(
        "node {} joined cluster {} at {} (credentials: {}, pods from {})",
        field("nodeName"),
        field("cluster"),
        field("nodeIp"),
        field("credentialProvider"),
        field("podCidr")
    );
    Ok(())
}

/// Takes a hybrid node out of its cluster.
pub async fn uninstall(options: UninstallOptions) -> anyhow::Result<()> {
    let (_, config) = read_config(&options.config_source)?;
    let text = |pointer: &str| config.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    let request = json!({
        "account": account(),
        "region": text("/spec/cluster/region"),
        "cluster": text("/spec/cluster/name"),
        "nodeName": options.node_name,
        "skip": options.skip,
    });
    let (status, body) =
        client::call(&options.endpoint, hyper::Method::POST, "/_ekslite/nodeadm/uninstall", Some(&request)).await?;
    client::expect_success(status, &body)?;
    println!("node {} left the cluster", options.node_name);
    Ok(())
}
