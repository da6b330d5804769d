//! The scheduler: picks a node for every pod that has none, as kube-scheduler does (filters, then scores), and
//! binds it through the pod's `binding` subresource.
//!
//! The decision is a pure function of the pod and a snapshot of the nodes and their pods; the loop around it is a
//! client of the cluster's API (a [`kube::Client`]).
