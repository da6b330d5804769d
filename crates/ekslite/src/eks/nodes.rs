//! The nodes of EKS clusters: the EC2 instances of their managed node groups (read through each region's Auto
//! Scaling reconcile, `regions.rs`), as the kubelet on each registers it (names, labels, taints, capacity and
//! addresses as EKS nodes have them), the pod network each cluster's nodes get (`vpc_cni.rs`) and where their
//! EBS volumes live (`ebs.rs`).

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
            regions: crate::regions::RegionSyncs::new(autoscaling),
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
        // Generations first, then what they count, so that a change in between is seen again.
        let fargate_generation = self.fargate.generation();
        let mut snapshots = self.regions.subscribe(&caller);
        let first = tokio::time::timeout(FIRST_SNAPSHOT, snapshots.wait_for(|s| s.network.is_some())).await;
        let current = first.ok()?.ok()?.cluster(&eks_cluster.name);
        let instances = current.instances;
        let mut desired = DesiredNodes { generation: current.generation + fargate_generation, ..Default::default() };
        let mut known = self.instances.lock().expect("node instance lock");
        for instance in instances.iter() {
            // Only booted machines run a kubelet; a stopped one keeps its Node but goes silent.
            let failed = match instance.state {
                InstanceState::Running => false,
                InstanceState::Stopping | InstanceState::Stopped => true,
                InstanceState::Pending | InstanceState::ShuttingDown | InstanceState::Terminated => continue,
            };
            let spec = node_spec(instance, &caller.region);
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
            desired.nodes.push(spec);
        }
        desired.nodes.extend(self.fargate.specs(cluster));
        Some(desired)
    }

    async fn changed(&self, cluster: &str, after: u64) {
        let Some(caller) = caller_of(cluster) else { return std::future::pending().await };
        // The EKS name is the first part of the Kubernetes one.
        let Some((name, _)) = cluster.split_once('.') else { return std::future::pending().await };
        let mut region = self.regions.subscribe(&caller);
        let mut fargate = self.fargate.subscribe();
        loop {
            if region.borrow_and_update().cluster(name).generation + *fargate.borrow_and_update() > after {
                return;
            }
            tokio::select! {
                changed = region.changed() => if changed.is_err() { return std::future::pending().await },
                changed = fargate.changed() => if changed.is_err() { return std::future::pending().await },
            }
        }
    }

    fn ebs(&self, cluster: &str) -> Option<Arc<dyn controllers::ebs::EbsVolumes>> {
        Some(Arc::new(super::ebs::EbsCsi::new(caller_of(cluster)?, self.ec2.clone())))
    }

    fn network(&self, cluster: &str) -> Option<Arc<dyn PodNetwork>> {
        let caller = caller_of(cluster)?;
        Some(Arc::new(VpcCni::new(
            cluster,
            caller,
            self.ec2.clone(),
            Arc::clone(&self.instances),
            self.fargate.clone(),
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
