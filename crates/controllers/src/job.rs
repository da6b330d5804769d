//! The Job controller and the TTL-after-finished controller: run a Job's pods to completion (NonIndexed or
//! Indexed), track them with the `batch.kubernetes.io/job-tracking` finalizer, count successes and failures
//! into the status, back off after failures, keep `backoffLimit`, `activeDeadlineSeconds`, `podFailurePolicy`,
//! `successPolicy` and `suspend`, and delete finished Jobs after `ttlSecondsAfterFinished`, with the condition
//! reasons and messages of kube-controller-manager's job controller.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobSpec, JobStatus, PodFailurePolicy, SuccessPolicy};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{WatchStreamExt, watcher};

use crate::without_managed_fields;
use serde_json::json;

use crate::batch_support::{
    Clock, ReconcileError, controller_ref, ignore_not_found, is_controlled_by, is_ready, is_terminal, is_terminating,
    pod_phase, record_event, retry_later,
};

const COMPONENT: &str = "job-controller";
/// The finalizer the controller puts on every pod it creates until the pod's outcome is counted.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// The annotation (and label) holding an Indexed Job pod's completion index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// How the controller backs off after pod failures: `base` doubled per consecutive failure, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure (10 s upstream).
    pub base: Duration,
    /// The longest delay (10 minutes upstream).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_secs(10), max: Duration::from_secs(600) }
    }
}

impl Backoff {
    /// The delay before a new pod after `failures` consecutive failures.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(failures - 1).unwrap_or(u32::MAX);
        self.base.checked_mul(factor).unwrap_or(self.max).min(self.max)
    }
}

#[derive(Debug, Clone, Copy)]
struct BackoffRecord {
    failures: u32,
    last_failure: Timestamp,
}

struct Context {
    client: kube::Client,
    clock: Clock,
    backoff: Backoff,
    records: Mutex<HashMap<String, BackoffRecord>>,
}

/// Runs the Job and TTL-after-finished controllers until the task is dropped.
pub async fn run(client: kube::Client, clock: Clock, backoff: Backoff) {
    let context = Arc::new(Context { client: client.clone(), clock, backoff, records: Mutex::new(HashMap::new()) });
    let jobs = Controller::new(Api::<Job>::all(client.clone()), watcher::Config::default())
        .owns(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .run(reconcile, retry_later, context)
        .for_each(|_| async {});
    tokio::join!(jobs, release_orphans(client));
}

/// Lets go of pods whose Job is gone (deleted with its pods, or orphaning them): nothing else would remove
/// their tracking finalizer once they finish or are deleted.
async fn release_orphans(client: kube::Client) {
    let config = watcher::Config::default().labels("batch.kubernetes.io/controller-uid");
    let mut events = watcher::watcher(Api::<Pod>::all(client.clone()), config)
        .default_backoff()
        .modify(without_managed_fields)
        .boxed();
    while let Some(event) = events.next().await {
        let pod = match event {
            Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => pod,
            _ => continue,
        };
        if !has_finalizer(&pod) || !(is_terminal(&pod) || is_terminating(&pod)) {
            continue;
        }
        let namespace = pod.namespace().unwrap_or_default();
        let owner = pod.owner_references().iter().find(|o| o.controller == Some(true) && o.kind == "Job").cloned();
        let job_exists = match &owner {
            None => false,
            Some(owner) => match Api::<Job>::namespaced(client.clone(), &namespace).get_opt(&owner.name).await {
                Ok(job) => job.is_some_and(|job| job.uid().as_deref() == Some(owner.uid.as_str())),
                Err(_) => true,
            },
        };
        if !job_exists {
            let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            if let Err(error) = remove_finalizer(&pods, &pod).await {
                tracing::debug!(%error, "could not release an orphaned job pod");
            }
        }
    }
}

/// A condition type set to true on a Job, with its reason and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `BackoffLimitExceeded`, `DeadlineExceeded`, `PodFailurePolicy`, `CompletionsReached`, `SuccessPolicy`...
    pub reason: String,
    /// The condition's message.
    pub message: String,
}

