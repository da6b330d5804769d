//! The scheduler: picks a node for every pod that has none, as kube-scheduler does (filters, then scores), and
//! binds it through the pod's `binding` subresource.
//!
//! The decision is a pure function of the pod and a snapshot of the nodes and their pods; the loop around it is a
//! client of the cluster's API (a [`kube::Client`]).
//!
//! - [`Snapshot`] holds every node with the pods bound to it, and what scheduling reads of claims, volumes and
//!   storage classes, updated one watch event at a time.
//! - [`schedule`] decides: a node name, or [`Unschedulable`] with the reasons per node and, when lower-priority
//!   pods stand in the way, a [`Preemption`].
//! - [`run`] watches nodes, pods, namespaces, PersistentVolumeClaims, PersistentVolumes and StorageClasses,
//!   schedules pending pods, annotates the claims that wait for a pod's node with it, binds the pods, records events
//!   and conditions, and retries unschedulable pods with back-off when the cluster changes; pods to try wait in
//!   `queue`'s active queue, highest priority first.

mod queue;
mod resources;
mod run;
mod schedule;
mod snapshot;
mod volumes;

pub use resources::{Resources, pod_requests};
pub use run::run;
pub use schedule::{Preemption, Unschedulable, schedule, selector_matches};
pub use snapshot::{HOSTNAME_LABEL, NodeInfo, PodInfo, PodKey, Snapshot, ZONE_LABEL, pod_key};

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Pods whose `spec.schedulerName` is this are scheduled; others are left to their scheduler.
    pub scheduler_name: String,
}

impl Default for SchedulerConfig {
    fn default() -> SchedulerConfig {
        SchedulerConfig { scheduler_name: "default-scheduler".into() }
    }
}
