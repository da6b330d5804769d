//! The pod lifecycle as a kubelet lives it, as a pure function of time: given a pod's plan (its containers, probes,
//! restart policy and the `ekslite.dev/*` annotations) and the time elapsed since the node accepted it, what each
//! container is doing, how often it restarted, and what the pod's phase and readiness are. The agent evaluates it
//! whenever something may have changed and writes the difference; nothing here does IO.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, EphemeralContainer, Pod, Probe};

/// Annotation: how long each container runs before it exits.
pub const RUN_SECONDS: &str = "ekslite.dev/run-seconds";
/// Annotation: the exit code of a container that exits on its own.
pub const EXIT_CODE: &str = "ekslite.dev/exit-code";
/// Annotation: every readiness probe fails.
pub const FAIL_READINESS: &str = "ekslite.dev/fail-readiness";
/// Annotation: the liveness probe fails this many seconds after each container start.
pub const FAIL_LIVENESS_AFTER: &str = "ekslite.dev/fail-liveness-after";
/// Annotation: how long a container takes to stop after SIGTERM.
pub const TERMINATION_SECONDS: &str = "ekslite.dev/termination-seconds";
/// Annotation: how long each init container runs.
pub const INIT_SECONDS: &str = "ekslite.dev/init-seconds";

/// The exit code of a container killed with SIGKILL (128 + 9).
const KILLED_EXIT_CODE: i32 = 137;
/// How long an init container runs when no annotation says otherwise, and a run-to-completion container.
const DEFAULT_RUN: Duration = Duration::from_secs(1);
/// kube-apiserver's default `terminationGracePeriodSeconds`.
const DEFAULT_GRACE: Duration = Duration::from_secs(30);
/// Guards the restart loop against pathological plans (a zero back-off).
const MAX_RUNS: u32 = 100_000;
/// How long a container that needs more memory than its limit runs before the kernel's OOM killer ends it: the
/// time to come up and grow past the limit.
pub const OOM_AFTER: Duration = Duration::from_secs(2);
/// How long an OOM-killed container shows its terminated state before it restarts or waits in back-off: kubelet
/// learns of the death at its next PLEG relist (every second) and restarts the container on the sync that follows.
pub const OOM_REPORTED_FOR: Duration = Duration::from_secs(1);

/// The durations the simulation uses that are not the pod's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From acceptance until the first containers start (the image pull); also reported in `Pulled` events.
    pub start_delay: Duration,
    /// The first CrashLoopBackOff delay (upstream 10 s); it doubles with every restart.
    pub backoff_base: Duration,
    /// The longest CrashLoopBackOff delay (upstream 300 s). A container that ran twice this long resets it.
    pub backoff_max: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            start_delay: Duration::from_secs(1),
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
        }
    }
}

/// A pod's restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Restart containers whatever their exit code.
    Always,
    /// Restart containers that exit with a code other than 0.
    OnFailure,
    /// Never restart.
    Never,
}

/// How a probe is made, for the messages of `Unhealthy` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// `httpGet`.
    Http,
    /// `tcpSocket`.
    Tcp,
    /// `exec`, `grpc`, or no probe at all.
    Other,
}

/// A container as the simulation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPlan {
    /// The container's name.
    pub name: String,
    /// The image as the pod spec names it.
    pub image: String,
    /// `imagePullPolicy` is `Always` (given, or defaulted for `:latest` and untagged images).
    pub pull_always: bool,
    /// The readiness probe's `initialDelaySeconds`, `None` without a probe.
    pub readiness_delay: Option<Duration>,
    /// The readiness probe's kind.
    pub readiness_kind: ProbeKind,
    /// The startup probe's `initialDelaySeconds`, `None` without a probe.
    pub startup_delay: Option<Duration>,
    /// The liveness probe's kind.
    pub liveness_kind: ProbeKind,
    /// The readiness probe never succeeds, as the node found when it probed the container.
    pub readiness_failure: Option<ProbeFailure>,
    /// The liveness probe never succeeds.
    pub liveness_failure: Option<ProbeFailure>,
    /// The startup probe never succeeds: the container never counts as started, nor ready.
    pub startup_failure: Option<ProbeFailure>,
    /// The container uses more memory than its limit ([`crate::usage`]): the OOM killer ends it [`OOM_AFTER`]
    /// after each start, with reason `OOMKilled` and exit code 137.
    pub oom: bool,
}

