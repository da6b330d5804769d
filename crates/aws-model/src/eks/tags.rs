//! Tags by ARN (TagResource, UntagResource, ListTagsForResource) on clusters, node groups, Fargate profiles and
//! add-ons.
//!
//! An ARN that is not an EKS resource ARN is a `BadRequest`; one that names no resource of the caller's account
//! and region (or one whose uuid is not the resource's) is `NotFound`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::addons::Addon;
use super::fargate::FargateProfile;
use super::nodegroups::Nodegroup;
use super::support::validate_tags;
use super::{Caller, Cluster, Eks, EksError};
use crate::records::Record;

/// The resource an EKS ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaggedResource {
    Cluster { name: String },
    Nodegroup { cluster: String, name: String },
    FargateProfile { cluster: String, name: String },
    Addon { cluster: String, name: String },
}

/// An EKS resource ARN taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArn {
    pub region: String,
    pub account: String,
    pub resource: TaggedResource,
}

/// Reads `arn:aws:eks:<region>:<account>:<kind>/...`; `BadRequest` for anything else.
pub fn parse_resource_arn(arn: &str) -> Result<ResourceArn, EksError> {
    let bad = || EksError::BadRequest(format!("Invalid ARN: {arn}"));
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("eks"), Some(region), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if !partition.starts_with("aws") || region.is_empty() || account.len() != 12 {
        return Err(bad());
    }
    if !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let segments: Vec<&str> = resource.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(bad());
    }
    let resource = match segments.as_slice() {
        ["cluster", name] => TaggedResource::Cluster { name: (*name).to_owned() },
        ["nodegroup", cluster, name, _] => {
            TaggedResource::Nodegroup { cluster: (*cluster).to_owned(), name: (*name).to_owned() }
        }
        ["fargateprofile", cluster, name, _] => {
            TaggedResource::FargateProfile { cluster: (*cluster).to_owned(), name: (*name).to_owned() }
        }
        ["addon", cluster, name, _] => {
            TaggedResource::Addon { cluster: (*cluster).to_owned(), name: (*name).to_owned() }
        }
        _ => return Err(bad()),
    };
    Ok(ResourceArn { region: region.to_owned(), account: account.to_owned(), resource })
}

/// A record that carries tags and its own ARN.
trait Tagged: Serialize + Record {
    fn arn(&self) -> &str;
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String>;
}

impl Tagged for Cluster {
    fn arn(&self) -> &str {
        &self.arn
    }
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.tags
    }
}

impl Tagged for Nodegroup {
    fn arn(&self) -> &str {
        &self.arn
    }
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.tags
    }
}

impl Tagged for Addon {
    fn arn(&self) -> &str {
        &self.arn
    }
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.tags
    }
}

impl Tagged for FargateProfile {
    fn arn(&self) -> &str {
        &self.arn
    }
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.tags
    }
}

impl Eks {
    /// The record key of the resource an ARN names, after checking it is the caller's.
    async fn tagged_key(&self, caller: &Caller, arn: &str) -> Result<(String, TaggedResource), EksError> {
        let parsed = parse_resource_arn(arn)?;
        if parsed.account != caller.account || parsed.region != caller.region {
            return Err(tag_target_not_found(arn));
        }
        let key = match &parsed.resource {
            TaggedResource::Cluster { name } => Self::cluster_key(caller, name),
            TaggedResource::Nodegroup { cluster, name } => Self::child_key(caller, "nodegroups", cluster, name),
            TaggedResource::FargateProfile { cluster, name } => {
                Self::child_key(caller, "fargateprofiles", cluster, name)
            }
            TaggedResource::Addon { cluster, name } => Self::child_key(caller, "addons", cluster, name),
        };
        Ok((key, parsed.resource))
    }

    /// Reads (`change` is `None`) or changes the tags of the record behind `arn`.
    async fn with_tags(
        &self,
        caller: &Caller,
        arn: &str,
        change: Option<impl Fn(&mut BTreeMap<String, String>) -> Result<(), EksError>>,
    ) -> Result<BTreeMap<String, String>, EksError> {
        let (key, resource) = self.tagged_key(caller, arn).await?;
        // The resource must be there as its own reader sees it (not finished deleting).
        let found = match &resource {
            TaggedResource::Cluster { name } => self.describe_cluster(caller, name).await.map(|_| ()),
            TaggedResource::Nodegroup { cluster, name } => {
                self.describe_nodegroup(caller, cluster, name).await.map(|_| ())
            }
            TaggedResource::FargateProfile { cluster, name } => {
                self.describe_fargate_profile(caller, cluster, name).await.map(|_| ())
            }
            TaggedResource::Addon { cluster, name } => self.describe_addon(caller, cluster, name).await.map(|_| ()),
        };
        found.map_err(|_| tag_target_not_found(arn))?;
        let tags = match resource {
            TaggedResource::Cluster { .. } => self.edit_tags::<Cluster>(&key, arn, &change).await?,
            TaggedResource::Nodegroup { .. } => self.edit_tags::<Nodegroup>(&key, arn, &change).await?,
            TaggedResource::FargateProfile { .. } => self.edit_tags::<FargateProfile>(&key, arn, &change).await?,
            TaggedResource::Addon { .. } => self.edit_tags::<Addon>(&key, arn, &change).await?,
        };
        tags.ok_or_else(|| tag_target_not_found(arn))
    }

    async fn edit_tags<T: Tagged>(
        &self,
        key: &str,
        arn: &str,
        change: &Option<impl Fn(&mut BTreeMap<String, String>) -> Result<(), EksError>>,
    ) -> Result<Option<BTreeMap<String, String>>, EksError> {
        let Some(change) = change else {
            let Some(stored) = self.records.get::<T>(key).await? else { return Ok(None) };
            let mut record = stored.value;
            if record.arn() != arn {
                return Err(tag_target_not_found(arn));
            }
            return Ok(Some(std::mem::take(record.tags_mut())));
        };
        let edited = self
            .edit::<T, ()>(key, |record| {
                if record.arn() != arn {
                    return Err(tag_target_not_found(arn));
                }
                change(record.tags_mut())
            })
            .await?;
        Ok(edited.map(|(mut record, ())| std::mem::take(record.tags_mut())))
    }

    pub async fn tag_resource(
        &self,
        caller: &Caller,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), EksError> {
        validate_tags(tags).map_err(|error| EksError::BadRequest(error.to_string()))?;
        let change = |current: &mut BTreeMap<String, String>| {
            current.extend(tags.clone());
            if current.len() > 50 {
                return Err(EksError::BadRequest("The number of tags must not exceed 50".into()));
            }
            Ok(())
        };
        self.with_tags(caller, arn, Some(change)).await.map(|_| ())
    }

    pub async fn untag_resource(&self, caller: &Caller, arn: &str, keys: &[String]) -> Result<(), EksError> {
        if keys.is_empty() {
            return Err(EksError::BadRequest("tagKeys must not be empty".into()));
        }
        let change = |current: &mut BTreeMap<String, String>| {
            for key in keys {
                current.remove(key);
            }
            Ok(())
        };
        self.with_tags(caller, arn, Some(change)).await.map(|_| ())
    }

    pub async fn list_tags_for_resource(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<BTreeMap<String, String>, EksError> {
        type Unchanged = fn(&mut BTreeMap<String, String>) -> Result<(), EksError>;
        self.with_tags(caller, arn, None::<Unchanged>).await
    }
}

fn tag_target_not_found(arn: &str) -> EksError {
    EksError::NotFound(format!("Resource {arn} not found"))
}

#[cfg(test)]
mod tests;
