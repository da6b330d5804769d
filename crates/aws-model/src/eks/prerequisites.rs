//! What EKS checks in the caller's IAM and EC2 before it creates anything: the roles it is handed (they must
//! exist, trust the right service and, for nodes, carry the managed policies nodes need) and the subnets and
//! security groups it is pointed at (they must exist, share one VPC, span two zones and, for Fargate, be
//! private). It also makes and removes the cluster security group EKS creates in the cluster's VPC.
//!
//! The decisions are functions of values ([`cluster_vpc`], [`node_role_problem`], ...); the [`Eks`] methods
//! around them read IAM and EC2. An [`Eks`] built without [`Eks::with_iam_and_ec2`] skips the lookups, which
//! only unit tests of other parts do.

use std::collections::BTreeMap;

use super::{Caller, Eks, EksError};
use crate::ec2::templates::TemplateName;
use crate::ec2::{CreateSecurityGroup, Direction, Ec2, Ec2Error, Kind, Peer, Rule, Scope, SubnetPlacement};
use crate::iam::{Iam, Role};

/// The policies EKS requires on a node role.
pub const NODE_ROLE_POLICIES: &[&str] = &[
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
];

/// Security groups deleted in one change of the network: each is a compare and a write of the change's
/// transaction, which holds at most [`crate::ec2::storage::MAX_WRITES`] writes, with room left for the kind's
/// generation counter.
const GROUPS_PER_CHANGE: usize = crate::ec2::storage::MAX_WRITES / 4;

/// The service principal that assumes a cluster role.
pub const CLUSTER_SERVICE: &str = "eks.amazonaws.com";
/// The service principal that assumes a node role.
pub const NODE_SERVICE: &str = "ec2.amazonaws.com";
/// The service principal that assumes the EKS Connector agent's role.
pub const CONNECTOR_SERVICE: &str = "ssm.amazonaws.com";
/// The service principal that assumes a Fargate pod execution role.
pub const FARGATE_SERVICE: &str = "eks-fargate-pods.amazonaws.com";

/// The description EKS gives the security group it creates for a cluster.
const CLUSTER_GROUP_DESCRIPTION: &str = "EKS created security group applied to ENI that is attached to EKS Control \
     Plane master nodes, as well as any managed workloads.";

/// The services EKS looks things up in.
#[derive(Debug, Clone)]
pub(crate) struct Lookups {
    pub(crate) iam: Iam,
    pub(crate) ec2: Ec2,
}

/// The network a new cluster gets: the VPC of its subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNetwork {
    pub vpc_id: String,
}

/// Who a role is for, which decides the service it must trust and how EKS words a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleUse {
    /// `roleArn` of CreateCluster.
    Cluster,
    /// `nodeRole` of CreateNodegroup.
    Node,
    /// `podExecutionRoleArn` of CreateFargateProfile.
    PodExecution,
    /// `connectorConfig.roleArn` of RegisterCluster: the EKS Connector agent's role, which must exist.
    Connector,
    /// `computeConfig.nodeRoleArn`: EKS Auto Mode's node role, which EC2 must be able to assume (its policies are
    /// not checked: Auto Mode nodes need fewer than a node group's).
    AutoModeNode,
}

impl RoleUse {
    fn service(self) -> &'static str {
        match self {
            RoleUse::Cluster => CLUSTER_SERVICE,
            RoleUse::Node | RoleUse::AutoModeNode => NODE_SERVICE,
            RoleUse::PodExecution => FARGATE_SERVICE,
            RoleUse::Connector => CONNECTOR_SERVICE,
        }
    }

    fn member(self) -> &'static str {
        match self {
            RoleUse::Cluster => "roleArn",
            RoleUse::Node => "nodeRole",
            RoleUse::PodExecution => "podExecutionRoleArn",
            RoleUse::Connector => "connectorConfig.roleArn",
            RoleUse::AutoModeNode => "computeConfig.nodeRoleArn",
        }
    }
}

