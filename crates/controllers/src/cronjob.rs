//! The CronJob controller: creates a Job for every time a CronJob's schedule fires (in its time zone), keeps
//! `concurrencyPolicy`, `startingDeadlineSeconds` and `suspend`, prunes finished Jobs beyond the history limits
//! and keeps `status.active`, `lastScheduleTime` and `lastSuccessfulTime`, as kube-controller-manager's
//! cronjob controller (v2) does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde_json::json;

use crate::batch_support::{
    Clock, ReconcileError, controller_ref, ignore_not_found, is_controlled_by, object_reference, record_event,
    retry_later,
};

pub mod schedule;

use schedule::Schedule;

const COMPONENT: &str = "cronjob-controller";
/// The annotation a created Job carries with the schedule time it stands for.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

struct Context {
    client: kube::Client,
    clock: Clock,
}

/// Runs the CronJob controller until the task is dropped.
pub async fn run(client: kube::Client, clock: Clock) {
    let context = Arc::new(Context { client: client.clone(), clock });
    Controller::new(Api::<CronJob>::all(client.clone()), watcher::Config::default())
        .owns(Api::<Job>::all(client), watcher::Config::default())
        .run(reconcile, retry_later, context)
        .for_each(|_| async {})
        .await;
}

/// Which time a CronJob should run for now, and how many start times it missed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The most recent schedule time in `(earliest, now]`, if any.
    pub most_recent: Option<Timestamp>,
    /// How many schedule times fell in `(earliest, now]` (counting stops past 100).
    pub missed: usize,
    /// The next schedule time after `now`.
    pub next: Option<Timestamp>,
}

/// The schedule times between the earliest time a CronJob may still start a Job and now.
pub fn due(schedule: &Schedule, zone: &TimeZone, earliest: Timestamp, now: Timestamp) -> Due {
    let mut most_recent = None;
    let mut missed = 0;
    let mut at = earliest;
    while let Some(time) = schedule.next_after(at, zone) {
        if time > now {
            break;
        }
        most_recent = Some(time);
        missed += 1;
        at = time;
        if missed > 100 {
            // Past 100 only the most recent matters; jump close to now.
            if let Some(last) = last_before(schedule, zone, now) {
                most_recent = Some(last);
            }
            break;
        }
    }
    Due { most_recent, missed, next: schedule.next_after(now, zone) }
}

fn last_before(schedule: &Schedule, zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
    // Look back in growing windows for the last firing at or before now.
    for window in [3_600i64, 86_400, 31 * 86_400, 366 * 86_400, 5 * 366 * 86_400] {
        let start = Timestamp::from_second(now.as_second() - window).ok()?;
        let mut last = None;
        let mut at = start;
        let mut steps = 0;
        while let Some(time) = schedule.next_after(at, zone) {
            if time > now || steps > 100_000 {
                break;
            }
            last = Some(time);
            at = time;
            steps += 1;
        }
        if last.is_some() {
            return last;
        }
    }
    None
}

/// The name of the Job for a schedule time: the CronJob's name and the minutes since the epoch.
pub fn job_name(cronjob: &str, scheduled: Timestamp) -> String {
    format!("{cronjob}-{}", scheduled.as_second().div_euclid(60))
}

/// The time zone a CronJob's schedule is read in: its `timeZone`, or UTC (kube-controller-manager's own zone,
/// which is UTC in EKS).
pub fn zone_of(time_zone: Option<&str>) -> Result<TimeZone, String> {
    match time_zone {
        None => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| name.to_owned()),
    }
}

fn job_finished(job: &Job) -> Option<&'static str> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    conditions.iter().filter(|c| c.status == "True").find_map(|c| match c.type_.as_str() {
        "Complete" => Some("Complete"),
        "Failed" => Some("Failed"),
        _ => None,
    })
}

