//! WATCH: a chunked HTTP response carrying one JSON watch event per line, as kube-apiserver streams them:
//! ADDED / MODIFIED / DELETED for changes, BOOKMARK for progress, and ERROR (a `Status`, 410 Expired when the
//! requested history is compacted) as the last event of a stream that cannot go on.
//!
//! Without a resourceVersion (or with "0") the watch first sends the current objects as ADDED. With
//! `sendInitialEvents=true` (WatchList) it does the same and then marks the end of the initial state with a
//! BOOKMARK annotated `k8s.io/initial-events-end: "true"`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};
use store::{Event, EventKind, ListOptions, StoreError};
use tokio::sync::mpsc;

use crate::api::ClusterApi;
use crate::decoded::{DecodeCache, Decoded, Side};
use crate::http::Query;
use crate::media::Presentation;
use crate::object;
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;

/// How often a watch that asked for bookmarks gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);
/// How long a watch lasts when the client does not say (kube-apiserver picks 30 to 60 minutes).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(45 * 60);

struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object::labels(object)) && self.fields.matches(object)
    }
}

impl ClusterApi {
    /// Streams watch events; presented as a `Table`, each event's object is a `Table` of one row (the first one
    /// carrying the column definitions), as kubectl's `get --watch` asks for; as metadata, a
    /// `PartialObjectMetadata`.
    pub(crate) async fn watch(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
        presentation: Presentation,
    ) -> Result<Response, ApiError> {
        let namespace = if resource.namespaced { request.namespace.as_deref() } else { None };
        let prefix = self.collection_prefix(resource, namespace);
        let filter = Filter {
            labels: LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?,
            fields: FieldSelector::parse(
                query.get("fieldSelector").map_or("", String::as_str),
                &resource.group,
                &resource.plural,
            )?,
        };
        let bookmarks = query.get("allowWatchBookmarks").is_some_and(|v| v == "true");
        let send_initial = query.get("sendInitialEvents").map(String::as_str);
        let timeout = match query.get("timeoutSeconds").map(String::as_str) {
            None | Some("") => DEFAULT_TIMEOUT,
            Some(text) => Duration::from_secs(
                text.parse().map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds {text:?}")))?,
            ),
        };
        let requested: i64 = match query.get("resourceVersion").map(String::as_str) {
            None | Some("") => 0,
            Some(text) => {
                text.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version: {text}")))?
            }
        };
        if send_initial == Some("true") {
            if !bookmarks {
                return Err(ApiError::invalid_watch(
                    "sendInitialEvents",
                    "allowWatchBookmarks must be true when sendInitialEvents is set",
                ));
            }
            if query.get("resourceVersionMatch").map(String::as_str) != Some("NotOlderThan") {
                return Err(ApiError::invalid_watch(
                    "resourceVersionMatch",
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ));
            }
        }
        let initial_state = send_initial == Some("true") || (send_initial.is_none() && requested == 0);
        let (initial, after) = if initial_state {
            let mut objects = Vec::new();
            let mut start_after = None;
            let mut revision = None;
            loop {
                let page = self.store.list(&prefix, ListOptions { limit: Some(1000), start_after, revision }).await?;
                for kv in &page.items {
                    let mut value: Value =
                        serde_json::from_slice(&kv.value).map_err(|e| ApiError::internal(e.to_string()))?;
                    object::set_resource_version(&mut value, kv.mod_revision);
                    if filter.matches(&value) {
                        objects.push(value);
                    }
                }
                revision = Some(page.revision);
                if !page.more {
                    break;
                }
                start_after = page.items.last().map(|kv| kv.key.clone());
            }
            (objects, revision.unwrap_or(0).max(requested))
        } else {
            (Vec::new(), requested)
        };
        let stream = match self.store.watch(&prefix, after).await {
            Ok(stream) => Some(stream),
            Err(StoreError::Compacted { compacted, .. }) => {
                // kube-apiserver reports a compacted watch start inside a 200 stream.
                let status = ApiError::expired(format!("too old resource version: {requested} ({compacted})"));
                let (sender, receiver) = mpsc::channel(1);
                let _ = sender.try_send(line(&json!({ "type": "ERROR", "object": status.to_status() })));
                return Ok(streaming(receiver));
            }
            Err(error) => return Err(error.into()),
        };
        let mark_initial_end = send_initial == Some("true");
        let (sender, receiver) = mpsc::channel::<Vec<u8>>(64);
        let kind = resource.kind.to_string();
        let api_version = resource.api_version();
        let resource = resource.clone();
        let mut columns_sent = false;
        // Custom resources (apiVersion as requested) and converted ones are presented per watch.
        let as_stored =
            !matches!(resource.decoder, crate::registry::Decoder::Custom(_)) && resource.conversion.is_none();
        let mut present = move |mut event: Value| -> Value {
            if event["type"] != "BOOKMARK" && event["type"] != "ERROR" {
                if let Some(conversion) = resource.conversion {
                    conversion.to_served(&resource, &mut event["object"]);
                }
                crate::crd::present(&resource, &mut event["object"]);
            }
            if event["type"] == "BOOKMARK" || event["type"] == "ERROR" {
                return event;
            }
            match presentation {
                Presentation::Table(include) => {
                    let object = event["object"].take();
                    let metadata = json!({ "resourceVersion": object["metadata"]["resourceVersion"].clone() });
                    event["object"] = crate::table::table(&resource, &[object], metadata, include, !columns_sent);
                    columns_sent = true;
                }
                Presentation::Metadata(version) => {
                    event["object"] = crate::media::partial(&event["object"], version);
                }
                Presentation::Object => {}
            }
            event
        };
        // A built-in object is presented as stored, so a change's event line is spliced from the encoding every
        // watch shares; custom and converted resources, tables and metadata are built per watch.
        let shared_encoding = presentation == Presentation::Object && as_stored;
        let decodes = Arc::clone(&self.decodes);
        let task = async move {
            for object in initial {
                if sender.send(line(&present(json!({ "type": "ADDED", "object": object })))).await.is_err() {
                    return;
                }
            }
            if mark_initial_end {
                let bookmark = bookmark_object(&kind, &api_version, after, true);
                if sender.send(line(&json!({ "type": "BOOKMARK", "object": bookmark }))).await.is_err() {
                    return;
                }
            }
            let Some(mut stream) = stream else { return };
            let deadline = tokio::time::sleep(timeout);
            tokio::pin!(deadline);
            let mut ticker =
                tokio::time::interval_at(tokio::time::Instant::now() + BOOKMARK_INTERVAL, BOOKMARK_INTERVAL);
            let mut last_revision = after;
            loop {
                tokio::select! {
                    _ = &mut deadline => return,
                    _ = sender.closed() => return,
                    _ = ticker.tick(), if bookmarks => {
                        let bookmark = bookmark_object(&kind, &api_version, last_revision, false);
                        if sender.send(line(&json!({ "type": "BOOKMARK", "object": bookmark }))).await.is_err() {
                            return;
                        }
                    }
                    event = stream.next() => {
                        let event = match event {
                            None => return,
                            Some(Ok(event)) => event,
                            Some(Err(error)) => {
                                let _ = sender.send(line(&json!({ "type": "ERROR", "object": ApiError::from(error).to_status() }))).await;
                                return;
                            }
                        };
                        last_revision = event.revision();
                        let Some((kind, object)) = translate(&decodes, &event, &filter) else { continue };
                        let bytes = if shared_encoding {
                            object.json().map(|json| spliced_line(kind, json))
                        } else {
                            object.value().map(|value| line(&present(json!({ "type": kind, "object": value }))))
                        };
                        // A stored value that is not a JSON object is skipped, as before any watch saw it.
                        let Some(bytes) = bytes else { continue };
                        if sender.send(bytes).await.is_err() {
                            return;
                        }
                    }
                }
            }
        };
        // The task ends when the client goes away, the stream ends or the timeout passes.
        tokio::spawn(task);
        Ok(streaming(receiver))
    }
}

