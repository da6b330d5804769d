//! Tags on every taggable IAM entity (roles, users, customer managed policies, instance profiles and OpenID
//! Connect providers): Tag*, Untag* and List*Tags share one implementation over the entity's record, with IAM's
//! quota of 50 tags and its key rules.

use super::*;

/// An entity tags can be put on, as the operation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taggable<'a> {
    Role(&'a str),
    User(&'a str),
    /// A customer managed policy, by ARN.
    Policy(&'a str),
    InstanceProfile(&'a str),
    /// An OpenID Connect provider, by ARN.
    OpenIdConnectProvider(&'a str),
}

/// A record that carries tags.
trait Tagged: Serialize + Record {
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
}

macro_rules! tagged {
    ($($kind:ty),*) => {
        $(impl Tagged for $kind {
            fn tags_mut(&mut self) -> &mut Vec<Tag> {
                &mut self.tags
            }
        })*
    };
}
tagged!(Role, User, ManagedPolicy, InstanceProfile, OpenIdConnectProvider);

impl Iam {
    /// The record key of a taggable entity, and the error for its absence.
    async fn taggable_key(&self, account: &str, target: Taggable<'_>) -> Result<(String, IamError), IamError> {
        Ok(match target {
            Taggable::Role(name) => {
                check::name(name, "roleName", 64)?;
                (key(account, ROLES, name), role_not_found(name))
            }
            Taggable::User(name) => {
                check::name(name, "userName", 64)?;
                (key(account, USERS, name), user_not_found(name))
            }
            Taggable::Policy(arn) => (self.local_policy_key(account, arn).await?, policy_not_found(arn)),
            Taggable::InstanceProfile(name) => {
                check::name(name, "instanceProfileName", 128)?;
                (key(account, PROFILES, name), profile_not_found(name))
            }
            Taggable::OpenIdConnectProvider(arn) => (Self::provider_key(account, arn)?, provider_not_found(arn)),
        })
    }

    async fn modify_tags(
        &self,
        account: &str,
        target: Taggable<'_>,
        change: impl FnMut(&mut Vec<Tag>) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        let (key, missing) = self.taggable_key(account, target).await?;
        let mut change = change;
        macro_rules! modify {
            ($kind:ty) => {
                self.modify::<$kind, ()>(&key, || missing.clone(), |entity| change(entity.tags_mut())).await.map(drop)
            };
        }
        match target {
            Taggable::Role(_) => modify!(Role),
            Taggable::User(_) => modify!(User),
            Taggable::Policy(_) => modify!(ManagedPolicy),
            Taggable::InstanceProfile(_) => modify!(InstanceProfile),
            Taggable::OpenIdConnectProvider(_) => modify!(OpenIdConnectProvider),
        }
    }

    /// Adds tags, replacing the values of keys already there (keys compare without regard to case).
    pub async fn tag(&self, account: &str, target: Taggable<'_>, tags: Vec<Tag>) -> Result<(), IamError> {
        check::tags(&tags)?;
        self.modify_tags(account, target, |existing| merge_tags(existing, &tags)).await
    }

    /// Takes tags off by key; keys not there are ignored.
    pub async fn untag(&self, account: &str, target: Taggable<'_>, keys: &[String]) -> Result<(), IamError> {
        if keys.len() > MAX_TAGS {
            return Err(check::constraint(
                &format!("{keys:?}"),
                "tagKeys",
                &format!("Member must have length less than or equal to {MAX_TAGS}"),
            ));
        }
        self.modify_tags(account, target, |existing| {
            existing.retain(|tag| !keys.iter().any(|key| key.eq_ignore_ascii_case(&tag.key)));
            Ok(())
        })
        .await
    }

    /// An entity's tags, in the order they were added, a page at a time.
    pub async fn list_tags(&self, account: &str, target: Taggable<'_>, paging: &Paging) -> Result<Page<Tag>, IamError> {
        let (key, missing) = self.taggable_key(account, target).await?;
        let stored = self.records.get_raw_at(&key, None).await?.ok_or(missing)?;
        #[derive(serde::Deserialize)]
        struct WithTags {
            #[serde(default)]
            tags: Vec<Tag>,
        }
        let tags = serde_json::from_slice::<WithTags>(&stored.value)
            .map_err(|error| IamError::ServiceFailure(format!("record {key} is damaged: {error}")))?
            .tags;
        let items = tags.into_iter().enumerate().map(|(index, tag)| (format!("{index:08}"), tag));
        paginate(items.collect(), paging)
    }
}
