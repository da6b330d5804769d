//! Service-linked roles: CreateServiceLinkedRole for the services EKS clusters use (EKS, its node groups, Fargate
//! and connector, Auto Scaling, Elastic Load Balancing, EC2 Spot), DeleteServiceLinkedRole and its deletion status.
//! A service-linked role lives under `/aws-service-role/<service>/`, trusts its service, carries the service's
//! managed policy and can only be changed by that service; the EKS role is also made with an account's first
//! cluster ([`Iam::ensure_eks_service_linked_role`]).

use super::*;

/// A service that has a service-linked role.
struct LinkedService {
    service: &'static str,
    role: &'static str,
    description: &'static str,
    policy: &'static str,
    /// Whether a `CustomSuffix` may name more than one role of the service.
    custom_suffix: bool,
}

const LINKED_SERVICES: &[LinkedService] = &[
    LinkedService {
        service: "eks.amazonaws.com",
        role: EKS_SERVICE_LINKED_ROLE,
        description: "Allows Amazon EKS to call AWS services on your behalf.",
        policy: "AmazonEKSServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "eks-nodegroup.amazonaws.com",
        role: "AWSServiceRoleForAmazonEKSNodegroup",
        description: "This policy allows Amazon EKS to create and manage Nodegroups",
        policy: "AWSServiceRoleForAmazonEKSNodegroup",
        custom_suffix: false,
    },
    LinkedService {
        service: "eks-fargate.amazonaws.com",
        role: "AWSServiceRoleForAmazonEKSForFargate",
        description: "This policy grants necessary permissions to Amazon EKS to run fargate tasks",
        policy: "AmazonEKSForFargateServiceRolePolicy",
        custom_suffix: false,
    },
    LinkedService {
        service: "autoscaling.amazonaws.com",
        role: "AWSServiceRoleForAutoScaling",
        description: "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling",
        policy: "AutoScalingServiceRolePolicy",
        custom_suffix: true,
    },
    LinkedService {
        service: "elasticloadbalancing.amazonaws.com",
        role: "AWSServiceRoleForElasticLoadBalancing",
        description: "Allows ELB to call AWS services on your behalf.",
        policy: "AWSElasticLoadBalancingServiceRolePolicy",
        custom_suffix: false,
    },
];

/// The service of a service-linked role's path (`/aws-service-role/<service>/`).
fn service_of(role: &Role) -> Option<&str> {
    role.path.strip_prefix("/aws-service-role/")?.strip_suffix('/')
}

impl Iam {
    /// CreateServiceLinkedRole: the service's role, named `AWSServiceRoleFor...` (with `_<suffix>` where the
    /// service allows one).
    pub async fn create_service_linked_role(
        &self,
        account: &str,
        service: &str,
        description: Option<&str>,
        custom_suffix: Option<&str>,
    ) -> Result<Role, IamError> {
        let Some(linked) = LINKED_SERVICES.iter().find(|linked| linked.service == service) else {
            return Err(IamError::InvalidInput(format!(
                "Service name {service} does not have a service-linked role here, or is not a valid AWS service"
            )));
        };
        if let Some(description) = description {
            check::description(description)?;
        }
        let name = match custom_suffix {
            None => linked.role.to_owned(),
            Some(_) if !linked.custom_suffix => {
                return Err(IamError::InvalidInput(format!("Custom suffix is not allowed for {service}")));
            }
            Some(suffix) => {
                check::name(suffix, "customSuffix", 64 - linked.role.len() - 1)?;
                format!("{}_{suffix}", linked.role)
            }
        };
        let path = format!("/aws-service-role/{service}/");
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let role = Role {
            arn: format!("arn:aws:iam::{account}:role{path}{name}"),
            name: name.clone(),
            path,
            id: unique_id("AROA"),
            created_at: self.now(),
            assume_role_policy: trust,
            description: Some(description.unwrap_or(linked.description).to_owned()),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Vec::new(),
            attached_policies: vec![format!("arn:aws:iam::aws:policy/aws-service-role/{}", linked.policy)],
            inline_policies: BTreeMap::new(),
        };
        let taken = IamError::InvalidInput(format!(
            "Service role name {name} has been taken in this account, please try a different suffix."
        ));
        self.create(&key(account, ROLES, &name), &role, taken).await?;
        Ok(role)
    }

    /// DeleteServiceLinkedRole: the role goes at once; the deletion task id names it.
    pub async fn delete_service_linked_role(&self, account: &str, name: &str) -> Result<String, IamError> {
        let role = self.get_role(account, name).await?;
        let Some(service) = service_of(&role) else {
            return Err(IamError::InvalidInput(format!("Role {name} is not a service-linked role.")));
        };
        let task = format!("task/aws-service-role/{service}/{}/{}", role.name, crate::ids::uuid());
        self.delete_record(&key(account, ROLES, &role.name), role_not_found(name)).await?;
        Ok(task)
    }

    /// GetServiceLinkedRoleDeletionStatus: `SUCCEEDED` once the task's role is gone (deletions finish at once).
    pub async fn service_linked_role_deletion_status(
        &self,
        account: &str,
        task: &str,
    ) -> Result<&'static str, IamError> {
        let invalid = || IamError::InvalidInput(format!("Invalid deletion task id: {task}"));
        let rest = task.strip_prefix("task/aws-service-role/").ok_or_else(invalid)?;
        let mut parts = rest.split('/');
        let (Some(service), Some(role), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if !LINKED_SERVICES.iter().any(|linked| linked.service == service) || id.len() != 36 {
            return Err(IamError::NoSuchEntity(format!("Deletion task {task} cannot be found.")));
        }
        check::name(role, "roleName", 64)?;
        let exists = self.get::<Role>(&key(account, ROLES, role)).await?.is_some();
        Ok(if exists { "IN_PROGRESS" } else { "SUCCEEDED" })
    }
}
