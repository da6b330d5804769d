//! EKS clusters' node groups for the cluster autoscaler: what `controllers::cluster_autoscaler` asks through
//! `controllers::node_groups::NodeGroups`, done in the cluster's account and region as cluster-autoscaler's AWS
//! cloud provider does it through the Auto Scaling API (DescribeAutoScalingGroups, SetDesiredCapacity,
//! TerminateInstanceInAutoScalingGroup with `ShouldDecrementDesiredCapacity`).
//!
//! The groups are the Auto Scaling groups of the cluster's managed node groups (tagged
//! `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>` as EKS tags them). A group's
//! template node is the node its next instance would register (`nodes::node_spec`: the node group's labels and
//! taints, its instance type's cpu, memory and max pods, the group's first zone) with the allocatable the EKS AMI
//! leaves. A group whose instance type is not in the instance type table has no template.
//!
//! An instance goes as the node group's own scale-in takes it, so that the two never fight: it is stopped, then the
//! desired capacity is lowered by one, and a scale-in takes a stopped member first and terminates it at once (its
//! node was drained already). TerminateInstanceInAutoScalingGroup with a decrement ends the same, but it writes
//! the termination and the smaller size one after the other, and a reconcile of the region in between would
//! launch a replacement and then drain another node to shrink.

use std::net::Ipv4Addr;

use aws_model::autoscaling::{AutoScaling, AutoScalingGroup, NodeInstance};
use aws_model::ec2::instance_types::{DEFAULT_INSTANCE_TYPE, instance_type};
use aws_model::ec2::{Ec2, InstanceState, Network, StateRequest, scopes};
use aws_model::eks::nodegroups::Nodegroup;
use aws_model::eks::{Caller, Eks};
use controllers::node_groups::{GroupInstance, NodeGroup, NodeGroups, NodeTemplate};

/// One EKS cluster's node groups.
#[derive(Debug)]
pub struct ClusterNodeGroups {
    caller: Caller,
    /// The EKS cluster's name.
    cluster: String,
    eks: Eks,
    ec2: Ec2,
    autoscaling: AutoScaling,
}

impl ClusterNodeGroups {
    pub fn new(caller: Caller, cluster: &str, eks: Eks, ec2: Ec2, autoscaling: AutoScaling) -> ClusterNodeGroups {
        ClusterNodeGroups { caller, cluster: cluster.to_owned(), eks, ec2, autoscaling }
    }
}

/// The instance type a group's next instance gets: the node group's first, else its launch template's, else
/// EKS's default.
fn next_instance_type(nodegroup: &Nodegroup, group: &AutoScalingGroup, network: &Network) -> String {
    if let Some(first) = nodegroup.instance_types.first() {
        return first.clone();
    }
    network
        .launch_templates
        .get(&group.launch_template.id)
        .and_then(|template| template.version(Some(&group.launch_template.version)).ok())
        .and_then(|version| version.data.instance_type.clone())
        .unwrap_or_else(|| DEFAULT_INSTANCE_TYPE.to_owned())
}

/// The node a new instance of the group would register, or `None` for an unknown instance type.
pub fn template(nodegroup: &Nodegroup, instance_type_name: &str, zone: &str, region: &str) -> Option<NodeTemplate> {
    let instance = NodeInstance {
        instance_id: "i-template".into(),
        instance_type: instance_type_name.to_owned(),
        vcpus: 0,
        memory_mib: 0,
        max_pods: 0,
        availability_zone: zone.to_owned(),
        subnet_id: String::new(),
        subnet_cidr: String::new(),
        private_ip: Ipv4Addr::UNSPECIFIED,
        private_dns_name: "template".into(),
        secondary_ips: Vec::new(),
        nodegroup: nodegroup.name.clone(),
        capacity_type: nodegroup.capacity_type.clone(),
        state: InstanceState::Running,
        launched_at: 0.0,
        labels: nodegroup.labels.clone(),
        taints: nodegroup.taints.clone(),
        self_managed: None,
        draining: false,
    };
    template_of(instance, region)
}

