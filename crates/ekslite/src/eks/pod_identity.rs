//! EKS's pod identity webhook: new pods of EKS clusters get AWS credentials wired in, as the webhook EKS runs in
//! every cluster (`amazon-eks-pod-identity-webhook`, with EKS's settings) mutates them.
//!
//! - **EKS Pod Identity** (takes precedence): a pod whose service account has a pod identity association gets
//!   `AWS_CONTAINER_CREDENTIALS_FULL_URI` (the Pod Identity Agent's address) and
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, a projected `eks-pod-identity-token` volume (audience
//!   `pods.eks.amazonaws.com`) and the label `eks.amazonaws.com/pod-identity: enabled`.
//! - **IRSA**: a pod whose service account is annotated `eks.amazonaws.com/role-arn` gets `AWS_ROLE_ARN` and
//!   `AWS_WEB_IDENTITY_TOKEN_FILE` and a projected `aws-iam-token` volume (audience `sts.amazonaws.com` unless the
//!   account's `eks.amazonaws.com/audience` says otherwise).
//!
//! Either way each container (init containers too) not named in the pod's `eks.amazonaws.com/skip-containers`
//! gets `AWS_STS_REGIONAL_ENDPOINTS=regional` (unless the account's `eks.amazonaws.com/sts-regional-endpoints` is
//! false), `AWS_DEFAULT_REGION` and `AWS_REGION` (the cluster's region) where it sets none of these itself, and the
//! token's volume mount. The token lives `eks.amazonaws.com/token-expiration` seconds (pod annotation, else account
//! annotation; at least 600), a day by default; Pod Identity tokens of the default lifetime get the webhook's jitter
//! (22 to 24 hours). Pods of clusters that EKS did not create are left alone, as is every pod when EKS cannot be
//! asked (the webhook's failure policy on EKS is to ignore).

use std::collections::BTreeSet;

use apiserver::PodAdmission;
use serde_json::{Map, Value, json};

const DOMAIN: &str = "eks.amazonaws.com";
const DEFAULT_EXPIRATION: i64 = 86_400;
const MIN_EXPIRATION: i64 = 600;
/// The lower end of the jitter given to Pod Identity tokens of the default lifetime.
const JITTER_FLOOR: i64 = 79_200;

/// The Pod Identity Agent's link-local address, as EKS injects it.
pub const POD_IDENTITY_URI: &str = "http://169.254.170.23/v1/credentials";

/// How a pod gets its credentials: the volume and env the webhook adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// `Some(role)` for IRSA (`AWS_ROLE_ARN`); `None` for Pod Identity.
    pub role_arn: Option<String>,
    pub audience: String,
    pub expiration_seconds: i64,
    pub regional_sts: bool,
    pub region: String,
}

impl Injection {
    fn volume_name(&self) -> &'static str {
        if self.role_arn.is_some() { "aws-iam-token" } else { "eks-pod-identity-token" }
    }

    fn mount_path(&self) -> &'static str {
        if self.role_arn.is_some() {
            "/var/run/secrets/eks.amazonaws.com/serviceaccount"
        } else {
            "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
        }
    }

    fn token_path(&self) -> &'static str {
        if self.role_arn.is_some() { "token" } else { "eks-pod-identity-token" }
    }
}

/// An annotation of `object` in EKS's domain.
fn annotation<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.get("metadata")?.get("annotations")?.get(format!("{DOMAIN}/{name}"))?.as_str()
}

/// A token lifetime annotation as the webhook reads it: an integer, raised to the minimum; `None` if absent or not
/// an integer.
fn expiration(object: &Value) -> Option<i64> {
    annotation(object, "token-expiration")?.trim().parse::<i64>().ok().map(|seconds| seconds.max(MIN_EXPIRATION))
}

/// Go's `strconv.ParseBool`, which the webhook uses for `sts-regional-endpoints`.
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// What the webhook injects into a pod of `service_account`: Pod Identity when `pod_identity` (the account has an
/// association), else IRSA when the account names a role; `None` when neither. `jitter` picks a Pod Identity
/// token's lifetime in the webhook's range when the default applies.
pub fn injection_for(
    pod: &Value,
    service_account: &Value,
    pod_identity: bool,
    region: &str,
    jitter: impl FnOnce(i64, i64) -> i64,
) -> Option<Injection> {
    let regional_sts = annotation(service_account, "sts-regional-endpoints").and_then(go_bool).unwrap_or(true);
    let account_expiration = expiration(service_account).unwrap_or(DEFAULT_EXPIRATION);
    let expiration_seconds = expiration(pod).unwrap_or(account_expiration);
    if pod_identity {
        let expiration_seconds = if expiration_seconds == DEFAULT_EXPIRATION {
            jitter(JITTER_FLOOR, DEFAULT_EXPIRATION)
        } else {
            expiration_seconds
        };
        return Some(Injection {
            role_arn: None,
            audience: "pods.eks.amazonaws.com".into(),
            expiration_seconds,
            regional_sts,
            region: region.to_owned(),
        });
    }
    let role = annotation(service_account, "role-arn").filter(|role| !role.is_empty())?;
    Some(Injection {
        role_arn: Some(role.to_owned()),
        audience: annotation(service_account, "audience").unwrap_or("sts.amazonaws.com").to_owned(),
        expiration_seconds,
        regional_sts,
        region: region.to_owned(),
    })
}