fn verdict(reason: &str, message: impl Into<String>) -> Verdict {
    Verdict { reason: reason.to_owned(), message: message.into() }
}

/// What a matching pod failure policy rule says about a failed pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyAction {
    /// Fail the whole Job with this message.
    FailJob(String),
    /// Do not count the failure.
    Ignore,
    /// Count the failure against `backoffLimit` (also when no rule matches).
    Count,
}

/// The first rule of `policy` that matches the failed `pod`, as upstream evaluates them in order.
pub fn match_failure_policy(policy: &PodFailurePolicy, pod: &Pod) -> PolicyAction {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let status = pod.status.as_ref();
    let terminated: Vec<(&str, i32)> = status
        .into_iter()
        .flat_map(|s| s.init_container_statuses.iter().flatten().chain(s.container_statuses.iter().flatten()))
        .filter_map(|c| {
            let code = c.state.as_ref()?.terminated.as_ref()?.exit_code;
            (code != 0).then_some((c.name.as_str(), code))
        })
        .collect();
    for (index, rule) in policy.rules.iter().enumerate() {
        let action = rule.action.as_str();
        let message = if let Some(on_codes) = &rule.on_exit_codes {
            terminated.iter().find_map(|(container, code)| {
                let named = on_codes.container_name.as_deref().is_none_or(|wanted| wanted == *container);
                let listed = on_codes.values.contains(code);
                let matches = match on_codes.operator.as_str() {
                    "In" => listed,
                    "NotIn" => !listed,
                    _ => false,
                };
                (named && matches).then(|| {
                    format!(
                        "Container {container} for pod {namespace}/{name} failed with exit code {code} matching {action} rule at index {index}"
                    )
                })
            })
        } else {
            rule.on_pod_conditions.iter().flatten().find_map(|pattern| {
                let wanted_status = if pattern.status.is_empty() { "True" } else { pattern.status.as_str() };
                let has = status
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| cs.iter().any(|c| c.type_ == pattern.type_ && c.status == wanted_status));
                has.then(|| {
                    format!(
                        "Pod {namespace}/{name} has condition {} matching {action} rule at index {index}",
                        pattern.type_
                    )
                })
            })
        };
        if let Some(message) = message {
            return match action {
                "FailJob" => PolicyAction::FailJob(message),
                "Ignore" => PolicyAction::Ignore,
                _ => PolicyAction::Count,
            };
        }
    }
    PolicyAction::Count
}

/// Reads a `completedIndexes` value ("1,3-5"); garbage parts are skipped.
pub fn parse_indexes(text: &str) -> BTreeSet<i32> {
    let mut indexes = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((low, high)) => {
                if let (Ok(low), Ok(high)) = (low.parse::<i32>(), high.parse::<i32>())
                    && low >= 0
                    && low <= high
                    && high - low <= 1_000_000
                {
                    indexes.extend(low..=high);
                }
            }
            None => {
                if let Ok(index) = part.parse::<i32>()
                    && index >= 0
                {
                    indexes.insert(index);
                }
            }
        }
    }
    indexes
}

/// Writes a set of indexes as `completedIndexes` does: ascending, runs of three or more... as intervals.
pub fn format_indexes(indexes: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end = iter.next().unwrap_or(end);
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
    }
    parts.join(",")
}

/// Whether a success policy is met by the completed indexes, and the index of the rule that matched.
pub fn success_policy_met(policy: &SuccessPolicy, completed: &BTreeSet<i32>) -> Option<usize> {
    policy.rules.iter().position(|rule| {
        let wanted = rule.succeeded_indexes.as_deref().map(parse_indexes);
        let succeeded = match &wanted {
            Some(wanted) => {
                let met = wanted.intersection(completed).count();
                if rule.succeeded_count.is_none() && met < wanted.len() {
                    return false;
                }
                met
            }
            None => completed.len(),
        };
        match rule.succeeded_count {
            Some(count) => succeeded >= usize::try_from(count).unwrap_or(usize::MAX),
            None => wanted.is_some(),
        }
    })
}

