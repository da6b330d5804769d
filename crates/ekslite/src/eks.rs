//! Where EKS's AWS side meets the Kubernetes side, one role a file: EKS clusters are `ControlPlanes` clusters
//! (`clusters`) with the add-ons' objects (`addons`), EKS tokens are accepted by their API servers (`tokens`), STS checks web identity tokens with the
//! keys of their issuers (`oidc_keys`), node group instances become the data plane's nodes (`nodes`), Karpenter's
//! and EKS Auto Mode's instances come from EC2 Fleet (`fleet`), pods get
//! addresses of their node's subnet as the VPC CNI assigns them (`vpc_cni`), Fargate pods get a subnet and an
//! address of their profile (`fargate_capacity`), the EBS CSI driver's volumes are EC2 volumes (`ebs`), the EFS CSI
//! driver's are EFS access points, mounted where their file system has a mount target (`efs`), machines outside
//! AWS join as hybrid nodes through what nodeadm does (`hybrid`), and new pods get IRSA or Pod Identity credentials
//! wired in as EKS's pod identity webhook does (`pod_identity`) and get them from the Pod Identity Agent's
//! credentials API (`pod_identity_agent`).

pub mod addons;
pub mod clusters;
pub mod ebs;
pub mod efs;
pub mod fargate_capacity;
pub mod fleet;
pub mod hybrid;
pub mod load_balancers;
pub mod loopback;
pub mod node_groups;
pub mod nodes;
pub mod oidc_keys;
pub mod pod_identity;
pub mod pod_identity_agent;
pub mod tokens;
pub mod vpc_cni;