/// Why EKS refuses a role, if it does: `role` is `None` when the caller's account has no role of that ARN.
pub fn role_problem(arn: &str, role: Option<&Role>, use_: RoleUse) -> Option<EksError> {
    let Some(role) = role else { return Some(cannot_assume(arn)) };
    // The agent's role is assumed through SSM on the remote cluster's side, which EKS does not check.
    if use_ == RoleUse::Connector || role.trusts_service(use_.service()) {
        return None;
    }
    Some(match use_ {
        RoleUse::Cluster | RoleUse::Connector => cannot_assume(arn),
        RoleUse::Node | RoleUse::PodExecution | RoleUse::AutoModeNode => EksError::InvalidParameter(format!(
            "Following required service principals [{}] were not found in the trust relationships of {} {arn}",
            use_.service(),
            use_.member()
        )),
    })
}

/// Why EKS refuses a node role for its policies: both of [`NODE_ROLE_POLICIES`] must be attached. The CNI
/// policy is not required, because it may sit on the `aws-node` service account's IRSA role instead.
pub fn node_role_problem(role: &Role) -> Option<EksError> {
    let missing = NODE_ROLE_POLICIES.iter().any(|arn| !role.attached_policies.iter().any(|attached| attached == arn));
    missing.then(|| {
        EksError::InvalidParameter(format!(
            "The provided role doesn't have the Amazon EKS Managed Policies associated with it. Please ensure the \
             following policies [{}] are attached",
            NODE_ROLE_POLICIES.join(", ")
        ))
    })
}

/// Whether EKS may tag the sessions of `role`: its trust policy allows `sts:TagSession` to EKS's principal.
pub fn trusts_session_tagging(role: &Role) -> bool {
    use crate::policy::{Policy, PolicyKind, PolicySet, Principal, Request, evaluate};
    let Ok(trust) = Policy::parse(&role.assume_role_policy, PolicyKind::Trust) else { return false };
    let request = Request::new(Principal::service(CLUSTER_SERVICE), "sts:TagSession", &role.arn);
    evaluate(&request, &PolicySet::new().resource(&role.arn, &trust)).is_allowed()
}

fn cannot_assume(arn: &str) -> EksError {
    EksError::InvalidParameter(format!(
        "Role with arn: {arn}, could not be assumed because it does not exist or the trusted entity is not correct"
    ))
}

/// An EC2 refusal as EKS passes it on: EC2's message with the service, status and code appended.
fn from_ec2(error: Ec2Error) -> EksError {
    let code = match &error {
        Ec2Error::SubnetNotFound(_) => "InvalidSubnetID.NotFound",
        Ec2Error::GroupNotFound(_) => "InvalidGroup.NotFound",
        Ec2Error::Server(message) => return EksError::Server(message.clone()),
        _ => "InvalidParameterValue",
    };
    EksError::InvalidParameter(format!(
        "{error} (Service: AmazonEC2; Status Code: 400; Error Code: {code}; Request ID: {}; Proxy: null)",
        crate::ids::uuid()
    ))
}

