//! GET and LIST: one object, or a collection filtered by label and field selectors, paged with `limit` and
//! `continue`, at the latest revision or the one `resourceVersion` and `resourceVersionMatch` ask for.

use base64::Engine;
use serde_json::{Map, Value, json};
use store::{ListOptions, StoreError};

use crate::api::ClusterApi;
use crate::http::Query;
use crate::object;
use crate::registry::{Decoder, ResourceType};
use crate::request::ResourceRequest;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;

impl ClusterApi {
    pub(crate) async fn get(&self, resource: &ResourceType, request: &ResourceRequest) -> Result<Value, ApiError> {
        let namespace = Self::namespace_of(resource, request)?;
        let name = request.name.as_deref().unwrap_or_default();
        let key = self.key(resource, namespace, name);
        let kv = self.store.get(&key, None).await?.ok_or_else(|| ApiError::not_found(resource, name))?;
        self.decode_stored(resource, &kv)
    }

    /// A list as a JSON value (for tables and delete-collection).
    pub(crate) async fn list(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
    ) -> Result<Value, ApiError> {
        let listed = self.list_items(resource, request, query).await?;
        let items = listed
            .items
            .iter()
            .map(|item| serde_json::from_slice(item).map_err(|error| ApiError::internal(error.to_string())))
            .collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(json!({
            "kind": resource.list_kind,
            "apiVersion": resource.api_version(),
            "metadata": listed.metadata,
            "items": items,
        }))
    }

    /// A list as JSON bytes, assembled from the stored objects without decoding them when no selector needs
    /// to look inside: the fast path for large lists.
    pub(crate) async fn list_json(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
    ) -> Result<Vec<u8>, ApiError> {
        let listed = self.list_items(resource, request, query).await?;
        let size: usize = listed.items.iter().map(|item| item.len() + 1).sum();
        let mut out = Vec::with_capacity(size + 256);
        out.extend_from_slice(b"{\"kind\":");
        serde_json::to_writer(&mut out, &resource.list_kind).expect("writing to a vector");
        out.extend_from_slice(b",\"apiVersion\":");
        serde_json::to_writer(&mut out, &resource.api_version()).expect("writing to a vector");
        out.extend_from_slice(b",\"metadata\":");
        serde_json::to_writer(&mut out, &listed.metadata).expect("writing to a vector");
        out.extend_from_slice(b",\"items\":[");
        for (idx, item) in listed.items.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            out.extend_from_slice(item);
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }

    /// The objects a list request selects, each as JSON bytes with its resourceVersion, and the list's
    /// metadata (resourceVersion, continue).
    async fn list_items(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
    ) -> Result<ListedItems, ApiError> {
        let namespace = Self::namespace_of(resource, request)?;
        let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
        let fields = FieldSelector::parse(
            query.get("fieldSelector").map_or("", String::as_str),
            &resource.group,
            &resource.plural,
        )?;
        let limit = match query.get("limit").map(String::as_str) {
            None | Some("") => None,
            Some(text) => {
                Some(text.parse::<i64>().map_err(|_| ApiError::bad_request(format!("invalid limit {text:?}")))?)
            }
        }
        .filter(|&limit| limit > 0)
        .map(|limit| limit as usize);
        let prefix = self.collection_prefix(resource, namespace);
        let (mut start_after, mut revision) = match query.get("continue").filter(|c| !c.is_empty()) {
            Some(token) => {
                let (rv, start) = decode_continue(token, &prefix)?;
                (Some(start), Some(rv))
            }
            None => (None, list_revision(query)?),
        };
        let mut items = Vec::new();
        let mut next_key = None;
        let list_revision;
        loop {
            let want = limit.map(|limit| limit - items.len());
            let page = self
                .store
                .list(&prefix, ListOptions { limit: want, start_after: start_after.clone(), revision })
                .await
                .map_err(|error| match error {
                    StoreError::Compacted { .. } if query.contains_key("continue") => ApiError::expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to get a consistent list result.",
                    ),
                    other => ApiError::from(other),
                })?;
            revision = Some(page.revision);
            let last_key = page.items.last().map(|kv| kv.key.clone());
            for kv in &page.items {
                // Objects served as stored are spliced without decoding; converted ones need decoding.
                let spliced = if labels.is_empty()
                    && fields.is_empty()
                    && matches!(resource.decoder, Decoder::Typed(_))
                    && resource.conversion.is_none()
                {
                    object::splice_resource_version(&kv.value, kv.mod_revision)
                } else {
                    None
                };
                match spliced {
                    Some(bytes) => items.push(bytes),
                    None => {
                        let object = self.decode_stored(resource, kv)?;
                        if labels.matches(object::labels(&object)) && fields.matches(&object) {
                            items.push(serde_json::to_vec(&object).expect("JSON values serialize"));
                        }
                    }
                }
            }
            match (page.more, limit) {
                (true, Some(limit)) if items.len() >= limit => {
                    next_key = last_key;
                    list_revision = page.revision;
                    break;
                }
                (true, _) => start_after = last_key,
                (false, _) => {
                    list_revision = page.revision;
                    break;
                }
            }
        }
        let mut metadata = json!({ "resourceVersion": list_revision.to_string() });
        if let Some(key) = next_key {
            metadata["continue"] = Value::String(encode_continue(list_revision, &key, &prefix));
        }
        Ok(ListedItems { items, metadata })
    }
}

/// The selected objects of a list, as JSON bytes, and the list's metadata.
#[derive(Debug)]
struct ListedItems {
    items: Vec<Vec<u8>>,
    metadata: Value,
}

/// `resourceVersion` and `resourceVersionMatch` of a list: `None` reads the latest state.
fn list_revision(query: &Query) -> Result<Option<i64>, ApiError> {
    let rv = query.get("resourceVersion").map(String::as_str).unwrap_or_default();
    let exact = query.get("resourceVersionMatch").is_some_and(|m| m == "Exact");
    match rv {
        "" | "0" => Ok(None),
        text => {
            let revision: i64 =
                text.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version: {text}")))?;
            Ok(exact.then_some(revision))
        }
    }
}

/// The continue token: base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after the prefix>\u0000"}`, as
/// kube-apiserver writes it.
fn encode_continue(revision: i64, last_key: &str, prefix: &str) -> String {
    let start = format!("{}\u{0}", last_key.strip_prefix(prefix).unwrap_or(last_key));
    let token = json!({ "v": "meta.k8s.io/v1", "rv": revision, "start": start });
    base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(&token).expect("JSON serializes"))
}

/// The list revision and the key to continue after.
fn decode_continue(token: &str, prefix: &str) -> Result<(i64, String), ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE.decode(token).map_err(|_| invalid())?;
    let value: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if value.get("v").and_then(Value::as_str) != Some("meta.k8s.io/v1") {
        return Err(invalid());
    }
    let revision = value.get("rv").and_then(Value::as_i64).filter(|rv| *rv > 0).ok_or_else(invalid)?;
    let start = value.get("start").and_then(Value::as_str).ok_or_else(invalid)?;
    let start = start.strip_suffix('\u{0}').unwrap_or(start);
    if start.contains("..") || start.starts_with('/') {
        return Err(invalid());
    }
    Ok((revision, format!("{prefix}{start}")))
}
