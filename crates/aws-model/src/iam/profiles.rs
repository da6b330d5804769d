//! Instance profiles and the role each holds.

use super::*;

impl Iam {
    pub(super) async fn profile_view(
        &self,
        account: &str,
        profile: InstanceProfile,
    ) -> Result<InstanceProfileView, IamError> {
        let mut roles = Vec::new();
        for name in &profile.roles {
            if let Some(role) = self.get::<Role>(&key(account, ROLES, name)).await? {
                roles.push(role);
            }
        }
        Ok(InstanceProfileView { profile, roles })
    }

    pub async fn create_instance_profile(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<InstanceProfileView, IamError> {
        check::name(name, "instanceProfileName", 128)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        check::tags(&tags)?;
        let profile = InstanceProfile {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("AIPA"),
            arn: format!("arn:aws:iam::{account}:instance-profile{path}{name}"),
            created_at: self.now(),
            roles: Vec::new(),
            tags,
        };
        let exists = IamError::EntityAlreadyExists(format!("Instance Profile {name} already exists."));
        self.create(&key(account, PROFILES, name), &profile, exists).await?;
        Ok(InstanceProfileView { profile, roles: Vec::new() })
    }

    pub async fn get_instance_profile(&self, account: &str, name: &str) -> Result<InstanceProfileView, IamError> {
        check::name(name, "instanceProfileName", 128)?;
        let profile = self.get(&key(account, PROFILES, name)).await?.ok_or_else(|| profile_not_found(name))?;
        self.profile_view(account, profile).await
    }

    pub async fn delete_instance_profile(&self, account: &str, name: &str) -> Result<(), IamError> {
        let view = self.get_instance_profile(account, name).await?;
        if !view.profile.roles.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        self.delete_record(&key(account, PROFILES, name), profile_not_found(name)).await
    }

    pub async fn list_instance_profiles(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<InstanceProfileView>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
        let items = profiles.into_iter().filter(|p| under(&p.path, path_prefix)).map(|p| (p.name.to_lowercase(), p));
        let page = paginate(items.collect(), paging)?;
        let mut views = Vec::new();
        for profile in page.items {
            views.push(self.profile_view(account, profile).await?);
        }
        Ok(Page { items: views, marker: page.marker })
    }

    pub async fn list_instance_profiles_for_role(
        &self,
        account: &str,
        role: &str,
        paging: &Paging,
    ) -> Result<Page<InstanceProfileView>, IamError> {
        let stored = self.get_role(account, role).await?;
        let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
        let items = profiles
            .into_iter()
            .filter(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&stored.name)))
            .map(|p| (p.name.to_lowercase(), p));
        let page = paginate(items.collect(), paging)?;
        let mut views = Vec::new();
        for profile in page.items {
            views.push(self.profile_view(account, profile).await?);
        }
        Ok(Page { items: views, marker: page.marker })
    }

    pub async fn add_role_to_instance_profile(&self, account: &str, profile: &str, role: &str) -> Result<(), IamError> {
        check::name(profile, "instanceProfileName", 128)?;
        let stored = self.get_role(account, role).await?;
        self.modify(
            &key(account, PROFILES, profile),
            || profile_not_found(profile),
            |p: &mut InstanceProfile| {
                if p.roles.iter().any(|r| r.eq_ignore_ascii_case(&stored.name)) {
                    return Err(IamError::EntityAlreadyExists(format!(
                        "Instance Profile {} already contains role {}.",
                        p.name, stored.name
                    )));
                }
                if p.roles.len() >= MAX_INSTANCE_PROFILE_ROLES {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {MAX_INSTANCE_PROFILE_ROLES}"
                    )));
                }
                p.roles.push(stored.name.clone());
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn remove_role_from_instance_profile(
        &self,
        account: &str,
        profile: &str,
        role: &str,
    ) -> Result<(), IamError> {
        check::name(profile, "instanceProfileName", 128)?;
        check::name(role, "roleName", 64)?;
        self.modify(
            &key(account, PROFILES, profile),
            || profile_not_found(profile),
            |p: &mut InstanceProfile| {
                let before = p.roles.len();
                p.roles.retain(|r| !r.eq_ignore_ascii_case(role));
                if p.roles.len() == before {
                    return Err(role_not_found(role));
                }
                Ok(())
            },
        )
        .await?;
        Ok(())
    }
}
