//! Users and their access keys.

use super::*;

impl Iam {
    pub async fn create_user(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        permissions_boundary: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<User, IamError> {
        check::name(name, "userName", 64)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        check::tags(&tags)?;
        if let Some(boundary) = &permissions_boundary {
            self.check_boundary(account, boundary).await?;
        }
        let user = User {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("AIDA"),
            arn: format!("arn:aws:iam::{account}:user{path}{name}"),
            created_at: self.now(),
            permissions_boundary,
            tags,
            attached_policies: Vec::new(),
            inline_policies: BTreeMap::new(),
        };
        let exists = IamError::EntityAlreadyExists(format!("User with name {name} already exists."));
        self.create(&key(account, USERS, name), &user, exists).await?;
        Ok(user)
    }

    pub async fn get_user(&self, account: &str, name: &str) -> Result<User, IamError> {
        check::name(name, "userName", 64)?;
        self.get(&key(account, USERS, name)).await?.ok_or_else(|| user_not_found(name))
    }

    pub async fn list_users(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<User>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let users = self.list::<User>(account, USERS).await?;
        let items = users.into_iter().filter(|u| under(&u.path, path_prefix)).map(|u| (u.name.to_lowercase(), u));
        paginate(items.collect(), paging)
    }

    async fn keys_of(&self, account: &str, user: &str) -> Result<Vec<AccessKey>, IamError> {
        let keys = self.records.list::<AccessKey>("/aws/access-keys/").await?;
        Ok(keys
            .into_iter()
            .map(|stored| stored.value)
            .filter(|k| k.account == account && k.user_name.eq_ignore_ascii_case(user))
            .collect())
    }

    pub async fn delete_user(&self, account: &str, name: &str) -> Result<(), IamError> {
        let user = self.get_user(account, name).await?;
        if !self.keys_of(account, &user.name).await?.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete access keys first.".into()));
        }
        if !user.attached_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        if !user.inline_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
        }
        if !self.groups_of(account, &user.name).await?.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove user from all groups first.".into(),
            ));
        }
        self.delete_record(&key(account, USERS, name), user_not_found(name)).await
    }

    pub async fn create_access_key(&self, account: &str, user: &str) -> Result<AccessKey, IamError> {
        let stored = self.get_user(account, user).await?;
        if self.keys_of(account, &stored.name).await?.len() >= MAX_ACCESS_KEYS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
            )));
        }
        let key = AccessKey {
            id: format!("AKIA{}", random_chars(16, UPPER_ALNUM)),
            secret: random_chars(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
            status: AccessKeyStatus::Active,
            created_at: self.now(),
            account: account.to_owned(),
            user_name: stored.name,
            user_arn: stored.arn,
            user_id: stored.id,
        };
        self.records.create(&access_key_key(&key.id), &key).await?;
        Ok(key)
    }

    pub async fn list_access_keys(
        &self,
        account: &str,
        user: &str,
        paging: &Paging,
    ) -> Result<Page<AccessKey>, IamError> {
        let stored = self.get_user(account, user).await?;
        let keys = self.keys_of(account, &stored.name).await?;
        paginate(keys.into_iter().map(|k| (k.id.clone(), k)).collect(), paging)
    }

    fn key_not_found(id: &str) -> IamError {
        IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
    }

    fn check_key_id(id: &str) -> Result<(), IamError> {
        let count = id.chars().count();
        if count < 16 {
            return Err(check::constraint(id, "accessKeyId", "Member must have length greater than or equal to 16"));
        }
        if count > 128 {
            return Err(check::constraint(id, "accessKeyId", "Member must have length less than or equal to 128"));
        }
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(check::constraint(id, "accessKeyId", "Member must satisfy regular expression pattern: [\\w]+"));
        }
        Ok(())
    }

    pub async fn update_access_key(
        &self,
        account: &str,
        user: &str,
        id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), IamError> {
        Self::check_key_id(id)?;
        self.get_user(account, user).await?;
        self.modify(
            &access_key_key(id),
            || Self::key_not_found(id),
            |key: &mut AccessKey| {
                if key.account != account || !key.user_name.eq_ignore_ascii_case(user) {
                    return Err(Self::key_not_found(id));
                }
                key.status = status;
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn delete_access_key(&self, account: &str, user: &str, id: &str) -> Result<(), IamError> {
        Self::check_key_id(id)?;
        self.get_user(account, user).await?;
        let key: AccessKey = self.get(&access_key_key(id)).await?.ok_or_else(|| Self::key_not_found(id))?;
        if key.account != account || !key.user_name.eq_ignore_ascii_case(user) {
            return Err(Self::key_not_found(id));
        }
        self.delete_record(&access_key_key(id), Self::key_not_found(id)).await
    }

    /// The access key with this id, in any account; `None` for keys IAM did not issue.
    pub async fn access_key(&self, id: &str) -> Result<Option<AccessKey>, IamError> {
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        self.get(&access_key_key(id)).await
    }
}
