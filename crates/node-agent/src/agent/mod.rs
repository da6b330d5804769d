//! The agent's two tasks and what they share: the node task ([`nodes`]) and the pod task ([`pods`]), plus the
//! helpers both use to write events and times.

use std::sync::atomic::{AtomicU64, Ordering};

use k8s_openapi::api::core::v1::Event;
use serde_json::json;
use time::OffsetDateTime;

use crate::status::{EventSpec, timestamp};

pub(crate) mod nodes;
pub(crate) mod pods;

/// A `metav1.MicroTime`: RFC 3339 with microseconds, as Leases carry.
pub(crate) fn micro_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// Whether an API error is a 404.
pub(crate) fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

/// Whether an API error is a 409.
pub(crate) fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}

/// Makes event names unique within one nanosecond.
static EVENT_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The object an event is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Involved<'a> {
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
}

/// How many events may wait to be posted; more are dropped (and logged), as client-go's event broadcaster drops
/// them when its queue is full.
const EVENT_QUEUE: usize = 1000;
/// How many events are posted at once.
const EVENT_WRITERS: usize = 16;

/// Posts events in the background, as kubelet's event recorder does, so that a pod's lifecycle never waits on
/// its events, and counts an event said again (a crash loop's `BackOff`, a failing probe's `Unhealthy`) on the
/// first one. The writer task ends when every clone is dropped and the queue is drained.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    events: k8s_events::Recorder,
}

impl Recorder {
    /// Starts the writer task on the current runtime.
    pub(crate) fn start() -> Recorder {
        Recorder { events: k8s_events::Recorder::start(EVENT_QUEUE, EVENT_WRITERS) }
    }

    /// Queues an event as kubelet on `node` records it (core/v1, source `kubelet`).
    pub(crate) fn record(&self, client: &kube::Client, node: &str, involved: Involved<'_>, event: &EventSpec) {
        let now = OffsetDateTime::now_utc();
        let unique = now.unix_timestamp_nanos() as u64 + EVENT_SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let namespace = if involved.namespace.is_empty() { "default" } else { involved.namespace };
        let mut object = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": { "name": format!("{}.{unique:x}", involved.name), "namespace": namespace },
            "involvedObject": {
                "apiVersion": "v1",
                "kind": involved.kind,
                "name": involved.name,
                "uid": involved.uid,
            },
            "reason": event.reason,
            "message": event.message,
            "type": event.type_,
            "source": { "component": "kubelet", "host": node },
            "firstTimestamp": timestamp(now),
            "lastTimestamp": timestamp(now),
            "count": 1,
            "reportingComponent": "kubelet",
            "reportingInstance": node,
        });
        if !involved.namespace.is_empty() {
            object["involvedObject"]["namespace"] = json!(involved.namespace);
        }
        if let Some(field_path) = &event.field_path {
            object["involvedObject"]["fieldPath"] = json!(field_path);
        }
        let event: Event = match serde_json::from_value(object) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "node agent: an event that is not an Event");
                return;
            }
        };
        self.events.record(client, event);
    }
}