/// The watch event for a store event, as its type and object, or `None` when the object is outside the selectors
/// before and after (or is not a JSON object). An object that stops matching is reported as DELETED, one that
/// starts matching as ADDED.
fn translate(cache: &DecodeCache, event: &Event, filter: &Filter) -> Option<(&'static str, Arc<Decoded>)> {
    let revision = event.revision();
    let everything = filter.labels.is_empty() && filter.fields.is_empty();
    // Without selectors a change needs no decoding here, and its previous state only when it is a delete.
    if everything && event.kind == EventKind::Put {
        let object = cache.decode(&event.kv.key, Side::Current, revision, &event.kv.value);
        return Some((if event.prev.is_some() { "MODIFIED" } else { "ADDED" }, object));
    }
    let previous = event.prev.as_ref().map(|prev| cache.decode(&prev.key, Side::Previous, revision, &prev.value));
    let was = previous.as_ref().is_some_and(|p| everything || p.selectable().is_some_and(|p| filter.matches(p)));
    match event.kind {
        EventKind::Delete => {
            let object = previous?;
            was.then_some(("DELETED", object))
        }
        EventKind::Put => {
            let object = cache.decode(&event.kv.key, Side::Current, revision, &event.kv.value);
            let now = filter.matches(object.selectable()?);
            match (was, now) {
                (false, true) => Some(("ADDED", object)),
                (true, true) => Some(("MODIFIED", object)),
                (true, false) => Some(("DELETED", object)),
                (false, false) => None,
            }
        }
    }
}

/// A watch event line around an object's shared encoding.
fn spliced_line(kind: &str, object: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(object.len() + kind.len() + 24);
    bytes.extend_from_slice(b"{\"type\":\"");
    bytes.extend_from_slice(kind.as_bytes());
    bytes.extend_from_slice(b"\",\"object\":");
    bytes.extend_from_slice(object);
    bytes.extend_from_slice(b"}\n");
    bytes
}

fn bookmark_object(kind: &str, api_version: &str, revision: i64, initial_events_end: bool) -> Value {
    let mut metadata = json!({ "resourceVersion": revision.to_string() });
    if initial_events_end {
        metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    json!({ "kind": kind, "apiVersion": api_version, "metadata": metadata })
}

fn line(event: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(event).expect("JSON values serialize");
    bytes.push(b'\n');
    bytes
}

fn streaming(receiver: mpsc::Receiver<Vec<u8>>) -> Response {
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(chunk), receiver))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(body))
        .expect("a valid response")
}

impl ApiError {
    fn invalid_watch(field: &str, message: &str) -> ApiError {
        ApiError::new(422, "Invalid", format!("ListOptions.meta.k8s.io \"\" is invalid: {field}: Forbidden: {message}"))
    }
}