/// The Job's counts after this round of counting, the input of the pure decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Pods running or waiting to run (not terminal, not being deleted).
    pub active: i32,
    /// Pods counted as succeeded.
    pub succeeded: i32,
    /// Pods counted as failed.
    pub failed: i32,
    /// For Indexed Jobs, the indexes that succeeded.
    pub completed_indexes: BTreeSet<i32>,
}

/// Whether the Job has succeeded (its `SuccessCriteriaMet` verdict).
pub fn success(spec: &JobSpec, counts: &Counts) -> Option<Verdict> {
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    if indexed
        && let Some(policy) = &spec.success_policy
        && let Some(index) = success_policy_met(policy, &counts.completed_indexes)
    {
        return Some(verdict("SuccessPolicy", format!("Matched rules at index {index}")));
    }
    let done = match spec.completions {
        Some(completions) if indexed => counts.completed_indexes.len() >= usize::try_from(completions).unwrap_or(0),
        Some(completions) => counts.succeeded >= completions,
        None => counts.succeeded > 0 && counts.active == 0,
    };
    done.then(|| verdict("CompletionsReached", "Reached expected number of succeeded pods"))
}

/// Whether the Job has failed by `backoffLimit` or `activeDeadlineSeconds` (its `FailureTarget` verdict).
pub fn failure(spec: &JobSpec, counts: &Counts, start: Option<Timestamp>, now: Timestamp) -> Option<Verdict> {
    if counts.failed > spec.backoff_limit.unwrap_or(6) {
        return Some(verdict("BackoffLimitExceeded", "Job has reached the specified backoff limit"));
    }
    if let (Some(deadline), Some(start)) = (spec.active_deadline_seconds, start)
        && start.as_second() + deadline <= now.as_second()
    {
        return Some(verdict("DeadlineExceeded", "Job was active longer than specified deadline"));
    }
    None
}

/// How many pods should run now for a NonIndexed Job, or which indexes should get a pod for an Indexed one.
pub fn wanted_active(spec: &JobSpec, counts: &Counts) -> i32 {
    let parallelism = spec.parallelism.unwrap_or(1).max(0);
    match spec.completions {
        Some(completions) if spec.completion_mode.as_deref() == Some("Indexed") => {
            let remaining = completions - i32::try_from(counts.completed_indexes.len()).unwrap_or(i32::MAX);
            parallelism.min(remaining.max(0))
        }
        Some(completions) => parallelism.min((completions - counts.succeeded).max(0)),
        None if counts.succeeded > 0 => counts.active.min(parallelism),
        None => parallelism,
    }
}

/// The lowest indexes still to run, at most `room` of them.
pub fn pending_indexes(completions: i32, completed: &BTreeSet<i32>, running: &BTreeSet<i32>, room: i32) -> Vec<i32> {
    (0..completions.max(0))
        .filter(|i| !completed.contains(i) && !running.contains(i))
        .take(usize::try_from(room).unwrap_or(0))
        .collect()
}

fn pod_index(pod: &Pod) -> Option<i32> {
    pod.metadata.annotations.as_ref()?.get(COMPLETION_INDEX)?.parse().ok()
}

fn has_condition(status: &JobStatus, type_: &str) -> Option<JobCondition> {
    status.conditions.iter().flatten().find(|c| c.type_ == type_ && c.status == "True").cloned()
}

