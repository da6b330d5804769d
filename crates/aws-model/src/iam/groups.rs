//! Groups: their members (users, by name), attached managed policies and inline policies. A group record holds
//! its members; a user's groups are the groups that name it (at most [`MAX_GROUPS_PER_USER`]).

use super::*;

impl Iam {
    fn group_key(account: &str, name: &str) -> String {
        key(account, GROUPS, name)
    }

    pub async fn create_group(&self, account: &str, name: &str, path: Option<&str>) -> Result<Group, IamError> {
        check::name(name, "groupName", 128)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        if self.list::<Group>(account, GROUPS).await?.len() >= MAX_GROUPS {
            return Err(IamError::LimitExceeded(format!("Cannot exceed quota for GroupsPerAccount: {MAX_GROUPS}")));
        }
        let group = Group {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("AGPA"),
            arn: format!("arn:aws:iam::{account}:group{path}{name}"),
            created_at: self.now(),
            members: Vec::new(),
            attached_policies: Vec::new(),
            inline_policies: BTreeMap::new(),
        };
        let exists = IamError::EntityAlreadyExists(format!("Group with name {name} already exists."));
        self.create(&Self::group_key(account, name), &group, exists).await?;
        Ok(group)
    }

    /// A group and a page of its members.
    pub async fn get_group(&self, account: &str, name: &str, paging: &Paging) -> Result<(Group, Page<User>), IamError> {
        check::name(name, "groupName", 128)?;
        let group: Group = self.get(&Self::group_key(account, name)).await?.ok_or_else(|| group_not_found(name))?;
        let mut members = Vec::new();
        for member in &group.members {
            if let Some(user) = self.get::<User>(&key(account, USERS, member)).await? {
                members.push((user.name.to_lowercase(), user));
            }
        }
        let page = paginate(members, paging)?;
        Ok((group, page))
    }

    pub async fn list_groups(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<Group>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let groups = self.list::<Group>(account, GROUPS).await?;
        let items = groups.into_iter().filter(|g| under(&g.path, path_prefix)).map(|g| (g.name.to_lowercase(), g));
        paginate(items.collect(), paging)
    }

    pub async fn delete_group(&self, account: &str, name: &str) -> Result<(), IamError> {
        let (group, _) = self.get_group(account, name, &Paging::default()).await?;
        if !group.members.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must remove users from group first.".into()));
        }
        if !group.attached_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        if !group.inline_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
        }
        self.delete_record(&Self::group_key(account, name), group_not_found(name)).await
    }

    /// The groups a user is in, by name.
    pub(super) async fn groups_of(&self, account: &str, user: &str) -> Result<Vec<Group>, IamError> {
        let groups = self.list::<Group>(account, GROUPS).await?;
        Ok(groups.into_iter().filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(user))).collect())
    }

    /// Adds a user to a group; a member already there stays once.
    pub async fn add_user_to_group(&self, account: &str, group: &str, user: &str) -> Result<(), IamError> {
        check::name(group, "groupName", 128)?;
        let user = self.get_user(account, user).await?;
        let already = self.groups_of(account, &user.name).await?;
        if already.iter().any(|g| g.name.eq_ignore_ascii_case(group)) {
            return Ok(());
        }
        if already.len() >= MAX_GROUPS_PER_USER {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
            )));
        }
        self.modify(
            &Self::group_key(account, group),
            || group_not_found(group),
            |stored: &mut Group| {
                if !stored.members.iter().any(|m| m.eq_ignore_ascii_case(&user.name)) {
                    stored.members.push(user.name.clone());
                }
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn remove_user_from_group(&self, account: &str, group: &str, user: &str) -> Result<(), IamError> {
        check::name(group, "groupName", 128)?;
        check::name(user, "userName", 64)?;
        self.modify(
            &Self::group_key(account, group),
            || group_not_found(group),
            |stored: &mut Group| {
                let before = stored.members.len();
                stored.members.retain(|m| !m.eq_ignore_ascii_case(user));
                if stored.members.len() == before {
                    return Err(user_not_found(user));
                }
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn list_groups_for_user(
        &self,
        account: &str,
        user: &str,
        paging: &Paging,
    ) -> Result<Page<Group>, IamError> {
        let user = self.get_user(account, user).await?;
        let groups = self.groups_of(account, &user.name).await?;
        paginate(groups.into_iter().map(|g| (g.name.to_lowercase(), g)).collect(), paging)
    }

    pub async fn attach_group_policy(&self, account: &str, group: &str, arn: &str) -> Result<(), IamError> {
        check::name(group, "groupName", 128)?;
        self.attachable(account, arn).await?;
        self.modify(
            &Self::group_key(account, group),
            || group_not_found(group),
            |stored: &mut Group| Self::attach(&mut stored.attached_policies, arn, "PoliciesPerGroup"),
        )
        .await?;
        Ok(())
    }

    pub async fn detach_group_policy(&self, account: &str, group: &str, arn: &str) -> Result<(), IamError> {
        check::name(group, "groupName", 128)?;
        Self::check_arn(arn, "policyArn")?;
        self.modify(
            &Self::group_key(account, group),
            || group_not_found(group),
            |stored: &mut Group| Self::detach(&mut stored.attached_policies, arn),
        )
        .await?;
        Ok(())
    }

    /// `(policy name, policy ARN)` of a group's attached policies.
    pub async fn list_attached_group_policies(
        &self,
        account: &str,
        group: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        let (stored, _) = self.get_group(account, group, &Paging::default()).await?;
        self.attached_page(account, stored.attached_policies, path_prefix, paging).await
    }
}
