//! The nodes of EKS clusters: the EC2 instances of their managed node groups and the self-managed instances
//! whose user data names them (read through each region's Auto Scaling reconcile, `regions.rs`), as the kubelet on
//! each registers it (names, labels, taints, capacity and addresses as EKS nodes have them), the hybrid nodes
//! that joined through nodeadm (`hybrid.rs`), the pod network each cluster's nodes get (`vpc_cni.rs`) and where
//! their EBS volumes live (`ebs.rs`), their Services' load balancers (`load_balancers.rs`) and their node groups
//! for the cluster autoscaler (`node_groups.rs`).
//!
//! A managed node group that scales in has the nodes it picked drained first (`DesiredNodes::draining`); the
//! instance goes once its node is drained (`NodeSource::drained`) or EKS's 15 minutes have passed.
//!
//! A self-managed instance joins only when its instance profile's role may: the cluster maps the role's session to
//! a user in `system:nodes` (an `EC2_LINUX` or `EC2_WINDOWS` access entry, or an `aws-auth` `mapRoles` entry), as
//! its kubelet's EKS token would be mapped. Until then it runs without a Node, as on AWS (where its kubelet gets
//! `Unauthorized`), and the server logs why once; nodes are read again every few seconds, so an entry added
//! later lets it join. An instance EKS Auto Mode launched (tagged `eks:eks-cluster-name`) joins through an access
//! entry of type `EC2` too, and its node is named by its instance id, as Auto Mode names them.
//!
//! Karpenter's and Auto Mode's instances (`fleet.rs`) are self-managed instances to this file: their user data
//! names the cluster. A terminated instance's node goes, as every instance that is no longer running goes.

use std::collections::HashMap;
use std::sync::Arc;

use aws_model::autoscaling::NodeInstance;
use aws_model::ec2::InstanceState;
use node_agent::{Capacity, NodeSpec, PodNetwork};

use super::vpc_cni::{NodeAddresses, NodeInstances, VpcCni, WARM_BATCH};
use crate::dataplane::{DesiredNodes, NodeSource};

/// The nodes of EKS clusters: the EC2 instances of their managed node groups, as the node agent registers them
/// (names, labels, capacity and addresses as EKS nodes have them), and pod IPs from the nodes' subnets as the
/// VPC CNI hands them out.
#[derive(Debug)]
pub struct EksNodes {
    pub eks: aws_model::eks::Eks,
    pub ec2: aws_model::ec2::Ec2,
    /// The instance behind every node seen, by cluster and node name, for the pod network.
    instances: NodeInstances,
    /// Fargate pods per subnet, to spread new ones.
    pub(super) fargate_per_subnet: std::sync::Mutex<HashMap<String, usize>>,
    /// The Fargate nodes of every cluster.
    pub fargate: crate::fargate::FargateNodes,
    /// Each region's node groups reconciled once per change, for all its clusters.
    regions: crate::regions::RegionSyncs,
    /// IAM, for the role of a self-managed instance's profile; without it no self-managed instance joins.
    iam: Option<aws_model::iam::Iam>,
    /// The self-managed instances already logged as refused, so that each is logged once.
    refused: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Systems Manager, where a hybrid node's managed instance is registered; without it hybrid nodes are not
    /// checked for one.
    ssm: Option<aws_model::ssm::Ssm>,
    /// The pod block of every hybrid node seen, for the pod network.
    hybrid: super::hybrid::HybridBlocks,
    /// Counts hybrid nodes joining and leaving on this server.
    hybrid_changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// Where a drained node's instance is let go.
    autoscaling: aws_model::autoscaling::AutoScaling,
    /// Elastic Load Balancing (Classic and v2), where Services' load balancers are made; without it, Services of
    /// type `LoadBalancer` stay pending.
    load_balancing: Option<(aws_model::elb::Elb, aws_model::elbv2::Elbv2)>,
}

impl EksNodes {
    pub fn new(
        eks: aws_model::eks::Eks,
        autoscaling: aws_model::autoscaling::AutoScaling,
        ec2: aws_model::ec2::Ec2,
    ) -> EksNodes {
        EksNodes {
            eks,
            ec2,
            instances: NodeInstances::default(),
            fargate_per_subnet: std::sync::Mutex::default(),
            fargate: crate::fargate::FargateNodes::default(),
            regions: crate::regions::RegionSyncs::new(autoscaling.clone()),
            autoscaling,
            iam: None,
            refused: std::sync::Mutex::default(),
            ssm: None,
            hybrid: super::hybrid::HybridBlocks::default(),
            hybrid_changes: Arc::new(tokio::sync::watch::Sender::new(0)),
            load_balancing: None,
        }
    }

