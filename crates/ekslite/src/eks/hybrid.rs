//! EKS Hybrid Nodes on this server: what nodeadm does on a machine outside AWS, as two JSON routes that
//! `ekslite nodeadm init` and `ekslite nodeadm uninstall` call.
//!
//! `POST /_ekslite/nodeadm/init` takes nodeadm's `NodeConfig` (`spec.cluster`, `spec.hybrid.ssm` or
//! `spec.hybrid.iamRolesAnywhere`, `spec.kubelet.flags`, `spec.kubelet.config.maxPods`) and checks it as nodeadm
//! does. With SSM the machine registers with the hybrid activation (a managed instance `mi-...`, its node name) and
//! acts as the activation's role; with IAM Roles Anywhere it acts as `roleArn` under `nodeName` (the trust anchor
//! and profile are taken as given: IAM Roles Anywhere is not served). The node joins when the cluster lets that
//! role's session in as a node (a `HYBRID_LINUX` access entry) and its address lies in the remote node networks
//! (`Eks::join_hybrid_node`). It registers labelled `eks.amazonaws.com/compute-type=hybrid` and
//! `eks.amazonaws.com/hybrid-credential-provider`, with provider id `eks-hybrid:///<region>/<cluster>/<name>`,
//! and its pods get addresses from its block of the remote pod networks.
//!
//! A hybrid node is Ready as soon as it joins: the CNI that a real hybrid node waits for (Cilium or Calico) is
//! simulated by those pod blocks. A node whose managed instance is deregistered loses its credentials and goes
//! NotReady. `POST /_ekslite/nodeadm/uninstall` checks, as nodeadm does unless skipped, that the node is cordoned
//! and runs only DaemonSet and static pods, then deregisters its managed instance and removes it.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use apiserver::ControlPlanes;
use aws_model::eks::hybrid_nodes::{HybridNode, JoinHybridNode};
use aws_model::eks::{Caller, EksError};
use aws_model::ssm::activations::ActivationFilter;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use k8s_openapi::api::core::v1::{Node, Pod};
use node_agent::{Capacity, NodeSpec};
use serde::Deserialize;
use serde_json::{Value, json};

use super::nodes::EksNodes;

/// The pod block of every hybrid node seen, by cluster and node name (`None`: the cluster names no remote pod
/// network), for the pod network.
pub(super) type HybridBlocks = Arc<std::sync::Mutex<HashMap<(String, String), Option<String>>>>;

/// Root disk a hybrid node reports: nodeadm gives none, so the kubelet reports its machine's; this is a common one.
const ROOT_DISK_BYTES: u64 = 100 * 1024 * 1024 * 1024;

/// The largest `NodeConfig` the init route reads.
const MAX_CONFIG_BYTES: usize = 64 * 1024;

/// The Node a hybrid node registers, as nodeadm configures its kubelet.
pub(super) fn node_spec(node: &HybridNode, region: &str) -> NodeSpec {
    let mut labels = node.labels.clone();
    labels.insert("eks.amazonaws.com/compute-type".to_owned(), "hybrid".to_owned());
    labels.insert("eks.amazonaws.com/hybrid-credential-provider".to_owned(), node.credential_provider.clone());
    let taints = super::nodes::kubernetes_taints(&node.taints);
    NodeSpec {
        name: node.name.clone(),
        labels,
        annotations: [("alpha.kubernetes.io/provided-node-ip".to_owned(), node.ip.clone())].into(),
        taints,
        capacity: Capacity {
            cpu_millis: u64::from(node.cpus) * 1000,
            memory_bytes: node.memory_mib * 1024 * 1024,
            pods: node.max_pods,
            ephemeral_storage_bytes: ROOT_DISK_BYTES,
            gpus: 0,
        },
        addresses: vec![("InternalIP".into(), node.ip.clone()), ("Hostname".into(), node.name.clone())],
        provider_id: Some(format!("eks-hybrid:///{region}/{}/{}", node.cluster, node.name)),
        pod_subnet: node.pod_cidr.clone(),
    }
}

