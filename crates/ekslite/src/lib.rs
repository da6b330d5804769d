//! ekslite as a library: everything `ekslite serve`, `ekslite up` and the other commands run, so that the
//! benchmarks and tests build the server exactly as the binary does. `main.rs` only reads the command line.
//!
//! - `server`: one server wired together on an open store; `serve`: the `serve` command around it (store,
//!   registration, listener, signals).
//! - `eks`: where EKS's AWS side meets the clusters (clusters, tokens, OIDC keys, nodes, VPC CNI, Fargate capacity).
//! - `dataplane`, `regions`, `fargate`, `reconciler`: the clusters' data planes, each region's node group
//!   instances, Fargate's nodes and admission, and the background work EKS's asynchronous calls leave.
//! - `pod_traffic`, `metrics_server`: what pods' ports answer (the echo, and the programs simulated whole).
//! - `aws_endpoint`, `clusters`, `health`, `loads`: HTTP routes.
//! - `aws_client`, `client`, `up`: the client side (`up`/`down` and the `cluster` commands).

pub mod aws_client;
pub mod aws_endpoint;
pub mod client;
pub mod clusters;
pub mod dataplane;
pub mod eks;
pub mod fargate;
pub mod health;
pub mod loads;
pub mod metrics_server;
pub mod nodeadm;
pub mod pod_traffic;
pub mod reconciler;
pub mod regions;
pub mod serve;
pub mod server;
pub mod up;