/// The VPC of a cluster's subnets: they must share one VPC and cover at least two availability zones.
pub fn cluster_vpc(placements: &[SubnetPlacement]) -> Result<ClusterNetwork, EksError> {
    let Some(first) = placements.first() else { return Err(two_zones()) };
    if placements.iter().any(|placement| placement.vpc_id != first.vpc_id) {
        return Err(EksError::InvalidParameter("Subnets specified must belong to the same VPC".into()));
    }
    let mut zones: Vec<&str> = placements.iter().map(|placement| placement.availability_zone.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    if zones.len() < 2 {
        return Err(two_zones());
    }
    Ok(ClusterNetwork { vpc_id: first.vpc_id.clone() })
}

fn two_zones() -> EksError {
    EksError::InvalidParameter("Subnets specified must be in at least two different AZs".into())
}

/// Checks the subnets of a node group or Fargate profile: in the cluster's VPC, and private for Fargate.
pub fn child_subnets_problem(
    placements: &[SubnetPlacement],
    cluster_vpc: &str,
    private_only: bool,
) -> Option<EksError> {
    if placements.iter().any(|placement| placement.vpc_id != cluster_vpc) {
        return Some(EksError::InvalidParameter(format!(
            "Specified subnets must belong to cluster's vpc {cluster_vpc}"
        )));
    }
    let public = placements.iter().find(|placement| private_only && placement.public)?;
    Some(EksError::InvalidParameter(format!(
        "Subnet {} provided in Fargate Profile is not a private subnet",
        public.subnet_id
    )))
}

impl Eks {
    /// Gives EKS the IAM and EC2 of the same server, so that it checks roles and networks as EKS does.
    pub fn with_iam_and_ec2(self, iam: Iam, ec2: Ec2) -> Eks {
        Eks { lookups: Some(Lookups { iam, ec2 }), ..self }
    }

    /// Refuses a role EKS could not use for `use_` (nodes also need their managed policies).
    pub(crate) async fn check_role(&self, caller: &Caller, arn: &str, use_: RoleUse) -> Result<(), EksError> {
        let Some(lookups) = &self.lookups else { return Ok(()) };
        let role = lookups.iam.role_by_arn(&caller.account, arn).await.map_err(|e| EksError::Server(e.to_string()))?;
        if let Some(problem) = role_problem(arn, role.as_ref(), use_) {
            return Err(problem);
        }
        match (use_, role) {
            (RoleUse::Node, Some(role)) => node_role_problem(&role).map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    /// Refuses a cluster role whose trust policy does not let EKS tag its sessions (`sts:TagSession`), which EKS
    /// Auto Mode needs beside `sts:AssumeRole`.
    pub(crate) async fn check_session_tagging(&self, caller: &Caller, arn: &str) -> Result<(), EksError> {
        let Some(lookups) = &self.lookups else { return Ok(()) };
        let role = lookups.iam.role_by_arn(&caller.account, arn).await.map_err(|e| EksError::Server(e.to_string()))?;
        match role {
            Some(role) if !trusts_session_tagging(&role) => Err(EksError::InvalidParameter(format!(
                "The cluster role {arn} must allow the sts:TagSession action for {CLUSTER_SERVICE} in its trust \
                 policy to use EKS Auto Mode"
            ))),
            _ => Ok(()),
        }
    }

    async fn placements(
        &self,
        caller: &Caller,
        subnet_ids: &[String],
    ) -> Result<Option<Vec<SubnetPlacement>>, EksError> {
        let Some(lookups) = &self.lookups else { return Ok(None) };
        lookups.ec2.subnet_placements(caller, subnet_ids).await.map(Some).map_err(from_ec2)
    }

    /// The network of a new cluster from its subnets and security groups; `None` without lookups.
    pub(crate) async fn check_cluster_network(
        &self,
        caller: &Caller,
        subnet_ids: &[String],
        security_group_ids: &[String],
    ) -> Result<Option<ClusterNetwork>, EksError> {
        let Some(placements) = self.placements(caller, subnet_ids).await? else { return Ok(None) };
        let network = cluster_vpc(&placements)?;
        let Some(lookups) = &self.lookups else { return Ok(None) };
        let groups =
            lookups
                .ec2
                .view(caller, &Scope::new().ids(Kind::SecurityGroup, security_group_ids.iter().cloned()), |network| {
                    security_group_ids
                        .iter()
                        .map(|id| {
                            network.security_groups.get(id).map(|group| (id.clone(), group.vpc_id.clone())).ok_or_else(
                                || Ec2Error::GroupNotFound(format!("The security group '{id}' does not exist")),
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .await
                .map_err(from_ec2)?
                .map_err(from_ec2)?;
        let elsewhere: Vec<&str> =
            groups.iter().filter(|(_, vpc)| *vpc != network.vpc_id).map(|(id, _)| id.as_str()).collect();
        if !elsewhere.is_empty() {
            return Err(EksError::InvalidParameter(format!(
                "Security group(s) [{}] are not in the same VPC as the subnets. Please specify different security \
                 group(s)",
                elsewhere.join(", ")
            )));
        }
        Ok(Some(network))
    }

    /// Whether an access entry's principal exists: an IAM user or role of that ARN (a role named by one of its
    /// sessions, whatever its path), or an account's root. `true` without lookups.
    pub(crate) async fn principal_exists(
        &self,
        principal: &super::access::Principal,
        canonical_arn: &str,
        session: bool,
    ) -> Result<bool, EksError> {
        use super::access::Principal;
        let Some(lookups) = &self.lookups else { return Ok(true) };
        // An entity that is not there (or whose name IAM would refuse) is no principal; IAM failing is an error.
        fn found<T>(read: Result<T, crate::iam::IamError>) -> Result<Option<T>, EksError> {
            use crate::iam::IamError::{InvalidInput, NoSuchEntity, Validation};
            match read {
                Ok(entity) => Ok(Some(entity)),
                Err(NoSuchEntity(_) | Validation(_) | InvalidInput(_)) => Ok(None),
                Err(error) => Err(EksError::Server(error.to_string())),
            }
        }
        Ok(match principal {
            Principal::Root { .. } => true,
            Principal::Role { account, name } => found(lookups.iam.get_role(account, name).await)?
                .is_some_and(|role| session || role.arn == canonical_arn),
            Principal::User { account, name } => {
                found(lookups.iam.get_user(account, name).await)?.is_some_and(|user| user.arn == canonical_arn)
            }
        })
    }

    /// The IPv4 blocks of a VPC (primary first, then the associated secondary ones); none without lookups.
    pub(crate) async fn vpc_blocks(&self, caller: &Caller, vpc_id: &str) -> Result<Vec<String>, EksError> {
        let Some(lookups) = &self.lookups else { return Ok(Vec::new()) };
        let blocks = lookups
            .ec2
            .view(caller, &Scope::new().ids(Kind::Vpc, [vpc_id]), |network| {
                network.vpcs.get(vpc_id).map(|vpc| {
                    std::iter::once(vpc.cidr_block.clone())
                        .chain(
                            vpc.secondary_cidr_blocks
                                .iter()
                                .filter(|b| b.disassociated_at.is_none())
                                .map(|b| b.cidr_block.clone()),
                        )
                        .collect::<Vec<_>>()
                })
            })
            .await
            .map_err(from_ec2)?;
        Ok(blocks.unwrap_or_default())
    }

    /// The launch template a node group names, by name or id, with both filled in and its version pinned (the
    /// template's default when none is given), as DescribeNodegroup reports it; a template or version that does
    /// not exist is refused. Unchanged without lookups.
    pub(crate) async fn resolve_launch_template(
        &self,
        caller: &Caller,
        template: &super::nodegroups::LaunchTemplate,
    ) -> Result<super::nodegroups::LaunchTemplate, EksError> {
        let Some(lookups) = &self.lookups else { return Ok(template.clone()) };
        let which = match (&template.id, &template.name) {
            (Some(id), _) => TemplateName::Id(id),
            (None, Some(name)) => TemplateName::Name(name),
            (None, None) => return Ok(template.clone()),
        };
        let found = lookups
            .ec2
            .view(caller, &crate::ec2::scopes::launch_templates(Some(&which)), |network| {
                let found = network.launch_template(&which)?;
                let version = found.version(template.version.as_deref())?;
                Ok::<_, Ec2Error>((found.id.clone(), found.name.clone(), version.number))
            })
            .await
            .map_err(from_ec2)?;
        let (id, name, version) = found.map_err(|error| match error {
            Ec2Error::Server(message) => EksError::Server(message),
            other => EksError::InvalidParameter(other.to_string()),
        })?;
        // A version asked for by name (`$Latest`, `$Default`) is kept as asked; a number is kept as the number.
        let version = template.version.clone().unwrap_or_else(|| version.to_string());
        Ok(super::nodegroups::LaunchTemplate { id: Some(id), name: Some(name), version: Some(version) })
    }

    /// Refuses a node group's remote access key that names no key pair of the region, as EKS does
    /// (`KeyPair <name> not found`). Nothing is checked without lookups.
    pub(crate) async fn check_ssh_key(&self, caller: &Caller, key_name: &str) -> Result<(), EksError> {
        let Some(lookups) = &self.lookups else { return Ok(()) };
        let found = lookups
            .ec2
            .view(caller, &crate::ec2::scopes::key_pairs(), |network| network.key_pair_by_name(key_name).is_ok())
            .await
            .map_err(from_ec2)?;
        if found { Ok(()) } else { Err(EksError::InvalidParameter(format!("KeyPair {key_name} not found"))) }
    }

    /// Refuses node group or Fargate subnets that do not exist, lie outside the cluster's VPC or, for Fargate,
    /// are public.
    pub(crate) async fn check_child_subnets(
        &self,
        caller: &Caller,
        cluster_vpc: &str,
        subnet_ids: &[String],
        private_only: bool,
    ) -> Result<(), EksError> {
        let Some(placements) = self.placements(caller, subnet_ids).await? else { return Ok(()) };
        if cluster_vpc.is_empty() {
            return Ok(());
        }
        child_subnets_problem(&placements, cluster_vpc, private_only).map_or(Ok(()), Err)
    }

    /// Creates the cluster security group in the cluster's VPC: `eks-cluster-sg-<cluster>-<digits>`, open to
    /// itself, tagged as EKS tags it. `None` without lookups.
    pub(crate) async fn create_cluster_security_group(
        &self,
        caller: &Caller,
        cluster: &str,
        vpc_id: &str,
    ) -> Result<Option<String>, EksError> {
        let Some(lookups) = &self.lookups else { return Ok(None) };
        let digits: String = crate::ids::hex_lower(8).bytes().take(10).map(|b| char::from(b'0' + b % 10)).collect();
        let name = format!("eks-cluster-sg-{cluster}-{digits}");
        let tags: BTreeMap<String, String> = [
            ("Name".to_owned(), name.clone()),
            (format!("kubernetes.io/cluster/{cluster}"), "owned".to_owned()),
            ("aws:eks:cluster-name".to_owned(), cluster.to_owned()),
        ]
        .into_iter()
        .collect();
        let input = CreateSecurityGroup {
            name: Some(name),
            description: Some(CLUSTER_GROUP_DESCRIPTION.into()),
            vpc_id: Some(vpc_id.to_owned()),
            tags,
        };
        let account = caller.account.clone();
        let id = lookups
            .ec2
            .change(caller, &crate::ec2::scopes::security_groups(), |network, ids| {
                let group = network.create_security_group(ids, &input)?;
                let itself =
                    Rule::new("-1", None, None, Peer::Group { group_id: group.id.clone(), user_id: account.clone() });
                network.authorize(&group.id, Direction::Ingress, &[itself])?;
                Ok(group.id)
            })
            .await
            .map_err(|error| EksError::Server(format!("creating the cluster security group failed: {error}")))?;
        Ok(Some(id))
    }

    /// Deletes cluster security groups, [`GROUPS_PER_CHANGE`] to a change of the network; one already gone, or
    /// still named by another group's rules, is left.
    pub(crate) async fn delete_cluster_security_groups(
        &self,
        caller: &Caller,
        group_ids: &[String],
    ) -> Result<(), EksError> {
        let Some(lookups) = &self.lookups else { return Ok(()) };
        for batch in group_ids.chunks(GROUPS_PER_CHANGE) {
            let scope = batch
                .iter()
                .fold(Scope::new(), |scope, group_id| scope.and(crate::ec2::scopes::delete_security_group(group_id)));
            let deleted = lookups
                .ec2
                .change(caller, &scope, |network, _| {
                    for group_id in batch {
                        // A refused delete changes nothing, so the others still go.
                        match network.delete_security_group(group_id) {
                            Ok(()) | Err(Ec2Error::GroupNotFound(_) | Ec2Error::DependencyViolation(_)) => {}
                            Err(error) => return Err(error),
                        }
                    }
                    Ok(())
                })
                .await;
            deleted.map_err(|error| EksError::Server(error.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
