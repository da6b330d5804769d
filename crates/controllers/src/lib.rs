//! The controllers of kube-controller-manager that make a cluster's objects come true: workload controllers
//! (ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob), the horizontal pod autoscaler ([`hpa`]), the
//! garbage collector, Endpoints and
//! EndpointSlices, APIService availability, node lifecycle and disruption budgets (and draining nodes, [`drain`]), the
//! PersistentVolume controller with simulated EBS and EFS CSI drivers, (for clusters whose EBS volumes live in EC2)
//! the attach/detach controller, the signer of client certificates ([`csrsigning`]), (for clusters whose load
//! balancers live in Elastic Load Balancing) the service load balancer controller ([`servicelb`]) and (for clusters
//! whose nodes come from node groups) the cluster autoscaler ([`cluster_autoscaler`]), (for clusters whose
//! instances live in a fleet) Karpenter and EKS Auto Mode's node provisioning ([`karpenter`]); and the Vertical
//! Pod Autoscaler ([`vpa`]) while its components are installed.
//!
//! Every controller is a client of the cluster's API (a [`kube::Client`]), never of its store: inside ekslite the
//! client reaches the API server in-process, and the same code would run against any cluster.

/// Implements `kube::Resource` for a struct with a `metadata` field that stands for one kind of a
/// CustomResourceDefinition the controllers read and write (the AWS Load Balancer Controller's, Karpenter's, the
/// Vertical Pod Autoscaler's): `custom_resource!(Type, Scope, group, version, "Kind", "plural")`.
macro_rules! custom_resource {
    ($type:ty, $scope:ty, $group:expr, $version:literal, $kind:literal, $plural:literal) => {
        impl kube::Resource for $type {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                $kind.into()
            }

            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                $group.into()
            }

            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                $version.into()
            }

            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                $plural.into()
            }

            fn meta(&self) -> &kube::core::ObjectMeta {
                &self.metadata
            }

            fn meta_mut(&mut self) -> &mut kube::core::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

pub mod apiservice;
pub mod attachdetach;
pub mod cluster_autoscaler;
pub mod command_line;
pub mod csrsigning;
pub mod disruption;
pub mod drain;
pub mod ebs;
pub mod efs;
pub mod fleet;
pub mod hpa;
pub mod karpenter;
pub mod load_balancers;
pub mod node_groups;
pub mod nodelifecycle;
pub mod servicelb;
pub mod vpa;

use std::time::Duration;

mod batch_support;
mod crds;
mod cronjob;
mod daemonset;
mod deployment;
mod endpoints;
mod garbagecollector;
mod job;
mod replicaset;
mod statefulset;
mod volumes;

pub use batch_support::Clock;

/// Drops an object's `managedFields` as a watch hands it over. Nothing here reads them, writes never send them
/// back (patches), and they are often half of a decoded object: caches of thousands of pods keep far less.
pub fn without_managed_fields<K: kube::Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// What the controllers need to know besides the cluster.
#[derive(Debug, Clone)]
pub struct ControllersConfig {
    /// How long a node's Lease may go unrenewed before the node is NotReady (kube-controller-manager's
    /// `--node-monitor-grace-period`, 40 s upstream).
    pub node_monitor_grace_period: Duration,
    /// The Job controller's delay after a pod failure, doubled per consecutive failure (10 s upstream).
    pub job_backoff_base: Duration,
    /// The longest delay after pod failures (10 minutes upstream).
    pub job_backoff_max: Duration,
    /// The wall clock the Job, CronJob, DaemonSet and StatefulSet controllers compare object times with.
    pub clock: Clock,
    /// Where the simulated EBS CSI driver keeps its volumes: `None` (plain clusters) keeps them in Kubernetes
    /// alone; with one (EKS clusters: EC2), provisioning creates a volume there, pods' volumes are attached to
    /// their nodes' instances, and reclaiming deletes it.
    pub ebs: Option<std::sync::Arc<dyn ebs::EbsVolumes>>,
    /// Where the simulated EFS CSI driver's file systems live (EKS clusters: EFS): with one, classes of
    /// `efs.csi.aws.com` are provisioned as access points there; without, their claims wait.
    pub efs: Option<std::sync::Arc<dyn efs::EfsVolumes>>,
    /// The cluster's client CA, for the certificate signing controller; without one, approved requests wait.
    pub signing_ca: Option<csrsigning::SigningCa>,
    /// Where the cluster's load balancers live (EKS clusters: Elastic Load Balancing): with one, Services of type
    /// `LoadBalancer` get one ([`servicelb`]); without, they stay pending, as on a cluster with no cloud provider.
    pub load_balancers: Option<std::sync::Arc<dyn load_balancers::LoadBalancers>>,
    /// Where the load balancer controller tells the admission hooks what the AWS Load Balancer Controller's webhooks
    /// would do (readiness gates of new pods, the class of new Services).
    pub webhooks: Option<std::sync::Arc<servicelb::bindings::ControllerWebhooks>>,
    /// The HorizontalPodAutoscaler controller's settings (kube-controller-manager's
    /// `--horizontal-pod-autoscaler-*` flags).
    pub hpa: hpa::HpaConfig,
    /// Where the cluster's node groups live (EKS clusters: Auto Scaling): with them, the cluster autoscaler
    /// ([`cluster_autoscaler`]) runs, acting while its Deployment is installed in the cluster.
    pub node_groups: Option<std::sync::Arc<dyn node_groups::NodeGroups>>,
    /// Where the cluster's provisioned instances live (EKS clusters: EC2): with it, Karpenter runs, acting while its
    /// Deployment is installed in the cluster or while EKS Auto Mode is on.
    pub fleet: Option<std::sync::Arc<dyn fleet::Fleet>>,
    /// Where the Vertical Pod Autoscaler ([`vpa`]) keeps the recommendations its admission controller applies to new
    /// pods, for the binary's admission hook; without one they are kept where nothing reads them.
    pub vpa: Option<std::sync::Arc<vpa::Recommendations>>,
}

