//! Managed policies: customer managed ones and their versions, the AWS managed catalog, and attachments to
//! roles and users.

use super::*;

impl Iam {
    /// The managed policy an ARN names, AWS managed or of this account.
    pub(super) async fn find_policy(&self, account: &str, arn: &str) -> Result<Option<ManagedPolicy>, IamError> {
        if let Some(policy) = managed::policy(arn) {
            return Ok(Some(policy));
        }
        let Some(rest) = arn.strip_prefix(&format!("arn:aws:iam::{account}:policy/")) else { return Ok(None) };
        let name = rest.rsplit('/').next().unwrap_or_default();
        if name.is_empty() {
            return Ok(None);
        }
        Ok(self.get::<ManagedPolicy>(&key(account, POLICIES, name)).await?.filter(|p| p.arn == arn))
    }

    pub(super) fn check_arn(arn: &str, member: &str) -> Result<(), IamError> {
        if arn.len() < 20 {
            return Err(check::constraint(arn, member, "Member must have length greater than or equal to 20"));
        }
        if arn.len() > 2048 {
            return Err(check::constraint(arn, member, "Member must have length less than or equal to 2048"));
        }
        if !arn.starts_with("arn:") {
            return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
        }
        Ok(())
    }

    /// Attachment and boundary counts of every policy in the account, by ARN.
    pub(super) async fn usage(&self, account: &str) -> Result<BTreeMap<String, (usize, usize)>, IamError> {
        let mut usage: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for role in self.list::<Role>(account, ROLES).await? {
            for arn in role.attached_policies {
                usage.entry(arn).or_default().0 += 1;
            }
            if let Some(arn) = role.permissions_boundary {
                usage.entry(arn).or_default().1 += 1;
            }
        }
        for group in self.list::<Group>(account, GROUPS).await? {
            for arn in group.attached_policies {
                usage.entry(arn).or_default().0 += 1;
            }
        }
        for user in self.list::<User>(account, USERS).await? {
            for arn in user.attached_policies {
                usage.entry(arn).or_default().0 += 1;
            }
            if let Some(arn) = user.permissions_boundary {
                usage.entry(arn).or_default().1 += 1;
            }
        }
        Ok(usage)
    }

    pub(super) fn view(policy: ManagedPolicy, usage: &BTreeMap<String, (usize, usize)>) -> PolicyView {
        let (attachment_count, boundary_count) = usage.get(&policy.arn).copied().unwrap_or_default();
        PolicyView { policy, attachment_count, boundary_count }
    }