/// A probe of a container that never succeeds: the node probed it through the pod's simulated ports
/// ([`crate::probe`]), and a probe's answer only depends on the pod's spec and annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFailure {
    /// What follows `Readiness probe ` (or `Liveness`, `Startup`) in the `Unhealthy` event, as kubelet words it:
    /// `failed: <the probe's output>` or `errored and resulted in unknown state: <the error>`.
    pub detail: String,
    /// For a liveness or startup probe that fails (rather than errors): how long after each start of the
    /// container it has failed `failureThreshold` times in a row and kubelet kills the container. `None` for a
    /// probe that errors, whose results kubelet throws away.
    pub kill_after: Option<Duration>,
}

/// The probe failures of one regular container, in the order of `spec.containers`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerProbeFailures {
    /// The readiness probe's.
    pub readiness: Option<ProbeFailure>,
    /// The liveness probe's.
    pub liveness: Option<ProbeFailure>,
    /// The startup probe's.
    pub startup: Option<ProbeFailure>,
}

/// Everything about a pod that decides its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPlan {
    /// `spec.restartPolicy`.
    pub restart_policy: RestartPolicy,
    /// `spec.initContainers`, run one after the other.
    pub init_containers: Vec<ContainerPlan>,
    /// `spec.containers`, run together.
    pub containers: Vec<ContainerPlan>,
    /// How long each container runs before it exits; `None` runs until deleted.
    pub run: Option<Duration>,
    /// How long each init container runs.
    pub init_run: Duration,
    /// The exit code of a container that exits on its own.
    pub exit_code: i32,
    /// Every readiness probe fails.
    pub fail_readiness: bool,
    /// The liveness probe fails this long after every container start.
    pub fail_liveness_after: Option<Duration>,
    /// How long containers take to stop after SIGTERM.
    pub termination: Duration,
    /// `spec.terminationGracePeriodSeconds`.
    pub grace: Duration,
}

/// An annotation the agent could not read; the plan goes on as if it were absent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ignored annotation {key}={value:?}: {reason}")]
pub struct AnnotationError {
    /// The annotation's key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// What it should have been.
    pub reason: &'static str,
}