fn condition(type_: &str, verdict: &Verdict, now: Timestamp) -> JobCondition {
    JobCondition {
        type_: type_.to_owned(),
        status: "True".to_owned(),
        reason: Some(verdict.reason.clone()),
        message: Some(verdict.message.clone()),
        last_probe_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

fn set_condition(conditions: &mut Vec<JobCondition>, new: JobCondition) {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        Some(existing) if existing.status == new.status => {}
        Some(existing) => *existing = new,
        None => conditions.push(new),
    }
}

fn finished(status: &JobStatus) -> Option<Timestamp> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .map(|c| c.last_transition_time.as_ref().map(|t| t.0).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn after(now: Timestamp, then: Timestamp) -> Duration {
    Duration::from_millis(u64::try_from((then.as_millisecond() - now.as_millisecond()).max(0)).unwrap_or(0))
}

/// Merges `patch` into the Job's status if the Job is still at `version`, and moves `version` on; a 409 otherwise.
async fn patch_status(
    jobs: &Api<Job>,
    name: &str,
    version: &mut Option<String>,
    mut patch: serde_json::Value,
) -> Result<(), ReconcileError> {
    patch["metadata"] = json!({"resourceVersion": version});
    let written = jobs.patch_status(name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    *version = written.resource_version();
    Ok(())
}

async fn remove_finalizer(pods: &Api<Pod>, pod: &Pod) -> Result<(), ReconcileError> {
    let Some(finalizers) = pod.metadata.finalizers.as_ref() else { return Ok(()) };
    if !finalizers.iter().any(|f| f == TRACKING_FINALIZER) {
        return Ok(());
    }
    let kept: Vec<&String> = finalizers.iter().filter(|f| *f != TRACKING_FINALIZER).collect();
    // The resourceVersion makes the patch fail (and the reconcile retry) if the list changed meanwhile.
    let patch = json!({"metadata": {"finalizers": kept, "resourceVersion": pod.metadata.resource_version}});
    ignore_not_found(pods.patch(&pod.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await)?;
    Ok(())
}

fn has_finalizer(pod: &Pod) -> bool {
    pod.metadata.finalizers.iter().flatten().any(|f| f == TRACKING_FINALIZER)
}

async fn reconcile(cached: Arc<Job>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let namespace = cached.namespace().unwrap_or_default();
    let name = cached.name_any();
    let jobs: Api<Job> = Api::namespaced(client.clone(), &namespace);
    // The counters move by increments (what is counted plus what is uncounted), so they are read from the API
    // server, never from the watch cache, which may still miss this controller's last writes; every status write
    // then carries the resourceVersion it was computed from.
    let Some(job) = jobs.get_opt(&name).await? else { return Ok(Action::await_change()) };
    if job.uid() != cached.uid() {
        return Ok(Action::await_change());
    }
    let mut version = job.resource_version();
    let uid = job.uid().unwrap_or_default();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let now = context.clock.now();
    let Some(spec) = job.spec.clone() else { return Ok(Action::await_change()) };
    let status = job.status.clone().unwrap_or_default();
    if spec.managed_by.as_deref().is_some_and(|m| m != "kubernetes.io/job-controller") {
        return Ok(Action::await_change());
    }

    let selector = format!("batch.kubernetes.io/controller-uid={uid}");
    let pods: Vec<Pod> = pods_api
        .list(&ListParams::default().labels(&selector))
        .await?
        .items
        .into_iter()
        .filter(|pod| is_controlled_by(pod, &uid))
        .collect();

    // A finished Job only lets go of its pods and waits for its time to live.
    if let Some(finished_at) = finished(&status) {
        for pod in pods.iter().filter(|p| has_finalizer(p)) {
            remove_finalizer(&pods_api, pod).await?;
        }
        context.records.lock().map(|mut r| r.remove(&uid)).ok();
        let Some(ttl) = spec.ttl_seconds_after_finished else { return Ok(Action::await_change()) };
        let expires = Timestamp::from_second(finished_at.as_second() + i64::from(ttl)).unwrap_or(finished_at);
        if now < expires {
            return Ok(Action::requeue(after(now, expires) + Duration::from_millis(100)));
        }
        let params =
            DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..DeleteParams::default() };
        ignore_not_found(jobs.delete(&name, &params).await)?;
        return Ok(Action::await_change());
    }

    let suspended = spec.suspend == Some(true);
    let mut conditions = status.conditions.clone().unwrap_or_default();
    let existing_failure = has_condition(&status, "FailureTarget");
    let existing_success = has_condition(&status, "SuccessCriteriaMet");
    let stopping = suspended || existing_failure.is_some() || existing_success.is_some();
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");

    // Count pods that finished (or were deleted before finishing) and still carry the finalizer: first note
    // them as uncounted, then let them go, then move them into the counters.
    let mut uncounted = status.uncounted_terminated_pods.clone().unwrap_or_default();
    let mut uncounted_succeeded: BTreeSet<String> =
        uncounted.succeeded.take().unwrap_or_default().into_iter().collect();
    let mut uncounted_failed: BTreeSet<String> = uncounted.failed.take().unwrap_or_default().into_iter().collect();
    let mut policy_failure: Option<Verdict> = None;
    let mut release = Vec::new();
    let mut completed_indexes = parse_indexes(status.completed_indexes.as_deref().unwrap_or_default());
    let mut newly_failed = 0;
    let mut newly_succeeded = 0;
    for pod in pods.iter().filter(|p| has_finalizer(p)) {
        let pod_uid = pod.uid().unwrap_or_default();
        let phase = pod_phase(pod);
        let outcome = match phase {
            "Succeeded" => Some(true),
            "Failed" => Some(false),
            _ if is_terminating(pod) => Some(false),
            _ => None,
        };
        let Some(succeeded) = outcome else { continue };
        release.push(pod);
        if uncounted_succeeded.contains(&pod_uid) || uncounted_failed.contains(&pod_uid) {
            continue;
        }
        if succeeded {
            if let Some(index) = pod_index(pod).filter(|_| indexed)
                && index < spec.completions.unwrap_or(0)
            {
                completed_indexes.insert(index);
            }
            uncounted_succeeded.insert(pod_uid);
            newly_succeeded += 1;
            continue;
        }
        if phase != "Failed" && stopping {
            // Deleted by this controller while stopping: not a failure.
            continue;
        }
        let action = match (&spec.pod_failure_policy, phase) {
            (Some(policy), "Failed") => match_failure_policy(policy, pod),
            _ => PolicyAction::Count,
        };
        if action == PolicyAction::Ignore {
            continue;
        }
        uncounted_failed.insert(pod_uid);
        newly_failed += 1;
    }
    // A FailJob rule fails the Job for any failed pod it matches, counted now or in an earlier round.
    if let Some(policy) = &spec.pod_failure_policy
        && !stopping
    {
        policy_failure =
            pods.iter().filter(|p| pod_phase(p) == "Failed").find_map(|pod| match match_failure_policy(policy, pod) {
                PolicyAction::FailJob(message) => Some(verdict("PodFailurePolicy", message)),
                _ => None,
            });
    }
    if !release.is_empty() {
        let patch = json!({"status": {"uncountedTerminatedPods": {
            "succeeded": uncounted_succeeded.iter().collect::<Vec<_>>(),
            "failed": uncounted_failed.iter().collect::<Vec<_>>(),
        }}});
        patch_status(&jobs, &name, &mut version, patch).await?;
        for pod in &release {
            remove_finalizer(&pods_api, pod).await?;
        }
    }
    let succeeded = status.succeeded.unwrap_or(0) + i32::try_from(uncounted_succeeded.len()).unwrap_or(0);
    let failed = status.failed.unwrap_or(0) + i32::try_from(uncounted_failed.len()).unwrap_or(0);
    if let Ok(mut records) = context.records.lock() {
        let record = records.entry(uid.clone()).or_insert(BackoffRecord { failures: 0, last_failure: now });
        if newly_failed > 0 {
            record.failures += newly_failed;
            record.last_failure = now;
        } else if newly_succeeded > 0 {
            record.failures = 0;
        }
    }

    let active_pods: Vec<&Pod> = pods.iter().filter(|p| !is_terminal(p) && !is_terminating(p)).collect();
    let terminating = pods.iter().filter(|p| !is_terminal(p) && is_terminating(p)).count();
    let mut counts = Counts {
        active: i32::try_from(active_pods.len()).unwrap_or(0),
        succeeded,
        failed,
        completed_indexes: completed_indexes.clone(),
    };
    let mut start = status.start_time.as_ref().map(|t| t.0);
    let mut requeue: Option<Duration> = None;

    // Suspension.
    let was_suspended = has_condition(&status, "Suspended").is_some();
    if suspended && !was_suspended {
        set_condition(&mut conditions, condition("Suspended", &verdict("JobSuspended", "Job suspended"), now));
        record_event(client, COMPONENT, &job, false, "Suspended", "Job suspended").await;
    } else if !suspended && was_suspended {
        let mut resumed = condition("Suspended", &verdict("JobResumed", "Job resumed"), now);
        resumed.status = "False".to_owned();
        set_condition(&mut conditions, resumed);
        record_event(client, COMPONENT, &job, false, "Resumed", "Job resumed").await;
        start = Some(now);
    }
    if !suspended && start.is_none() {
        start = Some(now);
    }

    let failure_verdict = existing_failure
        .map(|c| verdict(c.reason.as_deref().unwrap_or_default(), c.message.unwrap_or_default()))
        .or(policy_failure)
        .or_else(|| if suspended { None } else { failure(&spec, &counts, start, now) });
    let success_verdict = if failure_verdict.is_some() {
        None
    } else {
        existing_success
            .map(|c| verdict(c.reason.as_deref().unwrap_or_default(), c.message.unwrap_or_default()))
            .or_else(|| success(&spec, &counts))
    };
    let mut completion_time = status.completion_time.clone();

    if let Some(verdict) = failure_verdict.as_ref().or(success_verdict.as_ref()) {
        let target = if failure_verdict.is_some() { "FailureTarget" } else { "SuccessCriteriaMet" };
        set_condition(&mut conditions, condition(target, verdict, now));
        for pod in &active_pods {
            ignore_not_found(pods_api.delete(&pod.name_any(), &DeleteParams::default()).await)?;
        }
        if active_pods.is_empty() && terminating == 0 {
            if failure_verdict.is_some() {
                set_condition(&mut conditions, condition("Failed", verdict, now));
                record_event(client, COMPONENT, &job, true, &verdict.reason, &verdict.message).await;
            } else {
                set_condition(&mut conditions, condition("Complete", verdict, now));
                completion_time = Some(Time(now));
                record_event(client, COMPONENT, &job, false, "Completed", "Job completed").await;
            }
        }
        counts.active = 0;
    } else if suspended {
        for pod in &active_pods {
            ignore_not_found(pods_api.delete(&pod.name_any(), &DeleteParams::default()).await)?;
            record_event(
                client,
                COMPONENT,
                &job,
                false,
                "SuccessfulDelete",
                &format!("Deleted pod: {}", pod.name_any()),
            )
            .await;
        }
        counts.active = 0;
    } else {
        let wanted = wanted_active(&spec, &counts);
        let mut to_create: Vec<Option<i32>> = if indexed {
            let running: BTreeSet<i32> = active_pods.iter().filter_map(|p| pod_index(p)).collect();
            pending_indexes(spec.completions.unwrap_or(0), &completed_indexes, &running, wanted - counts.active)
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None; usize::try_from(wanted - counts.active).unwrap_or(0)]
        };
        if counts.active > wanted {
            let mut excess: Vec<&&Pod> = active_pods.iter().collect();
            excess.sort_by_key(|p| std::cmp::Reverse(p.metadata.creation_timestamp.as_ref().map(|t| t.0)));
            for pod in excess.into_iter().take(usize::try_from(counts.active - wanted).unwrap_or(0)) {
                ignore_not_found(pods_api.delete(&pod.name_any(), &DeleteParams::default()).await)?;
                counts.active -= 1;
            }
        }
        if !to_create.is_empty() {
            let record = context.records.lock().ok().and_then(|r| r.get(&uid).copied());
            if let Some(record) = record {
                let ready_at = Timestamp::from_millisecond(
                    record.last_failure.as_millisecond()
                        + i64::try_from(context.backoff.delay(record.failures).as_millis()).unwrap_or(0),
                )
                .unwrap_or(now);
                if ready_at > now {
                    requeue = Some(after(now, ready_at) + Duration::from_millis(50));
                    to_create.clear();
                }
            }
        }
        for index in to_create {
            let pod = pod_for(&job, index);
            let created = pods_api.create(&PostParams::default(), &pod).await?;
            record_event(
                client,
                COMPONENT,
                &job,
                false,
                "SuccessfulCreate",
                &format!("Created pod: {}", created.name_any()),
            )
            .await;
            counts.active += 1;
        }
        if let (Some(deadline), Some(start)) = (spec.active_deadline_seconds, start) {
            let at = Timestamp::from_second(start.as_second() + deadline).unwrap_or(now);
            let wait = after(now, at) + Duration::from_millis(100);
            requeue = Some(requeue.map_or(wait, |r| r.min(wait)));
        }
    }

    let ready = active_pods.iter().filter(|p| is_ready(p)).count();
    let new_status = json!({"status": {
        "active": counts.active,
        "ready": i32::try_from(ready).unwrap_or(0),
        "terminating": i32::try_from(terminating).unwrap_or(0),
        "succeeded": succeeded,
        "failed": failed,
        "startTime": start.map(Time),
        "completionTime": completion_time,
        "completedIndexes": if indexed { Some(format_indexes(&completed_indexes)) } else { None },
        "uncountedTerminatedPods": {"succeeded": null, "failed": null},
        "conditions": if conditions.is_empty() { None } else { Some(&conditions) },
    }});
    patch_status(&jobs, &name, &mut version, new_status).await?;
    Ok(requeue.map(Action::requeue).unwrap_or_else(Action::await_change))
}

/// The pod a Job creates (for `index` when Indexed), with the Job's labels, finalizer and owner.
pub fn pod_for(job: &Job, index: Option<i32>) -> Pod {
    let name = job.name_any();
    let uid = job.uid().unwrap_or_default();
    let template = job.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let mut pod = Pod { metadata: template.metadata.unwrap_or_default(), spec: template.spec, status: None };
    let base = match index {
        Some(index) => format!("{name}-{index}-"),
        None => format!("{name}-"),
    };
    let base: String = if base.len() > 58 { format!("{}-", &base[..57]) } else { base };
    pod.metadata.name = None;
    pod.metadata.generate_name = Some(base);
    pod.metadata.namespace = job.namespace();
    let labels = pod.metadata.labels.get_or_insert_default();
    for key in ["batch.kubernetes.io/controller-uid", "controller-uid"] {
        labels.insert(key.to_owned(), uid.clone());
    }
    for key in ["batch.kubernetes.io/job-name", "job-name"] {
        labels.insert(key.to_owned(), name.clone());
    }
    if let Some(index) = index {
        labels.insert(COMPLETION_INDEX.to_owned(), index.to_string());
        pod.metadata.annotations.get_or_insert_default().insert(COMPLETION_INDEX.to_owned(), index.to_string());
        if let Some(spec) = pod.spec.as_mut() {
            let hostname = format!("{name}-{index}");
            spec.hostname = Some(hostname.chars().take(63).collect());
            for container in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
                container.env.get_or_insert_default().push(EnvVar {
                    name: "JOB_COMPLETION_INDEX".to_owned(),
                    value: None,
                    value_from: Some(EnvVarSource {
                        field_ref: Some(ObjectFieldSelector {
                            api_version: None,
                            field_path: format!("metadata.labels['{COMPLETION_INDEX}']"),
                        }),
                        ..EnvVarSource::default()
                    }),
                });
            }
        }
    }
    pod.metadata.finalizers = Some(vec![TRACKING_FINALIZER.to_owned()]);
    pod.metadata.owner_references = Some(vec![controller_ref(job)]);
    pod
}

#[cfg(test)]
mod tests;