fn finish_time(job: &Job) -> Timestamp {
    let status = job.status.as_ref();
    status
        .and_then(|s| s.completion_time.as_ref().map(|t| t.0))
        .or_else(|| {
            status?
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "Failed" && c.status == "True")
                .and_then(|c| c.last_transition_time.as_ref().map(|t| t.0))
        })
        .or_else(|| job.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

async fn reconcile(cronjob: Arc<CronJob>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let namespace = cronjob.namespace().unwrap_or_default();
    let name = cronjob.name_any();
    let uid = cronjob.uid().unwrap_or_default();
    let jobs_api: Api<Job> = Api::namespaced(client.clone(), &namespace);
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), &namespace);
    let now = context.clock.now();

    let children: Vec<Job> = jobs_api
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|job| is_controlled_by(job, &uid))
        .collect();
    let status = cronjob.status.clone().unwrap_or_default();
    let mut last_successful = status.last_successful_time.as_ref().map(|t| t.0);

    // Active jobs: every unfinished child; a listed job that finished is reported once.
    let previously_active: Vec<String> =
        status.active.iter().flatten().filter_map(|reference| reference.uid.clone()).collect();
    let mut active = Vec::new();
    for job in &children {
        match job_finished(job) {
            None => active.push(object_reference(job)),
            Some(outcome) => {
                if previously_active.contains(&job.uid().unwrap_or_default()) {
                    let message = format!("Saw completed job: {}, status: {outcome}", job.name_any());
                    record_event(client, COMPONENT, cronjob.as_ref(), false, "SawCompletedJob", &message).await;
                }
                if outcome == "Complete" {
                    let finished = finish_time(job);
                    if last_successful.is_none_or(|last| last < finished) {
                        last_successful = Some(finished);
                    }
                }
            }
        }
    }

    // History limits: the oldest finished jobs beyond them go.
    let spec = cronjob.spec.as_ref();
    let successful_limit = spec.and_then(|s| s.successful_jobs_history_limit).unwrap_or(3).max(0) as usize;
    let failed_limit = spec.and_then(|s| s.failed_jobs_history_limit).unwrap_or(1).max(0) as usize;
    for (outcome, limit) in [("Complete", successful_limit), ("Failed", failed_limit)] {
        let mut finished: Vec<&Job> = children.iter().filter(|job| job_finished(job) == Some(outcome)).collect();
        finished.sort_by_key(|job| finish_time(job));
        let excess = finished.len().saturating_sub(limit);
        for job in finished.into_iter().take(excess) {
            delete_job(client, &jobs_api, &cronjob, &job.name_any()).await?;
        }
    }

    let mut last_schedule = status.last_schedule_time.as_ref().map(|t| t.0);
    let write_status = |active: Vec<_>, last_schedule: Option<Timestamp>| {
        json!({"status": {
            "active": if active.is_empty() { serde_json::Value::Null } else { serde_json::to_value(&active).unwrap_or_default() },
            "lastScheduleTime": last_schedule.map(Time),
            "lastSuccessfulTime": last_successful.map(Time),
        }})
    };

    let Some(spec) = spec else { return Ok(Action::await_change()) };
    if cronjob.meta().deletion_timestamp.is_some() || spec.suspend == Some(true) {
        cronjobs
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(write_status(active, last_schedule)))
            .await?;
        return Ok(Action::await_change());
    }
    let schedule = match Schedule::parse(&spec.schedule) {
        Ok(schedule) => schedule,
        Err(error) => {
            let message = format!("unparseable schedule: {:?} : {error}", spec.schedule);
            record_event(client, COMPONENT, cronjob.as_ref(), true, "UnparseableSchedule", &message).await;
            return Ok(Action::await_change());
        }
    };
    let zone = match zone_of(spec.time_zone.as_deref().or(schedule.zone())) {
        Ok(zone) => zone,
        Err(zone) => {
            let message = format!("invalid timeZone: {zone:?}: unknown time zone {zone}");
            record_event(client, COMPONENT, cronjob.as_ref(), true, "UnknownTimeZone", &message).await;
            return Ok(Action::await_change());
        }
    };

    let created = cronjob.metadata.creation_timestamp.as_ref().map(|t| t.0).unwrap_or(now);
    let mut earliest = last_schedule.unwrap_or(created);
    if let Some(deadline) = spec.starting_deadline_seconds {
        let scheduling_deadline = Timestamp::from_second(now.as_second() - deadline).unwrap_or(earliest);
        earliest = earliest.max(scheduling_deadline);
    }
    let due = due(&schedule, &zone, earliest, now);
    let requeue = |next: Option<Timestamp>| match next {
        Some(next) => Action::requeue(Duration::from_millis(
            u64::try_from((next.as_millisecond() - now.as_millisecond()).max(0)).unwrap_or(0) + 100,
        )),
        None => Action::await_change(),
    };
    if due.missed > 100 {
        let message = format!(
            "too many missed start times: {}. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
            due.missed
        );
        record_event(client, COMPONENT, cronjob.as_ref(), true, "TooManyMissedTimes", &message).await;
    }
    let Some(scheduled) = due.most_recent else {
        cronjobs
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(write_status(active, last_schedule)))
            .await?;
        return Ok(requeue(due.next));
    };
    if let Some(deadline) = spec.starting_deadline_seconds
        && scheduled.as_second() + deadline < now.as_second()
    {
        let message =
            format!("Missed scheduled time to start a job: {}", scheduled.strftime("%a, %d %b %Y %H:%M:%S %z"));
        record_event(client, COMPONENT, cronjob.as_ref(), true, "MissSchedule", &message).await;
        cronjobs
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(write_status(active, last_schedule)))
            .await?;
        return Ok(requeue(due.next));
    }
    let new_name = job_name(&name, scheduled);
    if children.iter().any(|job| job.name_any() == new_name) {
        cronjobs
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(write_status(active, last_schedule)))
            .await?;
        return Ok(requeue(due.next));
    }
    match spec.concurrency_policy.as_deref().unwrap_or("Allow") {
        "Forbid" if !active.is_empty() => {
            let message = "Not starting job because prior execution is running and concurrency policy is Forbid";
            record_event(client, COMPONENT, cronjob.as_ref(), false, "JobAlreadyActive", message).await;
            cronjobs
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(write_status(active, last_schedule)))
                .await?;
            return Ok(requeue(due.next));
        }
        "Replace" => {
            for reference in std::mem::take(&mut active) {
                delete_job(client, &jobs_api, &cronjob, reference.name.as_deref().unwrap_or_default()).await?;
            }
        }
        _ => {}
    }

    let job = job_from_template(&cronjob, &new_name, scheduled, &zone);
    match jobs_api.create(&PostParams::default(), &job).await {
        Ok(created) => {
            let message = format!("Created job {new_name}");
            record_event(client, COMPONENT, cronjob.as_ref(), false, "SuccessfulCreate", &message).await;
            active.push(object_reference(&created));
        }
        Err(error) if crate::batch_support::is_conflict(&error) => {}
        Err(error) => return Err(error.into()),
    }
    last_schedule = Some(scheduled);
    cronjobs.patch_status(&name, &PatchParams::default(), &Patch::Merge(write_status(active, last_schedule))).await?;
    Ok(requeue(due.next))
}

