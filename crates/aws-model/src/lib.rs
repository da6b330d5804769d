//! The state and rules of the AWS services ekslite re-implements.
//!
//! - [`policy`]: the IAM policy language, parsing documents as IAM does and deciding whether a request is allowed;
//!   a decision core, values in and values out, no IO.
//! - [`eks`]: EKS clusters and what hangs off them (node groups, Fargate profiles, add-ons, access entries, ...),
//!   their validations and status lifecycle, stored as [`records`] in the store; the
//!   Kubernetes clusters behind them are reached through the narrow [`eks::KubernetesClusters`] trait.
//! - [`eks_auth`]: EKS Auth's AssumeRoleForPodIdentity, the credentials of a pod's associated role for its
//!   service account token.
//! - [`ec2`]: EC2 networking, instances and launch templates; [`autoscaling`]: the Auto Scaling groups of
//!   managed node groups, which keep their instances in line with the node groups.
//! - [`iam`]: IAM roles, users, access keys, policies, instance profiles and OIDC providers.
//! - [`ssm`]: SSM Parameter Store: parameters with versions, labels and tags, and the public parameters that
//!   name the EKS-optimized AMIs of [`ec2::images`].
//! - [`quotas`]: Service Quotas for the limits enforced here (EKS's clusters, node groups, nodes per group and
//!   Fargate profiles), with increase requests approved at once.
//! - [`sts`]: temporary credentials (role sessions, web identities) and the sessions requests are signed with.
//!
//! Nothing here knows the wire: decoding requests and writing replies is `aws-api`'s business.

pub mod autoscaling;
pub mod clock;
pub mod ec2;
pub mod efs;
pub mod eks;
pub mod eks_auth;
pub mod elb;
pub mod elbv2;
pub mod iam;
pub mod ids;
pub mod policy;
pub mod quotas;
pub mod records;
pub mod ssm;
pub mod sts;