    /// Gives Services of type `LoadBalancer` their load balancers in ELB and ELBv2.
    pub fn with_load_balancing(mut self, elb: aws_model::elb::Elb, elbv2: aws_model::elbv2::Elbv2) -> EksNodes {
        self.load_balancing = Some((elb, elbv2));
        self
    }

    /// Lets hybrid nodes registered through Systems Manager lose their credentials when their managed instance
    /// is deregistered.
    pub fn with_ssm(self, ssm: aws_model::ssm::Ssm) -> EksNodes {
        EksNodes { ssm: Some(ssm), ..self }
    }

    /// A hybrid node joined or left: the data planes read their nodes again.
    pub fn hybrid_changed(&self) {
        self.hybrid_changes.send_modify(|generation| *generation += 1);
    }

    /// The cluster's hybrid nodes as the node agent registers them; those whose managed instance was
    /// deregistered are down (their kubelet has no credentials left).
    async fn hybrid_specs(
        &self,
        caller: &aws_model::eks::Caller,
        cluster: &aws_model::eks::Cluster,
        desired: &mut DesiredNodes,
    ) {
        let nodes = match self.eks.hybrid_nodes(caller, &cluster.name).await {
            Ok(nodes) => nodes,
            Err(error) => {
                tracing::warn!(cluster = %cluster.name, "reading the hybrid nodes: {error}");
                return;
            }
        };
        let mut blocks = Vec::with_capacity(nodes.len());
        for node in &nodes {
            let spec = super::hybrid::node_spec(node, &caller.region);
            if node.credential_provider == "ssm"
                && let Some(ssm) = &self.ssm
                && matches!(ssm.managed_instance(caller, &node.name).await, Ok(None))
            {
                desired.failed.push(spec.name.clone());
            }
            blocks.push(((cluster.kubernetes_name.clone(), node.name.clone()), node.pod_cidr.clone()));
            desired.nodes.push(spec);
        }
        self.hybrid.lock().expect("hybrid block lock").extend(blocks);
    }

    /// Lets self-managed instances join when their instance profile's role is mapped in the cluster.
    pub fn with_iam(self, iam: aws_model::iam::Iam) -> EksNodes {
        EksNodes { iam: Some(iam), ..self }
    }

    /// Whether a self-managed instance's kubelet is let in: its instance profile's role, as the session an
    /// instance holds, maps to a user in `system:nodes`. `Err` says why not.
    async fn may_join(
        &self,
        owner: &aws_model::eks::Caller,
        cluster: &aws_model::eks::Cluster,
        instance: &NodeInstance,
        profile_arn: Option<&str>,
    ) -> Result<(), String> {
        let profile_arn = profile_arn.ok_or("it was launched without an instance profile")?;
        let iam = self.iam.as_ref().ok_or("instance profiles are not known here")?;
        let profile_name = profile_arn.rsplit('/').next().unwrap_or_default();
        let view = iam
            .get_instance_profile(&owner.account, profile_name)
            .await
            .map_err(|_| format!("its instance profile {profile_arn} does not exist"))?;
        let role = view.roles.first().ok_or_else(|| format!("its instance profile {profile_arn} has no role"))?;
        let session = aws_model::eks::authn::AwsIdentity {
            arn: format!("arn:aws:sts::{}:assumed-role/{}/{}", owner.account, role.name, instance.instance_id),
            account: owner.account.clone(),
            access_key_id: String::new(),
        };
        let identity = self
            .eks
            .node_identity(owner, cluster, &session, Some(&instance.private_dns_name))
            .await
            .map_err(|error| error.to_string())?;
        match identity {
            Some(identity) if identity.groups.iter().any(|group| group == "system:nodes") => Ok(()),
            // EKS Auto Mode's nodes authenticate through an access entry of type `EC2`.
            _ if self
                .eks
                .describe_access_entry(owner, &cluster.name, &role.arn)
                .await
                .is_ok_and(|entry| entry.kind == "EC2") =>
            {
                Ok(())
            }
            Some(identity) => Err(format!(
                "its role {} maps to {} in groups {:?}, not system:nodes",
                role.arn, identity.username, identity.groups
            )),
            None => Err(format!(
                "its role {} has no EC2_LINUX access entry and no aws-auth mapRoles entry (authentication mode {})",
                role.arn, cluster.authentication_mode
            )),
        }
    }
}

/// EKS's reconciler knows a deleted node group's instances are terminated once the region's Auto Scaling reconcile
/// has run after it saw the node group deleted.
#[async_trait::async_trait]
impl aws_model::eks::reconcile::NodegroupInstances for EksNodes {
    async fn follow(&self, scope: &aws_model::eks::Caller) -> Result<(), String> {
        self.regions.reconciled(scope).await
    }
}