/// The Job a CronJob starts for `scheduled`.
pub fn job_from_template(cronjob: &CronJob, name: &str, scheduled: Timestamp, zone: &TimeZone) -> Job {
    let template = cronjob.spec.as_ref().map(|s| s.job_template.clone()).unwrap_or_default();
    let mut job = Job { spec: Some(template.spec.unwrap_or_default()), ..Job::default() };
    let template_meta = template.metadata.unwrap_or_default();
    job.metadata.name = Some(name.to_owned());
    job.metadata.namespace = cronjob.namespace();
    job.metadata.labels = template_meta.labels;
    let mut annotations: BTreeMap<String, String> = template_meta.annotations.unwrap_or_default();
    let local = scheduled.to_zoned(zone.clone());
    annotations.insert(
        SCHEDULED_TIMESTAMP.to_owned(),
        local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string().replace("+00:00", "Z"),
    );
    job.metadata.annotations = Some(annotations);
    job.metadata.owner_references = Some(vec![controller_ref(cronjob)]);
    job
}

async fn delete_job(
    client: &kube::Client,
    jobs: &Api<Job>,
    cronjob: &CronJob,
    name: &str,
) -> Result<(), ReconcileError> {
    let params = DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..DeleteParams::default() };
    ignore_not_found(jobs.delete(name, &params).await)?;
    record_event(client, COMPONENT, cronjob, false, "SuccessfulDelete", &format!("Deleted job {name}")).await;
    Ok(())
}

#[cfg(test)]
mod tests;