    fn parse_managed(document: &str) -> Result<(), IamError> {
        check::document(document, "policyDocument")?;
        Policy::parse(document, PolicyKind::Managed).map_err(malformed)?;
        if policy::policy_size(document) > policy::MANAGED_POLICY_MAX_SIZE {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PolicySize: {}",
                policy::MANAGED_POLICY_MAX_SIZE
            )));
        }
        Ok(())
    }

    pub async fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<PolicyView, IamError> {
        check::name(name, "policyName", 128)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        if let Some(description) = &description {
            check::description(description)?;
        }
        check::tags(&tags)?;
        Self::parse_managed(document)?;
        let now = self.now();
        let policy = ManagedPolicy {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("ANPA"),
            arn: format!("arn:aws:iam::{account}:policy{path}{name}"),
            description,
            created_at: now,
            updated_at: now,
            default_version: "v1".into(),
            versions: vec![PolicyVersion { version_id: "v1".into(), document: document.to_owned(), created_at: now }],
            next_version: 2,
            tags,
        };
        let exists = IamError::EntityAlreadyExists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        ));
        self.create(&key(account, POLICIES, name), &policy, exists).await?;
        Ok(PolicyView { policy, attachment_count: 0, boundary_count: 0 })
    }

    pub async fn get_policy(&self, account: &str, arn: &str) -> Result<PolicyView, IamError> {
        Self::check_arn(arn, "policyArn")?;
        let policy = self.find_policy(account, arn).await?.ok_or_else(|| policy_not_found(arn))?;
        Ok(Self::view(policy, &self.usage(account).await?))
    }

    pub async fn list_policies(
        &self,
        account: &str,
        scope: PolicyScope,
        only_attached: bool,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<PolicyView>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let usage = self.usage(account).await?;
        let mut policies = Vec::new();
        if scope != PolicyScope::Local {
            policies.extend(managed::policies());
        }
        if scope != PolicyScope::Aws {
            policies.extend(self.list::<ManagedPolicy>(account, POLICIES).await?);
        }
        let items = policies
            .into_iter()
            .filter(|p| under(&p.path, path_prefix))
            .map(|p| Self::view(p, &usage))
            .filter(|view| !only_attached || view.attachment_count > 0)
            .map(|view| (view.policy.arn.clone(), view));
        paginate(items.collect(), paging)
    }

    /// The stored (customer managed) policy an ARN names; AWS managed policies cannot be changed.
    pub(super) async fn local_policy_key(&self, account: &str, arn: &str) -> Result<String, IamError> {
        Self::check_arn(arn, "policyArn")?;
        match self.find_policy(account, arn).await? {
            None => Err(policy_not_found(arn)),
            Some(policy) if policy.is_aws_managed() => Err(IamError::UnmodifiableEntity(format!(
                "Policy {arn} is an AWS managed policy and cannot be changed."
            ))),
            Some(policy) => Ok(key(account, POLICIES, &policy.name)),
        }
    }

    pub async fn delete_policy(&self, account: &str, arn: &str) -> Result<(), IamError> {
        let key = self.local_policy_key(account, arn).await?;
        let (attached, boundary) = self.usage(account).await?.get(arn).copied().unwrap_or_default();
        if attached > 0 {
            return Err(IamError::DeleteConflict("Cannot delete a policy attached to entities.".into()));
        }
        if boundary > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete a policy that is used as a permissions boundary.".into(),
            ));
        }
        let policy: ManagedPolicy = self.get(&key).await?.ok_or_else(|| policy_not_found(arn))?;
        if policy.versions.len() > 1 {
            return Err(IamError::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's \
                 versions. The default version is deleted with the policy."
                    .into(),
            ));
        }
        self.delete_record(&key, policy_not_found(arn)).await
    }

    pub async fn create_policy_version(
        &self,
        account: &str,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<(PolicyVersion, bool), IamError> {
        let key = self.local_policy_key(account, arn).await?;
        Self::parse_managed(document)?;
        let now = self.now();
        let (_, version) = self
            .modify(
                &key,
                || policy_not_found(arn),
                |policy: &mut ManagedPolicy| {
                    if policy.versions.len() >= MAX_POLICY_VERSIONS {
                        return Err(IamError::LimitExceeded(format!(
                            "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new \
                         version, you must delete an existing version."
                        )));
                    }
                    let version = PolicyVersion {
                        version_id: format!("v{}", policy.next_version),
                        document: document.to_owned(),
                        created_at: now,
                    };
                    policy.next_version += 1;
                    policy.versions.push(version.clone());
                    if set_as_default {
                        policy.default_version = version.version_id.clone();
                    }
                    policy.updated_at = now;
                    Ok(version)
                },
            )
            .await?;
        Ok((version, set_as_default))
    }

    fn version_not_found(arn: &str, version: &str) -> IamError {
        IamError::NoSuchEntity(format!("Policy {arn} version {version} does not exist or is not attachable."))
    }

    fn check_version_id(version: &str) -> Result<(), IamError> {
        let digits = version.strip_prefix('v').unwrap_or_default();
        let number = digits.split('.').next().unwrap_or_default();
        let valid = !number.is_empty()
            && !number.starts_with('0')
            && number.bytes().all(|b| b.is_ascii_digit())
            && digits[number.len()..].chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if valid {
            Ok(())
        } else {
            Err(check::constraint(
                version,
                "versionId",
                "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
            ))
        }
    }

    /// One version and whether it is the default.
    pub async fn get_policy_version(
        &self,
        account: &str,
        arn: &str,
        version: &str,
    ) -> Result<(PolicyVersion, bool), IamError> {
        Self::check_arn(arn, "policyArn")?;
        Self::check_version_id(version)?;
        let policy = self.find_policy(account, arn).await?.ok_or_else(|| policy_not_found(arn))?;
        let found = policy.versions.iter().find(|v| v.version_id == version).cloned();
        let found = found.ok_or_else(|| Self::version_not_found(arn, version))?;
        Ok((found, policy.default_version == version))
    }

    /// Every version, newest first, with whether it is the default.
    pub async fn list_policy_versions(
        &self,
        account: &str,
        arn: &str,
        paging: &Paging,
    ) -> Result<Page<(PolicyVersion, bool)>, IamError> {
        Self::check_arn(arn, "policyArn")?;
        let policy = self.find_policy(account, arn).await?.ok_or_else(|| policy_not_found(arn))?;
        let items = policy.versions.iter().rev().enumerate().map(|(index, version)| {
            (format!("{index:04}"), (version.clone(), version.version_id == policy.default_version))
        });
        paginate(items.collect(), paging)
    }

    pub async fn delete_policy_version(&self, account: &str, arn: &str, version: &str) -> Result<(), IamError> {
        Self::check_version_id(version)?;
        let key = self.local_policy_key(account, arn).await?;
        self.modify(
            &key,
            || policy_not_found(arn),
            |policy: &mut ManagedPolicy| {
                if !policy.versions.iter().any(|v| v.version_id == version) {
                    return Err(Self::version_not_found(arn, version));
                }
                if policy.default_version == version {
                    return Err(IamError::DeleteConflict("Cannot delete the default version of a policy.".into()));
                }
                policy.versions.retain(|v| v.version_id != version);
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn set_default_policy_version(&self, account: &str, arn: &str, version: &str) -> Result<(), IamError> {
        Self::check_version_id(version)?;
        let key = self.local_policy_key(account, arn).await?;
        let now = self.now();
        self.modify(
            &key,
            || policy_not_found(arn),
            |policy: &mut ManagedPolicy| {
                if !policy.versions.iter().any(|v| v.version_id == version) {
                    return Err(Self::version_not_found(arn, version));
                }
                policy.default_version = version.to_owned();
                policy.updated_at = now;
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    /// The managed policy an attach call names; IAM's `NoSuchEntity` when there is none to attach.
    pub(super) async fn attachable(&self, account: &str, arn: &str) -> Result<ManagedPolicy, IamError> {
        Self::check_arn(arn, "policyArn")?;
        self.find_policy(account, arn).await?.ok_or_else(|| not_attachable(arn))
    }

    /// Adds a policy ARN to an attachment list (once), keeping IAM's quota.
    pub(super) fn attach(list: &mut Vec<String>, arn: &str, quota: &str) -> Result<(), IamError> {
        if list.iter().any(|a| a == arn) {
            return Ok(());
        }
        if list.len() >= MAX_ATTACHED_POLICIES {
            return Err(IamError::LimitExceeded(format!("Cannot exceed quota for {quota}: {MAX_ATTACHED_POLICIES}")));
        }
        list.push(arn.to_owned());
        Ok(())
    }

    pub(super) fn detach(list: &mut Vec<String>, arn: &str) -> Result<(), IamError> {
        let before = list.len();
        list.retain(|a| a != arn);
        if list.len() == before {
            return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")));
        }
        Ok(())
    }

    pub(super) async fn attached_page(
        &self,
        account: &str,
        arns: Vec<String>,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let mut items = Vec::new();
        for (index, arn) in arns.into_iter().enumerate() {
            let Some(policy) = self.find_policy(account, &arn).await? else { continue };
            if under(&policy.path, path_prefix) {
                items.push((format!("{index:04}"), (policy.name, arn)));
            }
        }
        paginate(items, paging)
    }

    pub async fn attach_role_policy(&self, account: &str, role: &str, arn: &str) -> Result<(), IamError> {
        check::name(role, "roleName", 64)?;
        self.attachable(account, arn).await?;
        self.modify_role(account, role, |stored| {
            Self::modifiable_entity(stored)?;
            Self::attach(&mut stored.attached_policies, arn, "PoliciesPerRole")
        })
        .await?;
        Ok(())
    }

    pub async fn detach_role_policy(&self, account: &str, role: &str, arn: &str) -> Result<(), IamError> {
        Self::check_arn(arn, "policyArn")?;
        self.modify_role(account, role, |stored| {
            Self::modifiable_entity(stored)?;
            Self::detach(&mut stored.attached_policies, arn)
        })
        .await?;
        Ok(())
    }

    /// `(policy name, policy ARN)` of a role's attached policies.
    pub async fn list_attached_role_policies(
        &self,
        account: &str,
        role: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        let stored = self.get_role(account, role).await?;
        self.attached_page(account, stored.attached_policies, path_prefix, paging).await
    }

    pub async fn attach_user_policy(&self, account: &str, user: &str, arn: &str) -> Result<(), IamError> {
        check::name(user, "userName", 64)?;
        self.attachable(account, arn).await?;
        self.modify(
            &key(account, USERS, user),
            || user_not_found(user),
            |stored: &mut User| Self::attach(&mut stored.attached_policies, arn, "PoliciesPerUser"),
        )
        .await?;
        Ok(())
    }

    pub async fn detach_user_policy(&self, account: &str, user: &str, arn: &str) -> Result<(), IamError> {
        check::name(user, "userName", 64)?;
        Self::check_arn(arn, "policyArn")?;
        self.modify(
            &key(account, USERS, user),
            || user_not_found(user),
            |stored: &mut User| Self::detach(&mut stored.attached_policies, arn),
        )
        .await?;
        Ok(())
    }

    pub async fn list_attached_user_policies(
        &self,
        account: &str,
        user: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        let stored = self.get_user(account, user).await?;
        self.attached_page(account, stored.attached_policies, path_prefix, paging).await
    }

    /// The policies that decide a user's or role's own requests: the default documents of its attached managed
    /// policies and its inline policies, each with its name (ARN or inline name), and its permissions boundary's.
    /// Policies that are gone or do not parse are left out, as they grant nothing.
    pub async fn principal_policies(
        &self,
        account: &str,
        holder: PolicyHolder<'_>,
    ) -> Result<PrincipalPolicies, IamError> {
        let (attached, inline, boundary) = match holder {
            PolicyHolder::User(name) => {
                let user = self.get_user(account, name).await?;
                // A user's groups' policies are the user's too.
                let mut attached = user.attached_policies;
                let mut inline: Vec<(String, String)> = user.inline_policies.into_iter().collect();
                for group in self.groups_of(account, &user.name).await? {
                    attached.extend(group.attached_policies);
                    inline.extend(group.inline_policies);
                }
                let mut seen = std::collections::HashSet::new();
                attached.retain(|arn| seen.insert(arn.clone()));
                (attached, inline, user.permissions_boundary)
            }
            PolicyHolder::Role(name) => {
                let role = self.get_role(account, name).await?;
                (role.attached_policies, role.inline_policies.into_iter().collect(), role.permissions_boundary)
            }
        };
        let mut identity = Vec::new();
        for arn in attached {
            if let Some(policy) = self.find_policy(account, &arn).await? {
                identity.push((arn, policy.default_document().to_owned()));
            }
        }
        identity.extend(inline);
        let boundary = match boundary {
            Some(arn) => {
                self.find_policy(account, &arn).await?.map(|policy| (arn, policy.default_document().to_owned()))
            }
            None => None,
        };
        Ok(PrincipalPolicies { identity, boundary })
    }
}