impl PodPlan {
    /// Reads a pod's plan, with the annotations that could not be read (each ignored).
    pub fn of(pod: &Pod) -> (PodPlan, Vec<AnnotationError>) {
        let empty = BTreeMap::new();
        let annotations = pod.metadata.annotations.as_ref().unwrap_or(&empty);
        let spec = pod.spec.as_ref();
        let restart_policy = match spec.and_then(|spec| spec.restart_policy.as_deref()) {
            Some("Never") => RestartPolicy::Never,
            Some("OnFailure") => RestartPolicy::OnFailure,
            _ => RestartPolicy::Always,
        };
        let mut errors = Vec::new();
        let mut seconds = |key: &str| -> Option<Duration> {
            let value = annotations.get(key)?;
            match value.trim().parse::<f64>() {
                Ok(number) if number.is_finite() && (0.0..=1e9).contains(&number) => {
                    Some(Duration::from_secs_f64(number))
                }
                _ => {
                    errors.push(AnnotationError {
                        key: key.to_owned(),
                        value: value.clone(),
                        reason: "not a number of seconds",
                    });
                    None
                }
            }
        };
        let run = seconds(RUN_SECONDS);
        let init_run = seconds(INIT_SECONDS).unwrap_or(DEFAULT_RUN);
        let fail_liveness_after = seconds(FAIL_LIVENESS_AFTER);
        let termination = seconds(TERMINATION_SECONDS).unwrap_or(Duration::ZERO);
        let exit_code = match annotations.get(EXIT_CODE) {
            None => 0,
            Some(value) => match value.trim().parse::<i32>() {
                Ok(code) if (0..=255).contains(&code) => code,
                _ => {
                    errors.push(AnnotationError {
                        key: EXIT_CODE.into(),
                        value: value.clone(),
                        reason: "not an exit code from 0 to 255",
                    });
                    0
                }
            },
        };
        let fail_readiness = match annotations.get(FAIL_READINESS).map(|value| value.trim()) {
            None | Some("false") => false,
            Some("true" | "") => true,
            Some(value) => {
                errors.push(AnnotationError {
                    key: FAIL_READINESS.into(),
                    value: value.to_owned(),
                    reason: "not true or false",
                });
                false
            }
        };
        // A pod that runs to completion exits after a second unless told otherwise.
        let run = run.or((restart_policy != RestartPolicy::Always).then_some(DEFAULT_RUN));
        let grace = spec
            .and_then(|spec| spec.termination_grace_period_seconds)
            .map(|seconds| Duration::from_secs(seconds.max(0) as u64))
            .unwrap_or(DEFAULT_GRACE);
        let plans = |containers: Option<&Vec<Container>>| -> Vec<ContainerPlan> {
            containers.map(|list| list.iter().map(ContainerPlan::of).collect()).unwrap_or_default()
        };
        let plan = PodPlan {
            restart_policy,
            init_containers: plans(spec.and_then(|spec| spec.init_containers.as_ref())),
            containers: plans(spec.map(|spec| &spec.containers)),
            run,
            init_run,
            exit_code,
            fail_readiness,
            fail_liveness_after,
            termination,
            grace,
        };
        (plan, errors)
    }

    /// The plan with what probing the regular containers found, one entry per container in order.
    pub fn with_probe_failures(mut self, failures: Vec<ContainerProbeFailures>) -> PodPlan {
        for (container, found) in self.containers.iter_mut().zip(failures) {
            container.readiness_failure = found.readiness;
            container.liveness_failure = found.liveness;
            container.startup_failure = found.startup;
        }
        self
    }

    /// The plan with the regular containers that run out of memory (`true`), one entry per container in order.
    pub fn with_oom(mut self, oom: Vec<bool>) -> PodPlan {
        for (container, oom) in self.containers.iter_mut().zip(oom) {
            container.oom = oom;
        }
        self
    }

    /// When the regular containers first start, after the image pull and every init container.
    pub fn containers_start(&self, timing: &Timing) -> Duration {
        timing.start_delay + self.init_run * self.init_containers.len() as u32
    }

    /// The deletion of a pod seen `at`: when its containers stop, with which exit code, given its grace period
    /// (`deletionGracePeriodSeconds` when the delete gave one).
    pub fn stop(&self, at: Duration, grace: Option<Duration>) -> Stop {
        let grace = grace.unwrap_or(self.grace);
        if self.termination > grace {
            Stop { at: at + grace, exit_code: KILLED_EXIT_CODE }
        } else {
            Stop { at: at + self.termination, exit_code: 0 }
        }
    }
}

impl ContainerPlan {
    /// An ephemeral container's plan: it has no probes.
    pub fn of_ephemeral(container: &EphemeralContainer) -> ContainerPlan {
        ContainerPlan::of(&Container {
            name: container.name.clone(),
            image: container.image.clone(),
            image_pull_policy: container.image_pull_policy.clone(),
            ..Container::default()
        })
    }