/// The node `instance` registers once its instance type's cpu, memory and max pods are filled in; `None` for an
/// unknown instance type.
pub fn template_of(mut instance: NodeInstance, region: &str) -> Option<NodeTemplate> {
    let kind = instance_type(&instance.instance_type)?;
    instance.vcpus = kind.vcpus;
    instance.memory_mib = kind.memory_mib;
    instance.max_pods = kind.max_pods();
    let spec = super::nodes::node_spec(&instance, region);
    let allocatable = node_agent::node::allocatable(&spec.capacity);
    // As the kubelet registers them (OS and architecture too); the autoscaler names the host.
    let mut labels = node_agent::node::labels(&spec);
    labels.remove("kubernetes.io/hostname");
    Some(NodeTemplate {
        instance_type: instance.instance_type.clone(),
        labels,
        taints: spec.taints,
        zone: instance.availability_zone.clone(),
        capacity_cpu_millis: spec.capacity.cpu_millis,
        capacity_memory_bytes: spec.capacity.memory_bytes,
        allocatable_cpu_millis: allocatable.cpu_millis,
        allocatable_memory_bytes: allocatable.memory_bytes,
        allocatable_ephemeral_storage_bytes: allocatable.ephemeral_storage_bytes,
        max_pods: allocatable.pods,
        gpus: allocatable.gpus,
        price_per_hour: None,
    })
}

#[async_trait::async_trait]
impl NodeGroups for ClusterNodeGroups {
    async fn groups(&self) -> Result<Vec<NodeGroup>, String> {
        let network = self.autoscaling.sync(&self.caller).await.map_err(|e| e.to_string())?;
        let nodegroups = self.eks.all_nodegroups(&self.caller).await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for group in network.auto_scaling_groups.values() {
            if group.cluster != self.cluster || group.deleting || group.is_user_group() {
                continue;
            }
            let Some(nodegroup) =
                nodegroups.iter().find(|n| n.cluster == self.cluster && n.auto_scaling_group == group.name)
            else {
                continue;
            };
            let zone = group.availability_zones.first().cloned().unwrap_or_default();
            let kind = next_instance_type(nodegroup, group, &network);
            let instances = group
                .instances
                .iter()
                .filter_map(|id| network.instances.get(id))
                .map(|instance| GroupInstance {
                    id: instance.id.clone(),
                    provider_id: format!("aws:///{}/{}", instance.availability_zone, instance.id),
                })
                .collect();
            out.push(NodeGroup {
                id: group.name.clone(),
                min_size: group.min_size,
                max_size: group.max_size,
                target_size: group.desired_capacity,
                tags: group.tags.clone(),
                template: template(nodegroup, &kind, &zone, &self.caller.region),
                instances,
            });
        }
        Ok(out)
    }

    async fn set_target_size(&self, group: &str, size: i64) -> Result<(), String> {
        self.autoscaling.set_desired_capacity(&self.caller, group, size).await.map_err(|e| e.to_string())
    }

    async fn delete_instance(&self, group: &str, instance_id: &str) -> Result<(), String> {
        let network = self.autoscaling.sync(&self.caller).await.map_err(|e| e.to_string())?;
        let owner = network.auto_scaling_groups.get(group).ok_or_else(|| format!("no group {group}"))?;
        if !owner.instances.iter().any(|id| id == instance_id) {
            return Err(format!("{instance_id} is not a member of {group}"));
        }
        if owner.desired_capacity <= owner.min_size {
            return Err(format!("{group} is at its minimum size {}", owner.min_size));
        }
        let smaller = owner.desired_capacity - 1;
        let ids = vec![instance_id.to_owned()];
        let now = self.ec2.now();
        self.ec2
            .change_widening(&self.caller, &scopes::instance_ids(&ids), scopes::instance_subnets, |network, _| {
                network.change_instance_states(&ids, StateRequest::Stop, now).map(drop)
            })
            .await
            .map_err(|e| e.to_string())?;
        self.autoscaling.set_desired_capacity(&self.caller, group, smaller).await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests;