impl Default for ControllersConfig {
    fn default() -> Self {
        ControllersConfig {
            node_monitor_grace_period: Duration::from_secs(40),
            job_backoff_base: Duration::from_secs(10),
            job_backoff_max: Duration::from_secs(600),
            clock: Clock::system(),
            ebs: None,
            efs: None,
            signing_ca: None,
            load_balancers: None,
            webhooks: None,
            hpa: hpa::HpaConfig::default(),
            node_groups: None,
            fleet: None,
            vpa: None,
        }
    }
}

/// The controllers of one cluster, running until stopped (or dropped).
#[derive(Debug)]
pub struct Controllers {
    tasks: tokio::task::JoinSet<()>,
}

impl Controllers {
    /// Starts every controller against the cluster `client` reaches.
    pub fn start(client: kube::Client, config: ControllersConfig) -> Controllers {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(nodelifecycle::run(client.clone(), config.node_monitor_grace_period));
        tasks.spawn(disruption::run(client.clone()));
        let backoff = job::Backoff { base: config.job_backoff_base, max: config.job_backoff_max };
        tasks.spawn(job::run(client.clone(), config.clock.clone(), backoff));
        tasks.spawn(cronjob::run(client.clone(), config.clock.clone()));
        tasks.spawn(endpoints::run(client.clone()));
        tasks.spawn(apiservice::run(client.clone()));
        tasks.spawn(daemonset::run(client.clone(), config.clock.clone()));
        tasks.spawn(statefulset::run(client.clone(), config.clock.clone()));
        tasks.spawn(replicaset::run(client.clone()));
        tasks.spawn(replicaset::run_replication_controllers(client.clone()));
        tasks.spawn(deployment::run(client.clone()));
        tasks.spawn(garbagecollector::run(client.clone()));
        tasks.spawn(hpa::run(client.clone(), config.hpa.clone(), config.clock.clone()));
        tasks.spawn(vpa::run(client.clone(), config.vpa.clone().unwrap_or_default(), config.clock.clone()));
        tasks.spawn(volumes::run(client.clone(), config.ebs.clone(), config.efs.clone()));
        if let Some(ca) = config.signing_ca {
            tasks.spawn(csrsigning::run(client.clone(), ca));
        }
        if let Some(load_balancers) = config.load_balancers {
            tasks.spawn(servicelb::run(client.clone(), load_balancers, config.webhooks.clone()));
        }
        if let Some(node_groups) = config.node_groups {
            tasks.spawn(cluster_autoscaler::run(client.clone(), node_groups, config.clock.clone()));
        }
        if let Some(fleet) = config.fleet {
            tasks.spawn(karpenter::run(client.clone(), fleet, config.clock.clone()));
        }
        if let Some(ebs) = config.ebs {
            tasks.spawn(attachdetach::run(client.clone(), ebs));
        }
        Controllers { tasks }
    }

    /// Stops every controller.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}
