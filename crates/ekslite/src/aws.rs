//! Wiring the AWS side to the Kubernetes side: EKS clusters are `ControlPlanes` clusters (EKS reads their
//! `aws-auth` ConfigMap through them), EKS tokens are accepted by their API servers as the user their access entry
//! or `aws-auth` mapping names, with the access policies of the entry as grants of the ClusterRoles they mirror,
//! STS checks web identity tokens with the keys of the clusters' issuers, node group instances become the data
//! plane's nodes, and every request the server's own routes do not take goes to the AWS endpoint.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use apiserver::{AccessGrant, AuthenticatedUser, ControlPlanes, TokenAuthenticator};
use aws_api::AwsApi;
use aws_model::autoscaling::NodeInstance;
use aws_model::ec2::InstanceState;
use aws_model::eks::authn;
use aws_model::eks::{KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
use node_agent::{Capacity, NodeSpec, PodNetwork};

use crate::dataplane::{DesiredNodes, NodeSource};
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

/// The largest request body the AWS endpoint reads.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// EKS's clusters, created as ekslite clusters.
#[derive(Debug)]
pub struct Clusters(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl KubernetesClusters for Clusters {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        let record = self
            .0
            .create_with(&spec.name, Some(&spec.version), Some(&spec.service_cidr), Some(&spec.issuer_id))
            .await
            .map_err(|error| error.to_string())?;
        Ok(KubernetesEndpoint { endpoint: record.endpoint(), ca_pem: record.pki.ca_cert.clone() })
    }

    async fn delete(&self, name: &str) -> Result<(), String> {
        match self.0.delete(name).await {
            Ok(_) | Err(apiserver::ClusterError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn config_map(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        self.0.config_map(cluster, namespace, name).await.map_err(|error| error.to_string())
    }
}

/// The OpenID Connect issuers of the clusters, whose keys STS checks web identity tokens with (no HTTP fetch).
#[derive(Debug)]
pub struct ClusterIssuers(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl aws_model::sts::OidcKeys for ClusterIssuers {
    async fn jwks(&self, issuer_url: &str) -> Option<serde_json::Value> {
        self.0.issuer_jwks(issuer_url)
    }
}

/// EKS tokens, checked by the AWS endpoint once it exists (it is built after the control planes).
#[derive(Debug, Default)]
pub struct EksTokens(pub OnceLock<Arc<AwsApi>>);

#[async_trait::async_trait]
impl TokenAuthenticator for EksTokens {
    async fn authenticate(&self, cluster: &str, token: &str) -> Option<AuthenticatedUser> {
        let api = self.0.get()?;
        let user = api.authenticate_eks_token(cluster, token).await?;
        let extra = [
            ("accessKeyId".to_owned(), vec![user.access_key_id.clone()]),
            ("arn".to_owned(), vec![user.arn.clone()]),
            ("canonicalArn".to_owned(), vec![user.canonical_arn.clone()]),
        ]
        .into_iter()
        .collect();
        // Access policies authorize as the upstream ClusterRoles they mirror, in their scope.
        let grants = user
            .policies
            .iter()
            .filter_map(|policy| {
                let cluster_role = authn::upstream_cluster_role(&policy.policy_arn)?;
                Some(AccessGrant { cluster_role: cluster_role.to_owned(), namespaces: policy.namespaces.clone() })
            })
            .collect();
        Some(AuthenticatedUser { username: user.username, uid: user.uid, groups: user.groups, extra, grants })
    }
}

/// The fallback route: the AWS endpoint.
pub async fn endpoint(api: Arc<AwsApi>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    let bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    let response = api.handle(http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}

/// The nodes of EKS clusters: the EC2 instances of their managed node groups, as the node agent registers them
/// (names, labels, capacity and addresses as EKS nodes have them), and pod IPs from the nodes' subnets as the
/// VPC CNI hands them out.
#[derive(Debug)]
pub struct EksNodes {
    pub eks: aws_model::eks::Eks,
    pub autoscaling: aws_model::autoscaling::AutoScaling,
    pub ec2: aws_model::ec2::Ec2,
    /// The subnet of every node seen, by cluster and node name, for the pod network.
    subnets: Arc<std::sync::Mutex<HashMap<(String, String), String>>>,
    /// Fargate pods per subnet, to spread new ones.
    fargate_per_subnet: std::sync::Mutex<HashMap<String, usize>>,
    /// The Fargate nodes of every cluster.
    pub fargate: crate::fargate::FargateNodes,
}

impl EksNodes {
    pub fn new(
        eks: aws_model::eks::Eks,
        autoscaling: aws_model::autoscaling::AutoScaling,
        ec2: aws_model::ec2::Ec2,
    ) -> EksNodes {
        EksNodes {
            eks,
            autoscaling,
            ec2,
            subnets: Arc::default(),
            fargate_per_subnet: std::sync::Mutex::default(),
            fargate: crate::fargate::FargateNodes::default(),
        }
    }
}

/// Root disk of a node group's instances unless the node group says otherwise (EKS's default `diskSize`).
const ROOT_DISK_BYTES: u64 = 20 * 1024 * 1024 * 1024;

/// A node group instance as the node the kubelet on it registers.
pub fn node_spec(instance: &NodeInstance, region: &str) -> NodeSpec {
    let mut labels = instance.labels.clone();
    let zone = instance.availability_zone.clone();
    for (key, value) in [
        ("eks.amazonaws.com/nodegroup", instance.nodegroup.clone()),
        ("eks.amazonaws.com/capacityType", instance.capacity_type.clone()),
        ("node.kubernetes.io/instance-type", instance.instance_type.clone()),
        ("beta.kubernetes.io/instance-type", instance.instance_type.clone()),
        ("topology.kubernetes.io/zone", zone.clone()),
        ("failure-domain.beta.kubernetes.io/zone", zone.clone()),
        ("topology.kubernetes.io/region", region.to_owned()),
        ("failure-domain.beta.kubernetes.io/region", region.to_owned()),
    ] {
        labels.insert(key.to_owned(), value);
    }
    let taints = instance
        .taints
        .iter()
        .map(|taint| k8s_openapi::api::core::v1::Taint {
            key: taint.key.clone(),
            value: taint.value.clone(),
            effect: match taint.effect.as_str() {
                "NO_EXECUTE" => "NoExecute",
                "PREFER_NO_SCHEDULE" => "PreferNoSchedule",
                _ => "NoSchedule",
            }
            .to_owned(),
            time_added: None,
        })
        .collect();
    let ip = instance.private_ip.to_string();
    let dns = instance.private_dns_name.clone();
    NodeSpec {
        name: dns.clone(),
        labels,
        annotations: [("alpha.kubernetes.io/provided-node-ip".to_owned(), ip.clone())].into(),
        taints,
        capacity: Capacity {
            cpu_millis: u64::from(instance.vcpus) * 1000,
            memory_bytes: instance.memory_mib * 1024 * 1024,
            pods: instance.max_pods,
            ephemeral_storage_bytes: ROOT_DISK_BYTES,
        },
        addresses: vec![("InternalIP".into(), ip), ("InternalDNS".into(), dns.clone()), ("Hostname".into(), dns)],
        provider_id: Some(format!("aws:///{zone}/{}", instance.instance_id)),
        pod_subnet: Some(instance.subnet_cidr.clone()),
    }
}

#[async_trait::async_trait]
impl NodeSource for EksNodes {
    async fn nodes(&self, cluster: &str) -> Option<DesiredNodes> {
        let (caller, eks_cluster) = self.eks.by_kubernetes_name(cluster).await.ok()??;
        let instances =
            self.autoscaling.cluster_instances(&caller.account, &caller.region, &eks_cluster.name).await.ok()?;
        let mut desired = DesiredNodes::default();
        let mut subnets = self.subnets.lock().expect("subnet map lock");
        for instance in &instances {
            // Only booted machines run a kubelet; a stopped one keeps its Node but goes silent.
            let failed = match instance.state {
                InstanceState::Running => false,
                InstanceState::Stopping | InstanceState::Stopped => true,
                InstanceState::Pending | InstanceState::ShuttingDown | InstanceState::Terminated => continue,
            };
            let spec = node_spec(instance, &caller.region);
            subnets.insert((cluster.to_owned(), spec.name.clone()), instance.subnet_id.clone());
            if failed {
                desired.failed.push(spec.name.clone());
            }
            desired.nodes.push(spec);
        }
        desired.nodes.extend(self.fargate.specs(cluster));
        Some(desired)
    }

    fn network(&self, cluster: &str) -> Option<Arc<dyn PodNetwork>> {
        // EKS clusters are named `<name>.<region>.<account>` on the Kubernetes side.
        let mut parts = cluster.rsplitn(3, '.');
        let (account, region) = (parts.next()?.to_owned(), parts.next()?.to_owned());
        parts.next()?;
        let caller = aws_model::eks::Caller { account, region, arn: String::new() };
        Some(Arc::new(VpcCni {
            cluster: cluster.to_owned(),
            caller,
            ec2: self.ec2.clone(),
            subnets: Arc::clone(&self.subnets),
            fargate: self.fargate.clone(),
        }))
    }
}

/// Pod IPs as the VPC CNI gives them: secondary private addresses of the node's subnet, allocated in EC2 so that
/// they never collide with instances or other pods.
#[derive(Debug)]
struct VpcCni {
    cluster: String,
    caller: aws_model::eks::Caller,
    ec2: aws_model::ec2::Ec2,
    subnets: Arc<std::sync::Mutex<HashMap<(String, String), String>>>,
    fargate: crate::fargate::FargateNodes,
}

impl VpcCni {
    fn subnet(&self, node: &str) -> Result<String, String> {
        let subnets = self.subnets.lock().expect("subnet map lock");
        subnets
            .get(&(self.cluster.clone(), node.to_owned()))
            .cloned()
            .ok_or_else(|| format!("node {node} has no subnet"))
    }
}

#[async_trait::async_trait]
impl PodNetwork for VpcCni {
    async fn allocate(&self, node: &str) -> Result<IpAddr, String> {
        // A Fargate pod has its node's address.
        if let Some(ip) = self.fargate.ip_of(&self.cluster, node) {
            return Ok(IpAddr::V4(ip));
        }
        let subnet = self.subnet(node)?;
        let ip = self.ec2.allocate_private_ip(&self.caller, &subnet).await.map_err(|error| error.to_string())?;
        Ok(IpAddr::V4(ip))
    }

    async fn release(&self, node: &str, ip: IpAddr) {
        if self.fargate.ip_of(&self.cluster, node).is_some() {
            return;
        }
        let (Ok(subnet), IpAddr::V4(ip)) = (self.subnet(node), ip) else { return };
        if let Err(error) = self.ec2.release_private_ip(&self.caller, &subnet, ip).await {
            tracing::warn!(%error, node, "cannot release a pod IP");
        }
    }
}

#[async_trait::async_trait]
impl crate::fargate::FargateCapacity for EksNodes {
    async fn place(&self, cluster: &str, profile: &str) -> Result<crate::fargate::FargatePlacement, String> {
        let (caller, eks_cluster) = self
            .eks
            .by_kubernetes_name(cluster)
            .await
            .map_err(|error| error.to_string())?
            .ok_or_else(|| format!("{cluster} is not an EKS cluster"))?;
        let profile =
            self.eks.describe_fargate_profile(&caller, &eks_cluster.name, profile).await.map_err(|e| e.to_string())?;
        let placements = self.ec2.subnet_placements(&caller, &profile.subnets).await.map_err(|e| e.to_string())?;
        // Spread over the profile's subnets: the one with the fewest Fargate pods of this server first.
        let counts = self.fargate_per_subnet.lock().expect("fargate count lock").clone();
        let subnet = placements
            .iter()
            .min_by_key(|p| counts.get(&p.subnet_id).copied().unwrap_or(0))
            .ok_or_else(|| format!("Fargate profile {} has no subnets", profile.name))?;
        let ip = self.ec2.allocate_private_ip(&caller, &subnet.subnet_id).await.map_err(|e| e.to_string())?;
        *self.fargate_per_subnet.lock().expect("fargate count lock").entry(subnet.subnet_id.clone()).or_default() += 1;
        Ok(crate::fargate::FargatePlacement {
            zone: subnet.availability_zone.clone(),
            region: caller.region.clone(),
            subnet_id: subnet.subnet_id.clone(),
            ip,
        })
    }

    async fn release(&self, cluster: &str, subnet_id: &str, ip: std::net::Ipv4Addr) {
        let Ok(Some((caller, eks_cluster))) = self.eks.by_kubernetes_name(cluster).await else { return };
        let subnet_id = if subnet_id.is_empty() {
            // A node adopted after a restart: its subnet is the profile subnet whose range holds the address.
            let Ok(profiles) = self.eks.fargate_profiles(&caller, &eks_cluster.name).await else { return };
            let mut subnets: Vec<String> = profiles.into_iter().flat_map(|profile| profile.subnets).collect();
            subnets.sort();
            subnets.dedup();
            let Ok(placements) = self.ec2.subnet_placements(&caller, &subnets).await else { return };
            let Some(found) = placements
                .into_iter()
                .find(|p| node_agent::Cidr::parse(&p.cidr_block).is_some_and(|c| c.contains(IpAddr::V4(ip))))
            else {
                return;
            };
            found.subnet_id
        } else {
            subnet_id.to_owned()
        };
        if let Some(count) = self.fargate_per_subnet.lock().expect("fargate count lock").get_mut(&subnet_id) {
            *count = count.saturating_sub(1);
        }
        if let Err(error) = self.ec2.release_private_ip(&caller, &subnet_id, ip).await {
            tracing::warn!(%error, %ip, "cannot release a Fargate node's address");
        }
    }
}