    fn of(container: &Container) -> ContainerPlan {
        let image = container.image.clone().unwrap_or_default();
        let untagged_or_latest = {
            let last = image.rsplit('/').next().unwrap_or_default();
            !last.contains('@') && (!last.contains(':') || last.ends_with(":latest"))
        };
        let pull_always = match container.image_pull_policy.as_deref() {
            Some(policy) => policy == "Always",
            None => untagged_or_latest,
        };
        let delay = |probe: &Probe| Duration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
        ContainerPlan {
            name: container.name.clone(),
            image,
            pull_always,
            readiness_delay: container.readiness_probe.as_ref().map(delay),
            readiness_kind: probe_kind(container.readiness_probe.as_ref()),
            startup_delay: container.startup_probe.as_ref().map(delay),
            liveness_kind: probe_kind(container.liveness_probe.as_ref()),
            readiness_failure: None,
            liveness_failure: None,
            startup_failure: None,
            oom: false,
        }
    }
}

fn probe_kind(probe: Option<&Probe>) -> ProbeKind {
    match probe {
        Some(probe) if probe.http_get.is_some() => ProbeKind::Http,
        Some(probe) if probe.tcp_socket.is_some() => ProbeKind::Tcp,
        _ => ProbeKind::Other,
    }
}

/// The pod is being deleted: its containers stop `at` (time since acceptance) with `exit_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// When the containers have stopped.
    pub at: Duration,
    /// 0 when they stopped on SIGTERM, 137 when the grace period ran out.
    pub exit_code: i32,
}

/// A container that exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminated {
    /// Its exit code.
    pub exit_code: i32,
    /// When it started and finished (time since acceptance).
    pub started: Duration,
    /// When it finished.
    pub finished: Duration,
    /// The kernel's OOM killer ended it.
    pub oom_killed: bool,
}

impl Terminated {
    /// `OOMKilled` when the OOM killer ended it, else `Completed` for exit code 0 and `Error` otherwise, as
    /// containerd reports.
    pub fn reason(&self) -> &'static str {
        match (self.oom_killed, self.exit_code) {
            (true, _) => "OOMKilled",
            (false, 0) => "Completed",
            (false, _) => "Error",
        }
    }
}

/// What a container is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not running: `ContainerCreating`, `PodInitializing` or `CrashLoopBackOff` (with its back-off delay).
    Waiting {
        /// The waiting reason.
        reason: &'static str,
        /// The back-off delay of a `CrashLoopBackOff`.
        backoff: Option<Duration>,
    },
    /// Running since the given time.
    Running {
        /// When it started.
        since: Duration,
    },
    /// Exited and will not restart.
    Terminated(Terminated),
}

/// One container at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSnapshot {
    /// Its state.
    pub state: State,
    /// The previous run, once it restarted (or is waiting to).
    pub last: Option<Terminated>,
    /// How often it restarted.
    pub restart_count: u32,
    /// Passes its readiness probe.
    pub ready: bool,
    /// Passed its startup probe (or has none) and runs.
    pub started: bool,
    /// How often it was started (for `Created`/`Started` events).
    pub starts: u32,
    /// How often its liveness probe killed it (for `Unhealthy`/`Killing` events).
    pub liveness_kills: u32,
    /// How often its startup probe killed it (for `Unhealthy`/`Killing` events).
    pub startup_kills: u32,
    /// Running past its startup delay with a startup probe that errors (for `Unhealthy` events).
    pub startup_erroring: bool,
    /// Started, with a liveness probe that errors (for `Unhealthy` events).
    pub liveness_erroring: bool,
    /// How often it entered a back-off (for `BackOff` events).
    pub backoffs: u32,
    /// Running but failing its readiness probe (for `Unhealthy` events).
    pub readiness_failing: bool,
    /// Terminated for now but restarting (an OOM kill, reported before the restart or back-off): the pod still
    /// runs.
    pub restarting: bool,
}

