//! What the EKS submodules share: keys of a cluster's children, paging of name lists, names and tags as EKS
//! validates them, and compare-and-swap edits of one record.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Caller, Cluster, ClusterStatus, Eks, EksError};
use crate::records::{Record, RecordError, Records};

/// How often an edit is retried when the record keeps changing under it.
const EDIT_ATTEMPTS: usize = 16;

/// What the clock has done to a record with a status lifecycle, once it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Nothing to write (the status may still read differently, such as `UPDATING` during an update).
    Unchanged,
    /// A new status to store (`CREATING` became `ACTIVE`).
    Store,
    /// The record's time is up (`DELETING` became gone).
    Remove,
}

impl Eks {
    /// Writes a lifecycle transition back; losing the race to another writer is fine, because the next read
    /// settles the record again. `false` when the record is gone.
    pub(crate) async fn write_transition<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        revision: store::Revision,
        transition: Transition,
    ) -> Result<bool, EksError> {
        let written = match transition {
            Transition::Unchanged => return Ok(true),
            Transition::Store => self.records.update(key, value, revision).await.map(|_| ()),
            Transition::Remove => self.records.delete(key, Some(revision)).await,
        };
        match written {
            Ok(()) | Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
        Ok(transition != Transition::Remove)
    }

    /// The key of a resource that belongs to a cluster: `<kind>/<cluster>/<id>`.
    pub(crate) fn child_key(caller: &Caller, kind: &str, cluster: &str, id: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "eks", kind, &format!("{cluster}/{id}"))
    }

    /// The prefix of every resource of one kind in a cluster.
    pub(crate) fn children_prefix(caller: &Caller, kind: &str, cluster: &str) -> String {
        Self::child_key(caller, kind, cluster, "")
    }

    /// The value of one of EKS's Service Quotas that applies to the caller: `configured` until an increase is
    /// approved.
    pub(crate) async fn quota(&self, caller: &Caller, code: &str, configured: f64) -> Result<f64, EksError> {
        Ok(crate::quotas::applied_value(&self.records, caller, "eks", code, configured).await?)
    }

    /// The cluster, which must exist.
    pub(crate) async fn existing_cluster(&self, caller: &Caller, name: &str) -> Result<Cluster, EksError> {
        self.describe_cluster(caller, name).await
    }

    /// The cluster, which must exist and be `ACTIVE` (or `UPDATING`, which is an active cluster mid-update).
    pub(crate) async fn active_cluster(&self, caller: &Caller, name: &str) -> Result<Cluster, EksError> {
        let cluster = self.existing_cluster(caller, name).await?;
        Self::require_active(&cluster)?;
        Ok(cluster)
    }

    /// Refuses a cluster read a moment ago unless it is `ACTIVE` (or `UPDATING`), as [`Eks::active_cluster`] does.
    pub(crate) fn require_active(cluster: &Cluster) -> Result<(), EksError> {
        match cluster.status {
            ClusterStatus::Active | ClusterStatus::Updating => Ok(()),
            _ => Err(EksError::InvalidRequest(format!("Cluster '{}' is not in ACTIVE status", cluster.name))),
        }
    }

    /// Reads, changes and writes back one record until no one else wrote in between; `None` when it is gone.
    /// `change` returns an error to give up without writing.
    pub(crate) async fn edit<T, R>(
        &self,
        key: &str,
        mut change: impl FnMut(&mut T) -> Result<R, EksError>,
    ) -> Result<Option<(T, R)>, EksError>
    where
        T: Serialize + Record,
    {
        for _ in 0..EDIT_ATTEMPTS {
            let Some(stored) = self.records.get::<T>(key).await? else { return Ok(None) };
            let mut value = stored.value;
            let result = change(&mut value)?;
            match self.records.update(key, &value, stored.revision).await {
                Ok(_) => return Ok(Some((value, result))),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
        Err(EksError::Server("the resource kept changing; retry".into()))
    }

    /// Deletes every record a cluster's children left behind once the cluster itself is deleted.
    pub(crate) async fn forget_cluster_children(&self, caller: &Caller, cluster: &str) -> Result<(), EksError> {
        for kind in ["updates", "accessentries", "addons", "podidentity", "idpconfigs", "hybridnodes"] {
            let prefix = Self::children_prefix(caller, kind, cluster);
            for stored in self.records.list::<serde_json::Value>(&prefix).await? {
                match self.records.delete(&stored.key, None).await {
                    Ok(()) | Err(RecordError::NotFound(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(())
    }
}

/// One page of names in alphabetical order; the token is the base64 of the last name of the previous page.
pub(crate) fn page(
    mut names: Vec<String>,
    max_results: Option<i64>,
    next_token: Option<&str>,
) -> Result<(Vec<String>, Option<String>), EksError> {
    let limit = page_limit(max_results)?;
    let after = match next_token {
        None => None,
        Some(token) => Some(
            crate::ids::unbase64(token)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| EksError::InvalidParameter("The nextToken is invalid".into()))?,
        ),
    };
    names.sort();
    names.retain(|name| after.as_ref().is_none_or(|after| name > after));
    let more = names.len() > limit;
    names.truncate(limit);
    let token = if more { names.last().map(|last| crate::ids::base64(last.as_bytes())) } else { None };
    Ok((names, token))
}

/// `maxResults`: 1 to 100, 100 when absent.
pub(crate) fn page_limit(max_results: Option<i64>) -> Result<usize, EksError> {
    match max_results {
        None => Ok(100),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => {
            let bound = if n < 1 { "greater than or equal to 1" } else { "less than or equal to 100" };
            Err(EksError::InvalidParameter(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value {bound}"
            )))
        }
    }
}

/// A page of `items` (in their order) after the one whose key the token names (base64 of the key), `limit` long,
/// and the token of the next page: the paging of lists whose order is not by name.
pub(crate) fn page_after<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> &str,
    limit: usize,
    next_token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), EksError> {
    if let Some(token) = next_token {
        let after = crate::ids::unbase64(token)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|after| items.iter().position(|item| key(item) == after))
            .ok_or_else(|| EksError::InvalidParameter("The nextToken is invalid".into()))?;
        items.drain(..=after);
    }
    let more = items.len() > limit;
    items.truncate(limit);
    let token = if more { items.last().map(|last| crate::ids::base64(key(last).as_bytes())) } else { None };
    Ok((items, token))
}

/// A resource name as EKS accepts it: `^[0-9A-Za-z][A-Za-z0-9\-_]*`, 1 to `max` characters.
pub(crate) fn validate_name(name: &str, field: &str, max: usize) -> Result<(), EksError> {
    let valid = !name.is_empty()
        && name.len() <= max
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(EksError::InvalidParameter(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9\\-_]*"
        )))
    }
}

/// Tags as EKS takes them: at most 50, keys 1 to 128 characters not starting with `aws:`, values up to 256.
pub fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), EksError> {
    if tags.len() > 50 {
        return Err(EksError::InvalidParameter("The number of tags must not exceed 50".into()));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(EksError::InvalidParameter(format!("Invalid tag {key}")));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(EksError::InvalidParameter("Tag keys starting with 'aws:' are reserved".into()));
        }
    }
    Ok(())
}

/// The minor version after `version` (`1.33` -> `1.34`); `None` for anything not `major.minor`.
pub(crate) fn next_minor(version: &str) -> Option<String> {
    let (major, minor) = version.split_once('.')?;
    let minor: u32 = minor.parse().ok()?;
    Some(format!("{major}.{}", minor + 1))
}

/// Orders `major.minor` versions; `None` when either is not one.
pub(crate) fn compare_versions(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    let parse = |v: &str| -> Option<(u32, u32)> {
        let (major, minor) = v.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    };
    Some(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests;
