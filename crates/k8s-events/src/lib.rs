//! Posting core/v1 Events as client-go's event recorder does, for the in-process components that report them (the
//! scheduler, the simulated kubelets, the controllers): correlating repeats, so that an event that says what one
//! posted lately said (same object, type, reason, message and source) bumps that event's `count` and
//! `lastTimestamp` instead of adding another and `kubectl describe` shows "(x5 over 2m)" as on a real cluster.
//! [`Recorder`] posts in the background, so that a reporter never waits on its events, and drops events when too
//! many wait; [`post`] posts at once, for reconcilers that record as they go. Both share one memory of recent
//! events per process (keys name the object by uid, so clusters never mix).

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use tokio::sync::mpsc;

/// How many recent events are remembered for correlation (client-go's correlator keeps as many).
pub const REMEMBERED: usize = 4096;

/// The events posted lately by this process.
static RECENT: LazyLock<Mutex<Recent>> = LazyLock::new(Mutex::default);

/// Posts `event` in its namespace now, or, when the same was said lately, bumps the event that said it; a failure
/// is only logged.
pub async fn post(client: &kube::Client, event: Event) {
    let (api, write) = correlate(client, event);
    write.post(api).await;
}

/// What to write for `event`: the event itself, or a bump of the one posted lately that said the same.
fn correlate(client: &kube::Client, event: Event) -> (Api<Event>, Write) {
    let namespace = event.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let key = Key::of(&event);
    let write = {
        let mut recent = RECENT.lock().expect("event memory lock poisoned by a panic");
        match recent.repeat(&key) {
            Some((name, count)) => Write::Repeat { name, count, last: event.last_timestamp.clone() },
            None => {
                recent.remember(key, event.metadata.name.clone().unwrap_or_default());
                Write::Create(Box::new(event))
            }
        }
    };
    (Api::namespaced(client.clone(), &namespace), write)
}

/// Posts events in the background; clones share the queue.
#[derive(Debug, Clone)]
pub struct Recorder {
    queue: mpsc::Sender<(Api<Event>, Write)>,
}

impl Recorder {
    /// Starts the writer task on the current runtime: at most `queue` events wait and `writers` are posted at once.
    /// The task ends when every clone is dropped and the queue is drained.
    pub fn start(queue: usize, writers: usize) -> Recorder {
        let (sender, receiver) = mpsc::channel::<(Api<Event>, Write)>(queue);
        let pending = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        });
        tokio::spawn(pending.for_each_concurrent(writers, |(api, write)| write.post(api)));
        Recorder { queue: sender }
    }

    /// Queues `event` in its namespace (`default` without one), or, when the same was said lately, a bump of the
    /// event that said it.
    pub fn record(&self, client: &kube::Client, event: Event) {
        let reason = event.reason.clone().unwrap_or_default();
        let (api, write) = correlate(client, event);
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send((api, write)) {
            tracing::warn!(reason, "the event queue is full; dropping an event");
        }
    }
}

/// What the writer does with one event.
enum Write {
    Create(Box<Event>),
    /// Sets the count and last time of the event of that name.
    Repeat {
        name: String,
        count: i32,
        last: Option<Time>,
    },
}

impl Write {
    async fn post(self, api: Api<Event>) {
        let result = match &self {
            Write::Create(event) => api.create(&PostParams::default(), event).await.map(drop),
            Write::Repeat { name, count, last } => {
                let mut patch = json!({ "count": count });
                if let Some(last) = last {
                    patch["lastTimestamp"] = json!(last);
                }
                api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
            }
        };
        if let Err(error) = result {
            tracing::debug!(%error, "cannot record an event");
        }
    }
}

/// What makes two events the same one said again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    object: String,
    type_: String,
    reason: String,
    message: String,
    source: (String, String),
}

impl Key {
    fn of(event: &Event) -> Key {
        let object = &event.involved_object;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let source = event.source.as_ref();
        Key {
            // The uid tells apart objects that reuse a name; the name is the key of objects without one.
            object: format!(
                "{}/{}/{}/{}",
                text(&object.kind),
                text(&object.namespace),
                text(&object.name),
                text(&object.uid)
            ),
            type_: text(&event.type_),
            reason: text(&event.reason),
            message: text(&event.message),
            source: (
                source.and_then(|s| s.component.clone()).unwrap_or_default(),
                source.and_then(|s| s.host.clone()).unwrap_or_default(),
            ),
        }
    }
}

/// The events posted lately, oldest first, each with its name and how often it was said.
#[derive(Debug, Default)]
struct Recent {
    events: HashMap<Key, (String, i32)>,
    order: VecDeque<Key>,
}

impl Recent {
    /// The name and new count of an event said before, counting this time; `None` for a new one.
    fn repeat(&mut self, key: &Key) -> Option<(String, i32)> {
        let (name, count) = self.events.get_mut(key)?;
        *count = count.saturating_add(1);
        Some((name.clone(), *count))
    }

    fn remember(&mut self, key: Key, name: String) {
        if self.events.insert(key.clone(), (name, 1)).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.events.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(uid: &str, type_: &str, message: &str, host: Option<&str>) -> Event {
        serde_json::from_value(json!({
            "metadata": { "name": format!("web.{uid}{message}"), "namespace": "default" },
            "involvedObject": { "kind": "Pod", "namespace": "default", "name": "web", "uid": uid },
            "type": type_, "reason": "FailedScheduling", "message": message,
            "source": { "component": "default-scheduler", "host": host },
        }))
        .expect("an event")
    }

    #[test]
    fn repeats_bump_the_first_event_and_the_oldest_are_forgotten() {
        let mut recent = Recent::default();
        let first = Key::of(&event("u1", "Warning", "0/3 nodes", None));
        assert_eq!(recent.repeat(&first), None);
        recent.remember(first.clone(), "web.1".into());
        assert_eq!(recent.repeat(&first), Some(("web.1".into(), 2)));
        assert_eq!(recent.repeat(&first), Some(("web.1".into(), 3)));
        // Another message, object, type or source is another event.
        for other in [
            event("u1", "Warning", "0/4 nodes", None),
            event("u2", "Warning", "0/3 nodes", None),
            event("u1", "Normal", "0/3 nodes", None),
            event("u1", "Warning", "0/3 nodes", Some("node-1")),
        ] {
            assert_eq!(recent.repeat(&Key::of(&other)), None);
        }
        for n in 0..REMEMBERED {
            recent.remember(Key::of(&event(&format!("other-{n}"), "Warning", "m", None)), format!("e.{n}"));
        }
        assert_eq!(recent.events.len(), REMEMBERED);
        assert_eq!(recent.repeat(&first), None, "the oldest is forgotten past the bound");
        let kept = Key::of(&event("other-1", "Warning", "m", None));
        assert_eq!(recent.repeat(&kept), Some(("e.1".into(), 2)));
    }

    #[test]
    fn an_event_without_its_fields_still_has_a_key() {
        let garbage = Event::default();
        let mut recent = Recent::default();
        recent.remember(Key::of(&garbage), String::new());
        assert_eq!(recent.repeat(&Key::of(&garbage)), Some((String::new(), 2)));
    }
}