/// An ephemeral container at `elapsed`, added (seen by the node) at `added`: it waits for its image for the start
/// delay, then runs until the pod's containers stop. It is never restarted and never ready, as kubelet runs
/// ephemeral containers. Also answers when it next changes.
pub fn simulate_ephemeral(
    timing: &Timing,
    added: Duration,
    elapsed: Duration,
    stop: Option<Stop>,
) -> (ContainerSnapshot, Option<Duration>) {
    let starts_at = added + timing.start_delay;
    let (state, next) = match stop {
        Some(stop) if stop.at <= elapsed && stop.at >= starts_at => {
            let exit =
                Terminated { exit_code: stop.exit_code, started: starts_at, finished: stop.at, oom_killed: false };
            (State::Terminated(exit), None)
        }
        Some(stop) if stop.at <= elapsed => (State::Waiting { reason: "ContainerCreating", backoff: None }, None),
        _ if elapsed < starts_at => (State::Waiting { reason: "ContainerCreating", backoff: None }, Some(starts_at)),
        _ => (State::Running { since: starts_at }, stop.map(|stop| stop.at)),
    };
    let ran = !matches!(state, State::Waiting { .. });
    let snapshot = ContainerSnapshot {
        started: matches!(state, State::Running { .. }),
        state,
        last: None,
        restart_count: 0,
        ready: false,
        starts: u32::from(ran),
        liveness_kills: 0,
        startup_kills: 0,
        startup_erroring: false,
        liveness_erroring: false,
        backoffs: 0,
        readiness_failing: false,
        restarting: false,
    };
    (snapshot, next)
}

/// The pod's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Accepted; not every container has started.
    Pending,
    /// Every container started; some run or will restart.
    Running,
    /// Every container exited with 0 and none will restart.
    Succeeded,
    /// Every container exited, one with a failure, and none will restart.
    Failed,
}

impl Phase {
    /// The phase as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }

    /// Succeeded or Failed: nothing will change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

/// The pod at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSnapshot {
    /// Its phase.
    pub phase: Phase,
    /// Every init container completed.
    pub initialized: bool,
    /// Every container is ready (and the pod runs).
    pub ready: bool,
    /// The init containers.
    pub init_containers: Vec<ContainerSnapshot>,
    /// The regular containers.
    pub containers: Vec<ContainerSnapshot>,
    /// When something changes next without outside help (time since acceptance).
    pub next: Option<Duration>,
}

/// The pod `elapsed` after the node accepted it.
pub fn simulate(plan: &PodPlan, timing: &Timing, elapsed: Duration, stop: Option<Stop>) -> PodSnapshot {
    let mut next = Next(None);
    let stopped = stop.filter(|stop| stop.at <= elapsed);
    if let Some(stop) = stop.filter(|stop| stop.at > elapsed) {
        next.at(stop.at);
    }
    let now = stopped.map_or(elapsed, |stop| stop.at);

    let mut init_containers = Vec::with_capacity(plan.init_containers.len());
    let mut begin = timing.start_delay;
    for _ in &plan.init_containers {
        let end = begin + plan.init_run;
        let snapshot = if now < begin {
            next.at(begin);
            waiting("PodInitializing")
        } else if now < end {
            next.at(end);
            ContainerSnapshot { state: State::Running { since: begin }, starts: 1, ..waiting("") }
        } else {
            let done = Terminated { exit_code: 0, started: begin, finished: end, oom_killed: false };
            ContainerSnapshot { state: State::Terminated(done), ready: true, starts: 1, ..waiting("") }
        };
        init_containers.push(snapshot);
        begin = end;
    }
    let initialized = plan.init_containers.is_empty() || now >= begin;

    let creating = if plan.init_containers.is_empty() { "ContainerCreating" } else { "PodInitializing" };
    let mut containers: Vec<ContainerSnapshot> = plan
        .containers
        .iter()
        .map(|container| {
            if now < begin {
                next.at(begin);
                waiting(creating)
            } else {
                run_container(plan, container, timing, begin, now, &mut next)
            }
        })
        .collect();

    if let Some(stop) = stopped {
        for container in init_containers.iter_mut().chain(containers.iter_mut()) {
            // A container the OOM killer just ended is not restarted any more.
            container.restarting = false;
            if let State::Running { since } = container.state {
                let exit =
                    Terminated { exit_code: stop.exit_code, started: since, finished: stop.at, oom_killed: false };
                container.state = State::Terminated(exit);
                container.ready = false;
                container.started = false;
                container.readiness_failing = false;
                container.startup_erroring = false;
                container.liveness_erroring = false;
            }
        }
        next = Next(None);
    }

    let all_terminated =
        containers.iter().all(|container| matches!(container.state, State::Terminated(_)) && !container.restarting);
    let phase = if stopped.is_some() && all_terminated && initialized {
        terminal_phase(&containers)
    } else if stopped.is_some() {
        // Deleted before its containers ran: kubelet reports the pod failed.
        Phase::Failed
    } else if !initialized || containers.iter().any(|container| container.starts == 0) {
        Phase::Pending
    } else if all_terminated {
        terminal_phase(&containers)
    } else {
        Phase::Running
    };
    let ready = phase == Phase::Running && containers.iter().all(|container| container.ready);
    PodSnapshot { phase, initialized, ready, init_containers, containers, next: next.0 }
}

