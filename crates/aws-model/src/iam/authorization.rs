//! GetAccountAuthorizationDetails: every user, group, role and policy of an account with what decides their
//! permissions (attached and inline policies, group memberships, instance profiles, policy versions), filtered by
//! entity type and paged as one list in that order.

use super::*;

/// One entry of the details: an entity with what the operation reports beside it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizationDetail {
    /// A user and the names of its groups.
    User(User, Vec<String>),
    Group(Group),
    /// A role and the instance profiles holding it.
    Role(Role, Vec<InstanceProfileView>),
    Policy(PolicyView),
}

/// The entity types of the `Filter` parameter.
pub const ENTITY_TYPES: [&str; 5] = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];

impl Iam {
    /// The account's details for the entity types of `filter` (all when empty), users first, then groups, roles
    /// and policies (AWS managed ones only while attached to something), a page at a time.
    pub async fn account_authorization_details(
        &self,
        account: &str,
        filter: &[String],
        paging: &Paging,
    ) -> Result<Page<AuthorizationDetail>, IamError> {
        if let Some(unknown) = filter.iter().find(|kind| !ENTITY_TYPES.contains(&kind.as_str())) {
            return Err(check::constraint(
                unknown,
                "filter",
                "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]",
            ));
        }
        let wanted = |kind: &str| filter.is_empty() || filter.iter().any(|f| f == kind);
        let mut details = Vec::new();
        let groups = self.list::<Group>(account, GROUPS).await?;
        if wanted("User") {
            for user in self.list::<User>(account, USERS).await? {
                let names = groups
                    .iter()
                    .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(&user.name)))
                    .map(|g| g.name.clone())
                    .collect();
                details.push(AuthorizationDetail::User(user, names));
            }
        }
        if wanted("Group") {
            details.extend(groups.iter().cloned().map(AuthorizationDetail::Group));
        }
        if wanted("Role") {
            let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
            for role in self.list::<Role>(account, ROLES).await? {
                let mut held = Vec::new();
                for profile in profiles.iter().filter(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name))) {
                    held.push(self.profile_view(account, profile.clone()).await?);
                }
                details.push(AuthorizationDetail::Role(role, held));
            }
        }
        let (local, aws) = (wanted("LocalManagedPolicy"), wanted("AWSManagedPolicy"));
        if local || aws {
            let usage = self.usage(account).await?;
            if local {
                let policies = self.list::<ManagedPolicy>(account, POLICIES).await?;
                details.extend(policies.into_iter().map(|p| AuthorizationDetail::Policy(Self::view(p, &usage))));
            }
            if aws {
                let attached = managed::policies()
                    .into_iter()
                    .map(|p| Self::view(p, &usage))
                    .filter(|view| view.attachment_count > 0 || view.boundary_count > 0);
                details.extend(attached.map(AuthorizationDetail::Policy));
            }
        }
        let items = details.into_iter().enumerate().map(|(index, detail)| (format!("{index:08}"), detail));
        paginate(items.collect(), paging)
    }
}
