//! Inline policies of roles, users and groups (Put/Get/List/Delete{Role,User,Group}Policy): one implementation
//! over the owner's record, with IAM's size quota per kind of owner (the names and documents of an owner's inline
//! policies together) and its messages. A service-linked role's policies cannot be changed.

use super::*;

/// Whose inline policies, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineOwner<'a> {
    Role(&'a str),
    User(&'a str),
    Group(&'a str),
}

/// A record that holds inline policies.
trait Inline: Serialize + Record {
    fn inline_mut(&mut self) -> &mut BTreeMap<String, String>;
    fn into_inline(self) -> BTreeMap<String, String>;
    /// Refuses changes to an entity only AWS may change.
    fn modifiable(&self) -> Result<(), IamError> {
        Ok(())
    }
}

macro_rules! inline {
    ($($kind:ty),*) => {
        $(impl Inline for $kind {
            fn inline_mut(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.inline_policies
            }
            fn into_inline(self) -> BTreeMap<String, String> {
                self.inline_policies
            }
            fn modifiable(&self) -> Result<(), IamError> {
                Iam::modifiable_entity(self)
            }
        })*
    };
}
inline!(Role, User, Group);

/// What differs between the kinds of owner.
struct OwnerParts<'a> {
    /// `role`, `user` or `group`, as IAM's messages say.
    word: &'static str,
    member: &'static str,
    max_name: usize,
    records: &'static str,
    name: &'a str,
    max_size: usize,
    missing: IamError,
}

impl<'a> InlineOwner<'a> {
    fn parts(self) -> OwnerParts<'a> {
        match self {
            InlineOwner::Role(name) => OwnerParts {
                word: "role",
                member: "roleName",
                max_name: 64,
                records: ROLES,
                name,
                max_size: policy::INLINE_ROLE_POLICIES_MAX_SIZE,
                missing: role_not_found(name),
            },
            InlineOwner::User(name) => OwnerParts {
                word: "user",
                member: "userName",
                max_name: 64,
                records: USERS,
                name,
                max_size: policy::INLINE_USER_POLICIES_MAX_SIZE,
                missing: user_not_found(name),
            },
            InlineOwner::Group(name) => OwnerParts {
                word: "group",
                member: "groupName",
                max_name: 128,
                records: GROUPS,
                name,
                max_size: policy::INLINE_GROUP_POLICIES_MAX_SIZE,
                missing: group_not_found(name),
            },
        }
    }
}

/// Something with inline policies that [`Iam::modifiable_entity`] may refuse to change.
pub(super) trait MaybeProtected {
    fn protected_name(&self) -> Option<&str>;
}

impl MaybeProtected for Role {
    fn protected_name(&self) -> Option<&str> {
        self.is_service_linked().then_some(self.name.as_str())
    }
}

impl MaybeProtected for User {
    fn protected_name(&self) -> Option<&str> {
        None
    }
}

impl MaybeProtected for Group {
    fn protected_name(&self) -> Option<&str> {
        None
    }
}

impl Iam {
    pub(super) fn modifiable_entity(entity: &impl MaybeProtected) -> Result<(), IamError> {
        match entity.protected_name() {
            Some(name) => Err(IamError::UnmodifiableEntity(format!(
                "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
            ))),
            None => Ok(()),
        }
    }

    async fn change_inline<T: Inline>(
        &self,
        account: &str,
        parts: &OwnerParts<'_>,
        mut change: impl FnMut(&mut BTreeMap<String, String>) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        check::name(parts.name, parts.member, parts.max_name)?;
        let key = key(account, parts.records, parts.name);
        self.modify::<T, ()>(
            &key,
            || parts.missing.clone(),
            |entity| {
                entity.modifiable()?;
                change(entity.inline_mut())
            },
        )
        .await
        .map(drop)
    }

    async fn read_inline<T: Inline>(
        &self,
        account: &str,
        parts: &OwnerParts<'_>,
    ) -> Result<BTreeMap<String, String>, IamError> {
        check::name(parts.name, parts.member, parts.max_name)?;
        let entity: T =
            self.get(&key(account, parts.records, parts.name)).await?.ok_or_else(|| parts.missing.clone())?;
        Ok(entity.into_inline())
    }

    async fn inline_of(&self, account: &str, owner: InlineOwner<'_>) -> Result<BTreeMap<String, String>, IamError> {
        let parts = owner.parts();
        match owner {
            InlineOwner::Role(_) => self.read_inline::<Role>(account, &parts).await,
            InlineOwner::User(_) => self.read_inline::<User>(account, &parts).await,
            InlineOwner::Group(_) => self.read_inline::<Group>(account, &parts).await,
        }
    }

    async fn change_inline_of(
        &self,
        account: &str,
        owner: InlineOwner<'_>,
        change: impl FnMut(&mut BTreeMap<String, String>) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        let parts = owner.parts();
        match owner {
            InlineOwner::Role(_) => self.change_inline::<Role>(account, &parts, change).await,
            InlineOwner::User(_) => self.change_inline::<User>(account, &parts, change).await,
            InlineOwner::Group(_) => self.change_inline::<Group>(account, &parts, change).await,
        }
    }

    /// Adds or replaces an inline policy (names compare without regard to case).
    pub async fn put_inline_policy(
        &self,
        account: &str,
        owner: InlineOwner<'_>,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        check::name(policy_name, "policyName", 128)?;
        check::document(document, "policyDocument")?;
        Policy::parse(document, PolicyKind::Inline).map_err(malformed)?;
        let OwnerParts { word, name, max_size, .. } = owner.parts();
        self.change_inline_of(account, owner, |policies| {
            let mut changed = policies.clone();
            changed.retain(|existing, _| !existing.eq_ignore_ascii_case(policy_name));
            changed.insert(policy_name.to_owned(), document.to_owned());
            let total: usize = changed.iter().map(|(name, text)| name.len() + policy::policy_size(text)).sum();
            if total > max_size {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {max_size} bytes exceeded for {word} {name}"
                )));
            }
            *policies = changed;
            Ok(())
        })
        .await
    }

    /// An inline policy: its name as stored and its document.
    pub async fn get_inline_policy(
        &self,
        account: &str,
        owner: InlineOwner<'_>,
        policy_name: &str,
    ) -> Result<(String, String), IamError> {
        check::name(policy_name, "policyName", 128)?;
        let word = owner.parts().word;
        self.inline_of(account, owner)
            .await?
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(policy_name))
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("The {word} policy with name {policy_name} cannot be found."))
            })
    }

    /// The names of an owner's inline policies, a page at a time.
    pub async fn list_inline_policies(
        &self,
        account: &str,
        owner: InlineOwner<'_>,
        paging: &Paging,
    ) -> Result<Page<String>, IamError> {
        let items = self.inline_of(account, owner).await?.into_keys().map(|name| (name.clone(), name));
        paginate(items.collect(), paging)
    }

    pub async fn delete_inline_policy(
        &self,
        account: &str,
        owner: InlineOwner<'_>,
        policy_name: &str,
    ) -> Result<(), IamError> {
        check::name(policy_name, "policyName", 128)?;
        let word = owner.parts().word;
        self.change_inline_of(account, owner, |policies| {
            let before = policies.len();
            policies.retain(|name, _| !name.eq_ignore_ascii_case(policy_name));
            if policies.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "The {word} policy with name {policy_name} cannot be found."
                )));
            }
            Ok(())
        })
        .await
    }
}
