//! Simulated nodes: each registers its Node object, renews its Lease in `kube-node-lease` and runs the pods bound
//! to it as a kubelet would report them (container statuses, readiness, restarts, exits, pod IPs), without running
//! any container. One agent drives many nodes, as kwok does, so that clusters of thousands of nodes fit in one
//! process.
//!
//! The agent is a client of the cluster's API (a [`kube::Client`]).