/// Root disk of a node group's instances unless the node group says otherwise (EKS's default `diskSize`).
const ROOT_DISK_BYTES: u64 = 20 * 1024 * 1024 * 1024;

/// Taints as EKS spells them (`NO_SCHEDULE`, ...) as the kubelet registers them (`NoSchedule`, ...).
pub(super) fn kubernetes_taints(
    taints: &[aws_model::eks::nodegroups::Taint],
) -> Vec<k8s_openapi::api::core::v1::Taint> {
    taints
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
        .collect()
}

/// A node group's or self-managed instance as the node the kubelet on it registers (a self-managed node has no
/// node group or capacity type label).
pub fn node_spec(instance: &NodeInstance, region: &str) -> NodeSpec {
    let mut labels = instance.labels.clone();
    let zone = instance.availability_zone.clone();
    if instance.self_managed.is_none() {
        labels.insert("eks.amazonaws.com/nodegroup".to_owned(), instance.nodegroup.clone());
        labels.insert("eks.amazonaws.com/capacityType".to_owned(), instance.capacity_type.clone());
    }
    for (key, value) in [
        ("node.kubernetes.io/instance-type", instance.instance_type.clone()),
        ("beta.kubernetes.io/instance-type", instance.instance_type.clone()),
        ("topology.kubernetes.io/zone", zone.clone()),
        ("failure-domain.beta.kubernetes.io/zone", zone.clone()),
        ("topology.kubernetes.io/region", region.to_owned()),
        ("failure-domain.beta.kubernetes.io/region", region.to_owned()),
    ] {
        labels.insert(key.to_owned(), value);
    }
    let kind = aws_model::ec2::instance_types::instance_type(&instance.instance_type);
    if let Some(kind) = kind {
        let arch = if kind.architecture == "arm64" { "arm64" } else { "amd64" };
        labels.entry("kubernetes.io/arch".to_owned()).or_insert_with(|| arch.to_owned());
    }
    let taints = kubernetes_taints(&instance.taints);
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
            gpus: kind.map_or(0, |kind| kind.gpus),
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
        // Generations first, then what they count, so that a change in between is seen again.
        let fargate_generation = self.fargate.generation() + *self.hybrid_changes.borrow();
        let mut snapshots = self.regions.subscribe(&caller);
        let first = tokio::time::timeout(FIRST_SNAPSHOT, snapshots.wait_for(|s| s.network.is_some())).await;
        let (current, network) = {
            let snapshot = first.ok()?.ok()?;
            (snapshot.cluster(&eks_cluster.name), snapshot.network.clone())
        };
        let instances = current.instances;
        let mut desired = DesiredNodes { generation: current.generation + fargate_generation, ..Default::default() };
        // Self-managed instances whose kubelet the cluster does not let in stay out.
        let mut refused = std::collections::HashSet::new();
        for instance in instances.iter() {
            let Some(self_managed) = &instance.self_managed else { continue };
            if !matches!(instance.state, InstanceState::Running | InstanceState::Stopping | InstanceState::Stopped) {
                continue;
            }
            let profile = self_managed.instance_profile_arn.as_deref();
            if let Err(why) = self.may_join(&caller, &eks_cluster, instance, profile).await {
                if self.refused.lock().expect("refused lock").insert(instance.instance_id.clone()) {
                    tracing::warn!(
                        instance = %instance.instance_id,
                        cluster = %eks_cluster.name,
                        "a self-managed instance cannot join: {why}"
                    );
                }
                refused.insert(instance.instance_id.clone());
            } else {
                self.refused.lock().expect("refused lock").remove(&instance.instance_id);
            }
        }
        {
            let mut known = self.instances.lock().expect("node instance lock");
            for instance in instances.iter().filter(|instance| !refused.contains(&instance.instance_id)) {
                // Only booted machines run a kubelet; a stopped one keeps its Node but goes silent.
                let failed = match instance.state {
                    InstanceState::Running => false,
                    InstanceState::Stopping | InstanceState::Stopped => true,
                    InstanceState::Pending | InstanceState::ShuttingDown | InstanceState::Terminated => continue,
                };
                let mut spec = node_spec(instance, &caller.region);
                // EKS Auto Mode names its nodes by instance id.
                let tags = network.as_ref().and_then(|network| network.tags.get(&instance.instance_id));
                if tags.is_some_and(|tags| tags.contains_key(super::fleet::AUTO_MODE_CLUSTER_TAG)) {
                    spec.name = instance.instance_id.clone();
                }
                let batch = aws_model::ec2::instance_types::instance_type(&instance.instance_type)
                    .map_or(WARM_BATCH, |kind| kind.ipv4_per_eni.saturating_sub(1).max(1) as usize);
                let addresses = NodeAddresses {
                    instance_id: instance.instance_id.clone(),
                    batch,
                    assigned: instance.secondary_ips.clone(),
                };
                known.insert((cluster.to_owned(), spec.name.clone()), addresses);
                if failed {
                    desired.failed.push(spec.name.clone());
                }
                if instance.draining {
                    desired.draining.push(spec.name.clone());
                }
                desired.nodes.push(spec);
            }
        }
        self.hybrid_specs(&caller, &eks_cluster, &mut desired).await;
        desired.nodes.extend(self.fargate.specs(cluster));
        Some(desired)
    }

    async fn changed(&self, cluster: &str, after: u64) {
        let Some(caller) = caller_of(cluster) else { return std::future::pending().await };
        // The EKS name is the first part of the Kubernetes one.
        let Some((name, _)) = cluster.split_once('.') else { return std::future::pending().await };
        let mut region = self.regions.subscribe(&caller);
        let mut fargate = self.fargate.subscribe();
        let mut hybrid = self.hybrid_changes.subscribe();
        loop {
            let generation = region.borrow_and_update().cluster(name).generation
                + *fargate.borrow_and_update()
                + *hybrid.borrow_and_update();
            if generation > after {
                return;
            }
            tokio::select! {
                changed = region.changed() => if changed.is_err() { return std::future::pending().await },
                changed = fargate.changed() => if changed.is_err() { return std::future::pending().await },
                changed = hybrid.changed() => if changed.is_err() { return std::future::pending().await },
            }
        }
    }

    async fn drained(&self, cluster: &str, node: &str) {
        let Some(caller) = caller_of(cluster) else { return };
        let instance = {
            let instances = self.instances.lock().expect("node instance lock");
            instances.get(&(cluster.to_owned(), node.to_owned())).map(|known| known.instance_id.clone())
        };
        let Some(instance) = instance else { return };
        if let Err(error) = self.autoscaling.node_drained(&caller, &instance).await {
            tracing::warn!(%error, %instance, "cannot let a drained node's instance go");
        }
    }

    fn ebs(&self, cluster: &str) -> Option<Arc<dyn controllers::ebs::EbsVolumes>> {
        Some(Arc::new(super::ebs::EbsCsi::for_cluster(cluster, self.eks.clone(), self.ec2.clone())?))
    }

    fn load_balancers(
        &self,
        cluster: &str,
        client: kube::Client,
    ) -> Option<Arc<dyn controllers::load_balancers::LoadBalancers>> {
        let (elb, elbv2) = self.load_balancing.clone()?;
        let caller = caller_of(cluster)?;
        // The EKS name is the first part of the Kubernetes one.
        let (name, _) = cluster.split_once('.')?;
        let aws = (self.eks.clone(), self.ec2.clone(), elb, elbv2);
        Some(Arc::new(super::load_balancers::ServiceLoadBalancers::new(caller, name, aws, client)))
    }

    fn node_groups(&self, cluster: &str) -> Option<Arc<dyn controllers::node_groups::NodeGroups>> {
        let caller = caller_of(cluster)?;
        // The EKS name is the first part of the Kubernetes one.
        let (name, _) = cluster.split_once('.')?;
        let (eks, ec2, autoscaling) = (self.eks.clone(), self.ec2.clone(), self.autoscaling.clone());
        let groups = super::node_groups::ClusterNodeGroups::new(caller, name, eks, ec2, autoscaling);
        Some(Arc::new(groups))
    }

    fn fleet(&self, cluster: &str) -> Option<Arc<dyn controllers::fleet::Fleet>> {
        let caller = caller_of(cluster)?;
        // The EKS name is the first part of the Kubernetes one.
        let (name, _) = cluster.split_once('.')?;
        let (eks, ec2, iam) = (self.eks.clone(), self.ec2.clone(), self.iam.clone());
        Some(Arc::new(super::fleet::ClusterFleet::new(caller, name, eks, ec2, iam)))
    }

    fn network(&self, cluster: &str) -> Option<Arc<dyn PodNetwork>> {
        let caller = caller_of(cluster)?;
        Some(Arc::new(VpcCni::new(
            cluster,
            caller,
            self.ec2.clone(),
            Arc::clone(&self.instances),
            self.fargate.clone(),
            Arc::clone(&self.hybrid),
        )))
    }
}

/// How long a node sync waits for its region's first reconcile.
const FIRST_SNAPSHOT: std::time::Duration = std::time::Duration::from_secs(5);

/// The account and region of an EKS cluster's Kubernetes side, named `<name>.<region>.<account>`.
pub(crate) fn caller_of(cluster: &str) -> Option<aws_model::eks::Caller> {
    let mut parts = cluster.rsplitn(3, '.');
    let (account, region) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    parts.next()?;
    Some(aws_model::eks::Caller { account, region, arn: String::new() })
}
