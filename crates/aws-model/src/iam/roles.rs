//! Roles and their inline policies, and the EKS service-linked role.

use super::*;

impl Iam {
    fn parse_trust(document: &str) -> Result<(), IamError> {
        check::document(document, "assumeRolePolicyDocument")?;
        Policy::parse(document, PolicyKind::Trust).map_err(malformed)?;
        let size = policy::policy_size(document);
        if size > policy::TRUST_POLICY_DEFAULT_MAX_SIZE {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ACLSizePerRole: {}",
                policy::TRUST_POLICY_DEFAULT_MAX_SIZE
            )));
        }
        Ok(())
    }

    pub(super) async fn check_boundary(&self, account: &str, arn: &str) -> Result<(), IamError> {
        if self.find_policy(account, arn).await?.is_none() {
            return Err(IamError::NoSuchEntity(format!("Scope ARN: {arn} does not exist or is not attachable.")));
        }
        Ok(())
    }

    pub async fn create_role(&self, account: &str, input: CreateRole) -> Result<Role, IamError> {
        check::name(&input.name, "roleName", 64)?;
        let path = input.path.clone().unwrap_or_else(|| "/".into());
        check::path(&path)?;
        if let Some(description) = &input.description {
            check::description(description)?;
        }
        let max_session_duration = input.max_session_duration.unwrap_or(3600);
        check::max_session_duration(max_session_duration)?;
        check::tags(&input.tags)?;
        Self::parse_trust(&input.assume_role_policy)?;
        if let Some(boundary) = &input.permissions_boundary {
            self.check_boundary(account, boundary).await?;
        }
        let role = Role {
            arn: format!("arn:aws:iam::{account}:role{path}{}", input.name),
            name: input.name.clone(),
            path,
            id: unique_id("AROA"),
            created_at: self.now(),
            assume_role_policy: input.assume_role_policy,
            description: input.description,
            max_session_duration,
            permissions_boundary: input.permissions_boundary,
            tags: input.tags,
            attached_policies: Vec::new(),
            inline_policies: BTreeMap::new(),
        };
        let exists = IamError::EntityAlreadyExists(format!("Role with name {} already exists.", input.name));
        self.create(&key(account, ROLES, &role.name), &role, exists).await?;
        Ok(role)
    }

    /// A role by name; IAM's `NoSuchEntity` when there is none.
    pub async fn get_role(&self, account: &str, name: &str) -> Result<Role, IamError> {
        check::name(name, "roleName", 64)?;
        self.get(&key(account, ROLES, name)).await?.ok_or_else(|| role_not_found(name))
    }

    /// A role by ARN (path included), `None` when the account has no such role.
    pub async fn role_by_arn(&self, account: &str, arn: &str) -> Result<Option<Role>, IamError> {
        let Some(name) = arn.strip_prefix(&format!("arn:aws:iam::{account}:role/")).and_then(|r| r.rsplit('/').next())
        else {
            return Ok(None);
        };
        Ok(self.get::<Role>(&key(account, ROLES, name)).await?.filter(|role| role.arn == arn))
    }

    /// The ARNs of the managed policies attached to a role.
    pub async fn attached_role_policy_arns(&self, account: &str, role: &str) -> Result<Vec<String>, IamError> {
        Ok(self.get_role(account, role).await?.attached_policies)
    }

    pub async fn list_roles(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<Role>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let roles = self.list::<Role>(account, ROLES).await?;
        let items = roles.into_iter().filter(|r| under(&r.path, path_prefix)).map(|r| (r.name.to_lowercase(), r));
        paginate(items.collect(), paging)
    }

    pub(super) async fn modify_role<R>(
        &self,
        account: &str,
        name: &str,
        change: impl FnMut(&mut Role) -> Result<R, IamError>,
    ) -> Result<(Role, R), IamError> {
        check::name(name, "roleName", 64)?;
        self.modify(&key(account, ROLES, name), || role_not_found(name), change).await
    }

    pub async fn delete_role(&self, account: &str, name: &str) -> Result<(), IamError> {
        let role = self.get_role(account, name).await?;
        Self::modifiable_entity(&role)?;
        if !role.attached_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        if !role.inline_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
        }
        let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
        if profiles.iter().any(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name))) {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        self.delete_record(&key(account, ROLES, name), role_not_found(name)).await
    }

    pub async fn update_assume_role_policy(&self, account: &str, name: &str, document: &str) -> Result<(), IamError> {
        check::name(name, "roleName", 64)?;
        Self::parse_trust(document)?;
        self.modify_role(account, name, |role| {
            Self::modifiable_entity(role)?;
            role.assume_role_policy = document.to_owned();
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// UpdateRole: a new description and/or maximum session duration.
    pub async fn update_role(
        &self,
        account: &str,
        name: &str,
        description: Option<String>,
        max_session_duration: Option<i64>,
    ) -> Result<(), IamError> {
        if let Some(description) = &description {
            check::description(description)?;
        }
        if let Some(duration) = max_session_duration {
            check::max_session_duration(duration)?;
        }
        self.modify_role(account, name, |role| {
            Self::modifiable_entity(role)?;
            if let Some(description) = &description {
                role.description = Some(description.clone());
            }
            if let Some(duration) = max_session_duration {
                role.max_session_duration = duration;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Creates the EKS service-linked role in `account` unless it exists; called when a cluster is created.
    pub async fn ensure_eks_service_linked_role(&self, account: &str) -> Result<Role, IamError> {
        if let Some(role) = self.get::<Role>(&key(account, ROLES, EKS_SERVICE_LINKED_ROLE)).await? {
            return Ok(role);
        }
        match self.create_service_linked_role(account, "eks.amazonaws.com", None, None).await {
            Ok(role) => Ok(role),
            // Another create won the race: theirs is the role.
            Err(IamError::InvalidInput(_)) => self.get_role(account, EKS_SERVICE_LINKED_ROLE).await,
            Err(error) => Err(error),
        }
    }
}