fn terminal_phase(containers: &[ContainerSnapshot]) -> Phase {
    let failed = containers.iter().any(|container| matches!(container.state, State::Terminated(t) if t.exit_code != 0));
    if failed { Phase::Failed } else { Phase::Succeeded }
}

fn waiting(reason: &'static str) -> ContainerSnapshot {
    ContainerSnapshot {
        state: State::Waiting { reason, backoff: None },
        last: None,
        restart_count: 0,
        ready: false,
        started: false,
        starts: 0,
        liveness_kills: 0,
        startup_kills: 0,
        startup_erroring: false,
        liveness_erroring: false,
        backoffs: 0,
        readiness_failing: false,
        restarting: false,
    }
}

/// The earliest of the moments offered.
struct Next(Option<Duration>);

impl Next {
    fn at(&mut self, moment: Duration) {
        self.0 = Some(self.0.map_or(moment, |current| current.min(moment)));
    }
}

/// One regular container from its first start at `begin` until `now`: runs, exits, back-offs and restarts.
fn run_container(
    plan: &PodPlan,
    container: &ContainerPlan,
    timing: &Timing,
    begin: Duration,
    now: Duration,
    next: &mut Next,
) -> ContainerSnapshot {
    let mut snapshot = waiting("");
    let mut start = begin;
    // Restarts since the back-off was last reset; the first restart after a reset is immediate.
    let mut backoff_steps = 0u32;
    // Kubelet runs no liveness or readiness probe before the startup probe succeeds, so a failing startup probe
    // decides alone when the container is killed.
    let never_starts = container.startup_failure.is_some();
    let startup_kill = container.startup_failure.as_ref().and_then(|failure| failure.kill_after);
    let liveness_kill = [plan.fail_liveness_after, container.liveness_failure.as_ref().and_then(|f| f.kill_after)]
        .into_iter()
        .flatten()
        .min()
        .filter(|_| !never_starts);
    let kill_after = startup_kill.or(liveness_kill);
    let liveness_errors = container.liveness_failure.as_ref().is_some_and(|failure| failure.kill_after.is_none());
    let oom_after = container.oom.then_some(OOM_AFTER);
    loop {
        snapshot.starts += 1;
        // What ends this run first: the OOM killer, the container's own exit, or a probe (on a tie, in that order).
        let ending = [(oom_after, Ending::Oom), (plan.run, Ending::Exit), (kill_after, Ending::Probe)]
            .into_iter()
            .filter_map(|(after, ending)| after.map(|after| (after, ending)))
            .min_by_key(|(after, _)| *after);
        let end = ending.map(|(run, _)| start + run);
        if end.is_none_or(|end| end > now) {
            if let Some(end) = end {
                next.at(end);
            }
            let started_at = start + container.startup_delay.unwrap_or(Duration::ZERO);
            let ready_at = started_at.max(start + container.readiness_delay.unwrap_or(Duration::ZERO));
            snapshot.state = State::Running { since: start };
            if never_starts {
                // Only a startup probe that errors is reported while running; one that fails is with the kill.
                if startup_kill.is_none() {
                    snapshot.startup_erroring = now >= started_at;
                    if !snapshot.startup_erroring {
                        next.at(started_at);
                    }
                }
                return snapshot;
            }
            snapshot.started = now >= started_at;
            if !snapshot.started {
                next.at(started_at);
            }
            snapshot.liveness_erroring = liveness_errors && snapshot.started;
            if plan.fail_readiness || container.readiness_failure.is_some() {
                snapshot.readiness_failing = now >= ready_at;
                if !snapshot.readiness_failing {
                    next.at(ready_at);
                }
            } else {
                snapshot.ready = now >= ready_at;
                if !snapshot.ready {
                    next.at(ready_at);
                }
            }
            return snapshot;
        }
        let (end, ending) = (end.expect("a finite run"), ending.map_or(Ending::Exit, |(_, ending)| ending));
        let exit_code = if ending == Ending::Exit { plan.exit_code } else { KILLED_EXIT_CODE };
        let oom_killed = ending == Ending::Oom;
        let exit = Terminated { exit_code, started: start, finished: end, oom_killed };
        if ending == Ending::Probe && startup_kill.is_some() {
            snapshot.startup_kills += 1;
        } else if ending == Ending::Probe {
            snapshot.liveness_kills += 1;
        }
        let restarts = match plan.restart_policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => exit_code != 0,
            RestartPolicy::Never => false,
        };
        if !restarts || snapshot.starts >= MAX_RUNS {
            snapshot.state = State::Terminated(exit);
            return snapshot;
        }
        if end - start >= timing.backoff_max * 2 {
            backoff_steps = 0;
        }
        let delay = backoff(timing, backoff_steps);
        backoff_steps += 1;
        // An OOM kill is reported (the container terminated, the pod still running) before anything else happens.
        let reported_until = if oom_killed { end + OOM_REPORTED_FOR } else { end };
        let restart_at = (end + delay).max(reported_until);
        if now < reported_until {
            next.at(reported_until);
            snapshot.state = State::Terminated(exit);
            snapshot.restarting = true;
            return snapshot;
        }
        snapshot.last = Some(exit);
        if restart_at > now {
            next.at(restart_at);
            snapshot.backoffs += 1;
            snapshot.state = State::Waiting { reason: "CrashLoopBackOff", backoff: Some(delay) };
            return snapshot;
        }
        snapshot.restart_count += 1;
        start = restart_at;
    }
}