/// What the routes need.
#[derive(Debug, Clone)]
pub struct HybridRoutes {
    pub nodes: Arc<EksNodes>,
    pub ssm: aws_model::ssm::Ssm,
    pub iam: aws_model::iam::Iam,
    pub control_planes: Arc<ControlPlanes>,
}

/// `POST /_ekslite/nodeadm/init` and `POST /_ekslite/nodeadm/uninstall`.
pub fn routes(state: HybridRoutes) -> axum::Router {
    axum::Router::new()
        .route("/_ekslite/nodeadm/init", post(init))
        .route("/_ekslite/nodeadm/uninstall", post(uninstall))
        .with_state(state)
}

/// A refusal: its HTTP status and message.
#[derive(Debug)]
struct Refusal(StatusCode, String);

impl Refusal {
    fn bad(message: impl Into<String>) -> Refusal {
        Refusal(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<EksError> for Refusal {
    fn from(error: EksError) -> Self {
        let status = match &error {
            EksError::ResourceNotFound(_) | EksError::NotFound(_) => StatusCode::NOT_FOUND,
            EksError::ResourceInUse(_) | EksError::NodegroupInUse { .. } => StatusCode::CONFLICT,
            EksError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Refusal(status, error.to_string())
    }
}

impl From<aws_model::ssm::SsmError> for Refusal {
    fn from(error: aws_model::ssm::SsmError) -> Self {
        let status = match &error {
            aws_model::ssm::SsmError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Refusal(status, error.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}

/// What `ekslite nodeadm init` sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct InitRequest {
    /// The account whose cluster and activation these are (that of the caller's AWS credentials).
    account: Option<String>,
    /// The NodeConfig document (YAML or JSON).
    config: String,
    /// The machine's address when its kubelet flags name none (`--node-ip`).
    node_ip: Option<String>,
    /// The machine's host name, for its managed instance.
    hostname: Option<String>,
    cpus: Option<u32>,
    memory_mib: Option<u64>,
}

/// The parts of a hybrid NodeConfig the join needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HybridConfig {
    cluster: String,
    region: String,
    credentials: Credentials,
    node_ip: Option<String>,
    max_pods: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Credentials {
    Ssm { activation_id: String, activation_code: String },
    RolesAnywhere { node_name: String, role_arn: String },
}

/// A string member of `value` at `path`, empty when absent.
fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(value, |value, key| value.get(key)).and_then(Value::as_str).unwrap_or_default()
}

/// Reads and checks a hybrid NodeConfig as nodeadm's validation does.
fn read_config(document: &str) -> Result<(HybridConfig, Value), Refusal> {
    let value: Value = serde_norway::from_str(document)
        .map_err(|error| Refusal::bad(format!("the NodeConfig is not YAML or JSON: {error}")))?;
    if !text(&value, &["apiVersion"]).starts_with("node.eks.aws/") || text(&value, &["kind"]) != "NodeConfig" {
        return Err(Refusal::bad("the document is not a NodeConfig (apiVersion node.eks.aws/v1alpha1)"));
    }
    let cluster = text(&value, &["spec", "cluster", "name"]).to_owned();
    if cluster.is_empty() {
        return Err(Refusal::bad("Name is missing in cluster configuration"));
    }
    let region = text(&value, &["spec", "cluster", "region"]).to_owned();
    if region.is_empty() {
        return Err(Refusal::bad("Region is missing in cluster configuration"));
    }
    let Some(hybrid) = value.get("spec").and_then(|spec| spec.get("hybrid")) else {
        return Err(Refusal::bad(
            "spec.hybrid is missing: this plays nodeadm for hybrid nodes only (EC2 nodes read their NodeConfig from \
             their user data)",
        ));
    };
    let flags: Vec<&str> = value
        .pointer("/spec/kubelet/flags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let flag = |name: &str| flags.iter().rev().find_map(|flag| flag.strip_prefix(&format!("--{name}=")));
    if let Some(hostname) = flag("hostname-override") {
        return Err(Refusal::bad(format!(
            "hostname-override kubelet flag is not supported for hybrid nodes but found override: {hostname}"
        )));
    }
    let credentials = match (hybrid.get("ssm"), hybrid.get("iamRolesAnywhere")) {
        (Some(_), Some(_)) => {
            return Err(Refusal::bad(
                "Only one of IAMRolesAnywhere or SSM must be provided for hybrid node configuration",
            ));
        }
        (None, None) => {
            return Err(Refusal::bad("Either IAMRolesAnywhere or SSM must be provided for hybrid node configuration"));
        }
        (Some(ssm), None) => {
            let code = text(ssm, &["activationCode"]).to_owned();
            let id = text(ssm, &["activationId"]).to_owned();
            if code.is_empty() {
                return Err(Refusal::bad("ActivationCode is missing in hybrid ssm configuration"));
            }
            if id.is_empty() {
                return Err(Refusal::bad("ActivationID is missing in hybrid ssm configuration"));
            }
            if !(20..=250).contains(&code.chars().count()) {
                return Err(Refusal::bad("invalid ActivationCode format: Must be 20-250 characters"));
            }
            if !aws_model::ssm::activations::is_activation_id(&id) {
                return Err(Refusal::bad(format!(
                    "invalid ActivationID format: {id}. Must be in format: \
                     ^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$"
                )));
            }
            Credentials::Ssm { activation_id: id, activation_code: code }
        }
        (None, Some(anywhere)) => {
            for (member, name) in
                [("roleArn", "RoleARN"), ("profileArn", "ProfileARN"), ("trustAnchorArn", "TrustAnchorARN")]
            {
                if text(anywhere, &[member]).is_empty() {
                    return Err(Refusal::bad(format!("{name} is missing in hybrid iam roles anywhere configuration")));
                }
            }
            let node_name = text(anywhere, &["nodeName"]).to_owned();
            if node_name.is_empty() {
                return Err(Refusal::bad("NodeName can't be empty in hybrid iam roles anywhere configuration"));
            }
            if node_name.len() > 64 {
                return Err(Refusal::bad(
                    "NodeName can't be longer than 64 characters in hybrid iam roles anywhere configuration",
                ));
            }
            Credentials::RolesAnywhere { node_name, role_arn: text(anywhere, &["roleArn"]).to_owned() }
        }
    };
    let max_pods = match value.pointer("/spec/kubelet/config/maxPods") {
        None | Some(Value::Null) => None,
        Some(pods) => Some(
            pods.as_u64()
                .and_then(|pods| u32::try_from(pods).ok())
                .filter(|pods| (1..=1000).contains(pods))
                .ok_or_else(|| Refusal::bad("spec.kubelet.config.maxPods must be a number from 1 to 1000"))?,
        ),
    };
    let config = HybridConfig { cluster, region, credentials, node_ip: flag("node-ip").map(str::to_owned), max_pods };
    Ok((config, value))
}

/// A free address of the cluster's remote node networks for a machine that names none: the first past the
/// start of the first block that no hybrid node of the cluster has.
fn free_node_ip(cluster: &aws_model::eks::Cluster, taken: &[HybridNode]) -> Option<String> {
    let remote = cluster.remote_network.as_ref()?;
    for block in remote.node_networks.iter().flatten() {
        let cidr = aws_model::ec2::cidr::Cidr::parse(block)?;
        for offset in 10..cidr.size().saturating_sub(1).min(1 << 16) {
            let ip: Ipv4Addr = cidr.nth(offset)?;
            if !taken.iter().any(|node| node.ip == ip.to_string()) {
                return Some(ip.to_string());
            }
        }
    }
    None
}

async fn init(State(state): State<HybridRoutes>, body: axum::body::Bytes) -> Response {
    match join(&state, &body).await {
        Ok(node) => (
            StatusCode::OK,
            Json(json!({
                "nodeName": node.name,
                "nodeIp": node.ip,
                "podCidr": node.pod_cidr,
                "cluster": node.cluster,
                "credentialProvider": node.credential_provider,
                "roleArn": node.role_arn,
            })),
        )
            .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

fn read_request<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    if body.len() > MAX_CONFIG_BYTES + 4096 {
        return Err(Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request is larger than {MAX_CONFIG_BYTES} bytes"),
        ));
    }
    serde_json::from_slice(body).map_err(|error| Refusal::bad(format!("bad request body: {error}")))
}

fn account_of(account: Option<String>) -> Result<String, Refusal> {
    let account = account.unwrap_or_else(|| aws_protocol::DEFAULT_ACCOUNT_ID.to_owned());
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::bad(format!("the account {account:?} is not a 12-digit account id")));
    }
    Ok(account)
}

async fn join(state: &HybridRoutes, body: &[u8]) -> Result<HybridNode, Refusal> {
    let request: InitRequest = read_request(body)?;
    if request.config.len() > MAX_CONFIG_BYTES {
        return Err(Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the NodeConfig is larger than {MAX_CONFIG_BYTES} bytes"),
        ));
    }
    let (config, _) = read_config(&request.config)?;
    let caller = Caller { account: account_of(request.account)?, region: config.region.clone(), arn: String::new() };
    let eks = &state.nodes.eks;
    let bootstrap = aws_model::ec2::instances::bootstrap::read_document(&request.config).unwrap_or_default();
    let node_ip = match config.node_ip.clone().or(request.node_ip) {
        Some(ip) => ip,
        None => {
            let cluster = eks.describe_cluster(&caller, &config.cluster).await?;
            let taken = eks.hybrid_nodes(&caller, &config.cluster).await?;
            free_node_ip(&cluster, &taken)
                .ok_or_else(|| Refusal::bad("the cluster's remote node networks have no free address for the node"))?
        }
    };
    let mut input = JoinHybridNode {
        cluster: config.cluster.clone(),
        name: String::new(),
        ip: node_ip.clone(),
        credential_provider: String::new(),
        role_arn: String::new(),
        labels: bootstrap.labels,
        taints: bootstrap.taints,
        cpus: request.cpus.unwrap_or(4).clamp(1, 1024),
        memory_mib: request.memory_mib.unwrap_or(16 * 1024).clamp(256, 64 * 1024 * 1024),
        max_pods: config.max_pods.unwrap_or(110),
    };
    let node = match &config.credentials {
        Credentials::Ssm { activation_id, activation_code } => {
            let filter = ActivationFilter { key: "ActivationIds".into(), values: vec![activation_id.clone()] };
            let (found, _) = state.ssm.describe_activations(&caller, &[filter], None, None).await?;
            let activation = found.into_iter().next().ok_or_else(|| {
                Refusal::bad(format!(
                    "Activation {activation_id} does not exist, or its ActivationId and ActivationCode do not match."
                ))
            })?;
            let role =
                state.iam.get_role(&caller.account, &activation.iam_role).await.map_err(|_| {
                    Refusal::bad(format!("the activation's role {} does not exist", activation.iam_role))
                })?;
            input.credential_provider = "ssm".into();
            input.role_arn = role.arn;
            // Checked before registering, so that a refused node leaves no managed instance behind.
            input.name = "mi-00000000000000000".into();
            eks.check_hybrid_join(&caller, &input).await?;
            let hostname = request.hostname.unwrap_or_else(|| format!("hybrid-{}", node_ip.replace('.', "-")));
            let instance = state
                .ssm
                .register_managed_instance(&caller, activation_id, activation_code, &node_ip, &hostname)
                .await?;
            input.name = instance.id.clone();
            match eks.join_hybrid_node(&caller, input).await {
                Ok(node) => node,
                Err(error) => {
                    let _ = state.ssm.deregister_managed_instance(&caller, &instance.id).await;
                    return Err(error.into());
                }
            }
        }
        Credentials::RolesAnywhere { node_name, role_arn } => {
            let role = state
                .iam
                .role_by_arn(&caller.account, role_arn)
                .await
                .map_err(|error| Refusal::bad(error.to_string()))?;
            if role.is_none() {
                return Err(Refusal::bad(format!("the role {role_arn} does not exist")));
            }
            input.credential_provider = "iam-ra".into();
            input.role_arn = role_arn.clone();
            input.name = node_name.clone();
            eks.join_hybrid_node(&caller, input).await?
        }
    };
    state.nodes.hybrid_changed();
    Ok(node)
}

/// What `ekslite nodeadm uninstall` sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UninstallRequest {
    account: Option<String>,
    region: String,
    cluster: String,
    node_name: String,
    /// nodeadm's `--skip`: `pod-validation`, `node-validation`.
    #[serde(default)]
    skip: Vec<String>,
}

async fn uninstall(State(state): State<HybridRoutes>, body: axum::body::Bytes) -> Response {
    match leave(&state, &body).await {
        Ok(name) => (StatusCode::OK, Json(json!({ "nodeName": name }))).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn leave(state: &HybridRoutes, body: &[u8]) -> Result<String, Refusal> {
    let request: UninstallRequest = read_request(body)?;
    if let Some(phase) =
        request.skip.iter().find(|phase| !matches!(phase.as_str(), "pod-validation" | "node-validation"))
    {
        return Err(Refusal::bad(format!(
            "unknown phase {phase}: allowed values are [pod-validation, node-validation]"
        )));
    }
    let caller = Caller { account: account_of(request.account)?, region: request.region.clone(), arn: String::new() };
    let eks = &state.nodes.eks;
    let cluster = eks.describe_cluster(&caller, &request.cluster).await?;
    let nodes = eks.hybrid_nodes(&caller, &cluster.name).await?;
    if !nodes.iter().any(|node| node.name == request.node_name) {
        return Err(Refusal(
            StatusCode::NOT_FOUND,
            format!("No hybrid node {} in cluster {}.", request.node_name, cluster.name),
        ));
    }
    if let Some(api) = state.control_planes.api(&cluster.kubernetes_name) {
        let client = crate::dataplane::client(&api, "eks:hybrid-nodes");
        let skip = |phase: &str| request.skip.iter().any(|given| given == phase);
        if !skip("pod-validation") && !drained(&client, &request.node_name).await? {
            return Err(Refusal::bad(
                "only static pods and pods controlled by daemon-sets can be running on the node. Please move pods to \
                 different node or use --skip pod-validation",
            ));
        }
        if !skip("node-validation") && !cordoned(&client, &request.node_name).await? {
            return Err(Refusal::bad(
                "please drain or cordon node to mark it unschedulable or use --skip node-validation",
            ));
        }
    }
    if aws_model::ssm::activations::is_managed_instance_id(&request.node_name) {
        match state.ssm.deregister_managed_instance(&caller, &request.node_name).await {
            Ok(()) | Err(aws_model::ssm::SsmError::InvalidInstanceId(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    eks.remove_hybrid_node(&caller, &cluster.name, &request.node_name).await?;
    state.nodes.hybrid_changed();
    Ok(request.node_name)
}

fn kube_refusal(error: kube::Error) -> Refusal {
    Refusal(StatusCode::INTERNAL_SERVER_ERROR, format!("reading the cluster: {error}"))
}

/// Whether only pods that a drain leaves (DaemonSet, static and finished ones) are on the node, as nodeadm checks.
async fn drained(client: &kube::Client, node: &str) -> Result<bool, Refusal> {
    let pods: kube::Api<Pod> = kube::Api::all(client.clone());
    let params = kube::api::ListParams::default().fields(&format!("spec.nodeName={node}"));
    let list = pods.list(&params).await.map_err(kube_refusal)?;
    Ok(list.items.iter().all(controllers::drain::stays))
}

/// Whether the Node is marked unschedulable (or gone).
async fn cordoned(client: &kube::Client, node: &str) -> Result<bool, Refusal> {
    let nodes: kube::Api<Node> = kube::Api::all(client.clone());
    let found = nodes.get_opt(node).await.map_err(kube_refusal)?;
    Ok(found.is_none_or(|node| node.spec.and_then(|spec| spec.unschedulable).unwrap_or(false)))
}

#[cfg(test)]
mod tests;