/// The container names the pod's `skip-containers` annotation lists (a CSV record); none if it does not parse.
fn skipped(pod: &Value) -> BTreeSet<String> {
    let Some(text) = annotation(pod, "skip-containers") else { return BTreeSet::new() };
    let mut names = BTreeSet::new();
    for field in text.split(',') {
        let field = field.trim_matches(|c| c == '\r' || c == '\n');
        if field.contains('"') {
            // A quoted CSV field: the webhook's reader takes it whole; names never need quoting.
            let Some(inner) = field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) else { return BTreeSet::new() };
            names.insert(inner.replace("\"\"", "\""));
        } else {
            names.insert(field.to_owned());
        }
    }
    names
}

/// Mutates `pod` as the webhook does for `injection`.
pub fn inject(pod: &mut Value, injection: &Injection) {
    let skip = skipped(pod);
    let windows = ["kubernetes.io/os", "beta.kubernetes.io/os"]
        .iter()
        .any(|key| pod.pointer(&format!("/spec/nodeSelector/{}", key.replace('/', "~1"))) == Some(&json!("windows")));
    let mut token_file = format!("{}/{}", injection.mount_path(), injection.token_path());
    if windows {
        token_file = format!("C:{}", token_file.replace('/', "\\"));
    }
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return };
    for list in ["initContainers", "containers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else { continue };
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            let name = container.get("name").and_then(Value::as_str).unwrap_or_default();
            if !skip.contains(name) {
                inject_container(container, injection, &token_file);
            }
        }
    }
    let volume_name = injection.volume_name();
    let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
    if let Some(volumes) = volumes.as_array_mut()
        && !volumes.iter().any(|volume| volume["name"] == volume_name)
    {
        let token = json!({
            "audience": injection.audience,
            "expirationSeconds": injection.expiration_seconds,
            "path": injection.token_path(),
        });
        volumes
            .insert(0, json!({ "name": volume_name, "projected": { "sources": [{ "serviceAccountToken": token }] } }));
    }
    if injection.role_arn.is_none() {
        let metadata = pod.as_object_mut().map(|pod| pod.entry("metadata").or_insert_with(|| json!({})));
        if let Some(metadata) = metadata.and_then(Value::as_object_mut) {
            let labels = metadata.entry("labels").or_insert_with(|| json!({}));
            if let Some(labels) = labels.as_object_mut() {
                labels.insert(format!("{DOMAIN}/pod-identity"), json!("enabled"));
            }
        }
    }
}

/// One container's env and mount, as the webhook's `addEnvToContainer`.
fn inject_container(container: &mut Map<String, Value>, injection: &Injection, token_file: &str) {
    let defined = |names: &[&str]| {
        container
            .get("env")
            .and_then(Value::as_array)
            .is_some_and(|env| env.iter().any(|var| names.iter().any(|name| var["name"] == *name)))
    };
    let credentials_defined = if injection.role_arn.is_some() {
        defined(&["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"])
    } else {
        defined(&["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"])
    };
    let region_defined = defined(&["AWS_REGION", "AWS_DEFAULT_REGION"]);
    let sts_defined = defined(&["AWS_STS_REGIONAL_ENDPOINTS"]);
    let mut added = Vec::new();
    if !sts_defined && injection.regional_sts {
        added.push(("AWS_STS_REGIONAL_ENDPOINTS", "regional".to_owned()));
    }
    if !region_defined && !injection.region.is_empty() {
        added.push(("AWS_DEFAULT_REGION", injection.region.clone()));
        added.push(("AWS_REGION", injection.region.clone()));
    }
    if !credentials_defined {
        match &injection.role_arn {
            Some(role) => {
                added.push(("AWS_ROLE_ARN", role.clone()));
                added.push(("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_owned()));
            }
            None => {
                added.push(("AWS_CONTAINER_CREDENTIALS_FULL_URI", POD_IDENTITY_URI.to_owned()));
                added.push(("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.to_owned()));
            }
        }
    }
    if !added.is_empty() {
        let env = container.entry("env").or_insert_with(|| json!([]));
        if let Some(env) = env.as_array_mut() {
            env.extend(added.into_iter().map(|(name, value)| json!({ "name": name, "value": value })));
        }
    }
    let volume_name = injection.volume_name();
    let mounts = container.entry("volumeMounts").or_insert_with(|| json!([]));
    if let Some(mounts) = mounts.as_array_mut()
        && !mounts.iter().any(|mount| mount["name"] == volume_name)
    {
        mounts.push(json!({ "name": volume_name, "readOnly": true, "mountPath": injection.mount_path() }));
    }
}

/// The webhook as a pod admission hook of every cluster; it acts once EKS is set (EKS is built after the control
/// planes, which need the hook).
#[derive(Debug, Default)]
pub struct PodIdentityWebhook {
    pub eks: std::sync::OnceLock<aws_model::eks::Eks>,
}

#[async_trait::async_trait]
impl PodAdmission for PodIdentityWebhook {
    async fn admit(
        &self,
        cluster: &str,
        namespace: &str,
        pod: &mut Value,
        service_account: Option<&Value>,
    ) -> Result<(), String> {
        let (Some(eks), Some(account)) = (self.eks.get(), service_account) else { return Ok(()) };
        let Ok(Some((caller, eks_cluster))) = eks.by_kubernetes_name(cluster).await else { return Ok(()) };
        let account_name = account.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let association = eks.pod_identity_of(&caller, &eks_cluster.name, namespace, account_name).await;
        let pod_identity = matches!(association, Ok(Some(_)));
        let jitter = |low: i64, high: i64| {
            let random = u64::from_str_radix(&aws_model::ids::hex_lower(8), 16).unwrap_or_default();
            low + (random % (high - low + 1).unsigned_abs()) as i64
        };
        if let Some(injection) = injection_for(pod, account, pod_identity, &caller.region, jitter) {
            inject(pod, &injection);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