/// What ends a container's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The kernel's OOM killer.
    Oom,
    /// It exits on its own.
    Exit,
    /// A failing liveness or startup probe.
    Probe,
}

/// The delay before restart number `step` (0-based) since the back-off was last reset: none for the first, then
/// the base doubling up to the maximum, as kubelet's per-container back-off.
pub fn backoff(timing: &Timing, step: u32) -> Duration {
    if step == 0 {
        return Duration::ZERO;
    }
    let factor = 1u32.checked_shl(step - 1).unwrap_or(u32::MAX);
    timing.backoff_base.checked_mul(factor).unwrap_or(timing.backoff_max).min(timing.backoff_max)
}

/// A duration as Go's `time.Duration.String` prints whole and fractional seconds: `500ms`, `1.2s`, `1m20s`.
pub fn go_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let seconds = duration.as_secs();
    let fraction = {
        let text = format!("{:03}", duration.subsec_millis());
        let trimmed = text.trim_end_matches('0');
        if trimmed.is_empty() { String::new() } else { format!(".{trimmed}") }
    };
    match seconds {
        0..60 => format!("{seconds}{fraction}s"),
        60..3600 => format!("{}m{}{fraction}s", seconds / 60, seconds % 60),
        _ => format!("{}h{}m{}{fraction}s", seconds / 3600, seconds % 3600 / 60, seconds % 60),
    }
}

#[cfg(test)]
mod tests;
