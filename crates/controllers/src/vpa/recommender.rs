//! The recommender's model and estimation (upstream's `pkg/recommender/model` and `pkg/recommender/logic`).
//!
//! - Every running pod's containers are tracked; their usage samples go into an aggregate per namespace, container
//!   name and pod label set, so that a VPA adds up the aggregates of the pods its selector matches, by container.
//! - CPU: each sample (cores, from a metrics snapshot newer than the container's last) goes into a decaying
//!   histogram with weight 0.1. Memory: one peak per container per `--memory-aggregation-interval`; a larger
//!   sample in the same interval replaces the interval's peak. An OOM kill adds a peak of
//!   `max(request, peak) + max(100Mi, 20%)`.
//! - Estimation per container: the target is the 90th percentile, the lower bound the 50th, the upper bound the
//!   95th (CPU and memory alike); each gets the 15% margin; the upper bound is multiplied by `1 + 1/confidence`
//!   and the lower bound by `(1 + 0.001/confidence)^-2`, where confidence is the history's length in days (or its
//!   sample count over a day of one sample a minute, whichever is smaller); each is then at least the pod minimum
//!   (25m, 250Mi) split over the VPA's containers. Only the resources a container policy controls are kept; the
//!   target before `minAllowed`/`maxAllowed` is the uncapped target.
//! - A container with no sample yet gets no recommendation (as without metrics-server the VPA provides none).
//!
//! Times are seconds since the Unix epoch.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::api::{Amounts, ContainerPolicy, ContainerRecommendation, Resource, Spec};
use super::flags::RecommenderOptions;
use super::histogram::{DecayingHistogram, HistogramOptions};

/// The least weight of a sample before decay.
const MIN_SAMPLE_WEIGHT: f64 = 0.1;
/// Weights under this count as nothing.
const EPSILON: f64 = 0.001 * MIN_SAMPLE_WEIGHT;
/// Each bucket is this much wider than the one before.
const BUCKET_GROWTH: f64 = 1.05;
/// The largest amount the recommender writes (upstream's `MaxResourceAmount`).
const MAX_AMOUNT: f64 = 1e14;

fn cpu_histogram_options() -> HistogramOptions {
    // 0.01 cores to 1000 cores.
    HistogramOptions::exponential(1000.0, 0.01, BUCKET_GROWTH, EPSILON).expect("valid CPU histogram options")
}

fn memory_histogram_options() -> HistogramOptions {
    // 10 MB to 1 TB.
    HistogramOptions::exponential(1e12, 1e7, BUCKET_GROWTH, EPSILON).expect("valid memory histogram options")
}

/// An amount from a float, as upstream's `resourceAmountFromFloat`: truncated, at least 0, at most 1e14.
fn amount(value: f64) -> i64 {
    if value.is_nan() || value < 0.0 {
        return 0;
    }
    if value > MAX_AMOUNT {
        return MAX_AMOUNT as i64;
    }
    value as i64
}

fn scale(value: i64, factor: f64) -> i64 {
    amount(value as f64 * factor)
}

/// The usage history of the containers of one name in pods of one label set.
#[derive(Debug, Clone)]
pub struct AggregateState {
    cpu: DecayingHistogram,
    memory_peaks: DecayingHistogram,
    first_sample: Option<f64>,
    last_sample: Option<f64>,
    samples: u64,
    created: f64,
}

impl AggregateState {
    fn new(options: &RecommenderOptions, now: f64) -> AggregateState {
        AggregateState {
            cpu: DecayingHistogram::new(cpu_histogram_options(), options.cpu_half_life.as_secs_f64()),
            memory_peaks: DecayingHistogram::new(memory_histogram_options(), options.memory_half_life.as_secs_f64()),
            first_sample: None,
            last_sample: None,
            samples: 0,
            created: now,
        }
    }

    fn add_cpu(&mut self, cores: f64, at: f64) {
        self.cpu.add(cores, MIN_SAMPLE_WEIGHT, at);
        self.last_sample = Some(self.last_sample.map_or(at, |last| last.max(at)));
        self.first_sample = Some(self.first_sample.map_or(at, |first| first.min(at)));
        self.samples += 1;
    }

    fn merge(&mut self, other: &AggregateState) {
        self.cpu.merge(&other.cpu);
        self.memory_peaks.merge(&other.memory_peaks);
        if let Some(first) = other.first_sample {
            self.first_sample = Some(self.first_sample.map_or(first, |ours| ours.min(first)));
        }
        if let Some(last) = other.last_sample {
            self.last_sample = Some(self.last_sample.map_or(last, |ours| ours.max(last)));
        }
        self.samples += other.samples;
    }

    /// Whether no sample reached it.
    pub fn is_empty(&self) -> bool {
        self.samples == 0 && self.memory_peaks.is_empty()
    }

    /// How much history backs it, in units of `interval` (upstream's `getConfidence`).
    fn confidence(&self, interval: std::time::Duration) -> f64 {
        let seconds = interval.as_secs_f64().max(1e-3);
        let lifespan = match (self.first_sample, self.last_sample) {
            (Some(first), Some(last)) => (last - first) / seconds,
            _ => 0.0,
        };
        let samples = self.samples as f64 / (seconds / 60.0);
        lifespan.min(samples)
    }
}

/// Which aggregate a container's samples go to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct AggregateKey {
    namespace: String,
    container: String,
    labels: BTreeMap<String, String>,
}

/// What the model keeps of a container.
#[derive(Debug, Clone, Default)]
struct ContainerState {
    memory_request: i64,
    last_cpu_sample: Option<f64>,
    memory_peak: i64,
    oom_peak: i64,
    /// The end of the current memory aggregation interval.
    window_end: Option<f64>,
    last_memory_sample: Option<f64>,
    /// When the last OOM kill recorded ended.
    last_oom: Option<f64>,
}

#[derive(Debug, Clone, Default)]
struct PodState {
    labels: BTreeMap<String, String>,
    phase: String,
    containers: HashMap<String, ContainerState>,
    init_containers: HashSet<String>,
}

/// A pod as the recommender reads it (pods that are not `Pending`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub phase: String,
    /// Containers with their memory request in bytes (0 without one).
    pub containers: Vec<(String, i64)>,
    pub init_containers: Vec<String>,
    /// Containers whose last termination was an OOM kill, with when it ended.
    pub oom_kills: Vec<(String, f64)>,
}

/// One pod's item of a metrics snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSample {
    pub namespace: String,
    pub name: String,
    /// When the sample was taken.
    pub at: f64,
    /// Per container: CPU in millicores and memory in bytes, each when reported.
    pub containers: Vec<(String, Option<i64>, Option<i64>)>,
}

/// The recommender's model of the cluster.
#[derive(Debug, Clone)]
pub struct Model {
    options: RecommenderOptions,
    pods: HashMap<(String, String), PodState>,
    aggregates: HashMap<AggregateKey, AggregateState>,
}

impl Model {
    /// An empty model.
    pub fn new(options: RecommenderOptions) -> Model {
        Model { options, pods: HashMap::new(), aggregates: HashMap::new() }
    }

    /// The options it was made with.
    pub fn options(&self) -> &RecommenderOptions {
        &self.options
    }

    /// Takes the current pods: new ones are added, gone ones forgotten (their aggregates stay), and OOM kills
    /// not seen before are recorded.
    pub fn observe_pods(&mut self, pods: &[PodInfo], now: f64) {
        let current: HashSet<(String, String)> = pods.iter().map(|p| (p.namespace.clone(), p.name.clone())).collect();
        self.pods.retain(|key, _| current.contains(key));
        for pod in pods {
            let key = (pod.namespace.clone(), pod.name.clone());
            let state = self.pods.entry(key).or_default();
            state.labels = pod.labels.clone();
            state.phase = pod.phase.clone();
            state.init_containers = pod.init_containers.iter().cloned().collect();
            for (container, memory_request) in &pod.containers {
                state.containers.entry(container.clone()).or_default().memory_request = *memory_request;
                let aggregate = AggregateKey {
                    namespace: pod.namespace.clone(),
                    container: container.clone(),
                    labels: pod.labels.clone(),
                };
                self.aggregates.entry(aggregate).or_insert_with(|| AggregateState::new(&self.options, now));
            }
        }
        for pod in pods {
            for (container, finished) in &pod.oom_kills {
                self.record_oom(&pod.namespace, &pod.name, container, *finished);
            }
        }
    }

    fn record_oom(&mut self, namespace: &str, pod: &str, container: &str, at: f64) {
        let Some(state) = self.pods.get_mut(&(namespace.to_owned(), pod.to_owned())) else { return };
        let key = AggregateKey {
            namespace: namespace.to_owned(),
            container: container.to_owned(),
            labels: state.labels.clone(),
        };
        let Some(container_state) = state.containers.get_mut(container) else { return };
        if container_state.last_oom.is_some_and(|last| last >= at) {
            return;
        }
        container_state.last_oom = Some(at);
        let interval = self.options.memory_aggregation_interval.as_secs_f64();
        if container_state.last_memory_sample.is_some_and(|last| at < last - interval) {
            return;
        }
        let used = container_state.memory_request.max(container_state.memory_peak);
        let needed = (used.saturating_add(amount(self.options.oom_min_bump_up_bytes)))
            .max(scale(used, self.options.oom_bump_up_ratio));
        let Some(aggregate) = self.aggregates.get_mut(&key) else { return };
        add_memory_sample(container_state, aggregate, needed, at, true, interval);
    }

    /// Feeds a metrics snapshot; samples of pods or containers the model does not track, and of init containers,
    /// are dropped. Returns how many samples were taken.
    pub fn add_samples(&mut self, samples: &[PodSample]) -> usize {
        let interval = self.options.memory_aggregation_interval.as_secs_f64();
        let mut taken = 0;
        for sample in samples {
            let Some(pod) = self.pods.get_mut(&(sample.namespace.clone(), sample.name.clone())) else { continue };
            for (container, cpu, memory) in &sample.containers {
                if pod.init_containers.contains(container) {
                    continue;
                }
                let key = AggregateKey {
                    namespace: sample.namespace.clone(),
                    container: container.clone(),
                    labels: pod.labels.clone(),
                };
                let (Some(state), Some(aggregate)) = (pod.containers.get_mut(container), self.aggregates.get_mut(&key))
                else {
                    continue;
                };
                if let Some(milli) = cpu.filter(|m| *m >= 0)
                    && state.last_cpu_sample.is_none_or(|last| sample.at > last)
                {
                    aggregate.add_cpu(milli as f64 / 1000.0, sample.at);
                    state.last_cpu_sample = Some(sample.at);
                    taken += 1;
                }
                if let Some(bytes) = memory.filter(|b| *b >= 0)
                    && add_memory_sample(state, aggregate, bytes, sample.at, false, interval)
                {
                    taken += 1;
                }
            }
        }
        taken
    }

    /// Forgets aggregates with no samples and no pod, and those whose last sample is older than the memory
    /// aggregation window (interval × count).
    pub fn collect_garbage(&mut self, now: f64) {
        let window = self.options.memory_aggregation_interval.as_secs_f64()
            * f64::from(self.options.memory_aggregation_interval_count);
        let live: HashSet<AggregateKey> = self
            .pods
            .iter()
            .flat_map(|((namespace, _), pod)| {
                pod.containers.keys().map(move |container| AggregateKey {
                    namespace: namespace.clone(),
                    container: container.clone(),
                    labels: pod.labels.clone(),
                })
            })
            .collect();
        self.aggregates.retain(|key, state| {
            if state.samples == 0 && !live.contains(key) {
                return false;
            }
            let since = if state.samples == 0 { state.created } else { state.last_sample.unwrap_or(state.created) };
            now - since < window
        });
    }

    /// How many tracked pods of `namespace` the selector matches.
    pub fn pod_count(&self, namespace: &str, matches: &dyn Fn(&BTreeMap<String, String>) -> bool) -> usize {
        self.pods.iter().filter(|((ns, _), pod)| ns == namespace && matches(&pod.labels)).count()
    }

    /// The recommendation of a VPA of `namespace` whose pods `matches` selects (upstream's
    /// `GetRecommendedPodResources` followed by the capping post-processor), sorted by container name.
    pub fn recommend(
        &self,
        namespace: &str,
        matches: &dyn Fn(&BTreeMap<String, String>) -> bool,
        spec: &Spec,
    ) -> Vec<ContainerRecommendation> {
        let mut by_container: BTreeMap<String, AggregateState> = BTreeMap::new();
        for (key, state) in &self.aggregates {
            if key.namespace != namespace || !matches(&key.labels) {
                continue;
            }
            by_container
                .entry(key.container.clone())
                .or_insert_with(|| AggregateState::new(&self.options, state.created))
                .merge(state);
        }
        by_container.retain(|container, _| !spec.policy_of(container).is_some_and(|p| p.off));
        let containers = by_container.len();
        by_container
            .iter()
            .filter(|(_, state)| !state.is_empty())
            .map(|(container, state)| {
                let policy = spec.policy_of(container);
                let estimate = estimate(state, &self.options, containers);
                recommendation(container, &estimate, policy)
            })
            .collect()
    }
}

/// Adds a memory sample to a container's current peak (upstream's `addMemorySample`); false when dropped.
fn add_memory_sample(
    state: &mut ContainerState,
    aggregate: &mut AggregateState,
    bytes: i64,
    at: f64,
    oom: bool,
    interval: f64,
) -> bool {
    if !oom && state.last_memory_sample.is_some_and(|last| at < last) {
        return false;
    }
    state.last_memory_sample = Some(at);
    let window_end = *state.window_end.get_or_insert(at);
    let mut add = false;
    if at < window_end {
        let old = state.memory_peak.max(state.oom_peak);
        if old != 0 && bytes > old {
            aggregate.memory_peaks.subtract(old as f64, 1.0, window_end);
            add = true;
        }
    } else {
        let interval = interval.max(1e-3);
        let shift = ((at - window_end) / interval).floor() * interval + interval;
        state.window_end = Some(window_end + shift);
        state.memory_peak = 0;
        state.oom_peak = 0;
        add = true;
    }
    if add {
        let end = state.window_end.unwrap_or(at);
        aggregate.memory_peaks.add(bytes as f64, 1.0, end);
        if oom {
            state.oom_peak = bytes;
        } else {
            state.memory_peak = bytes;
        }
    }
    true
}

/// The raw estimate of one container, before policies: amounts by resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Estimate {
    pub target: Amounts,
    pub lower_bound: Amounts,
    pub upper_bound: Amounts,
}

/// Estimates one container's resources from its history; `containers` is how many the VPA's pods have (the pod
/// minimum is split over them).
pub fn estimate(state: &AggregateState, options: &RecommenderOptions, containers: usize) -> Estimate {
    let fraction = 1.0 / containers.max(1) as f64;
    let min_cpu = scale(amount(options.pod_min_cpu_millicores * 0.001 * 1000.0), fraction);
    let min_memory = scale(amount(options.pod_min_memory_mb * 1024.0 * 1024.0), fraction);
    let margin = |base: i64| base.saturating_add(scale(base, options.margin_fraction));
    let cpu = |percentile: f64| margin(amount(state.cpu.percentile(percentile) * 1000.0));
    let memory = |percentile: f64| margin(amount(state.memory_peaks.percentile(percentile)));
    let with_confidence = |base: i64, multiplier: f64, exponent: f64, interval| {
        let confidence = state.confidence(interval);
        let factor = (1.0 + multiplier / confidence).powf(exponent);
        if base == 0 { 0 } else { scale(base, factor) }
    };
    let cpu_interval = options.confidence_interval_cpu;
    let memory_interval = options.confidence_interval_memory;
    let pair = |cpu: i64, memory: i64| {
        Amounts::from([(Resource::Cpu, cpu.max(min_cpu)), (Resource::Memory, memory.max(min_memory))])
    };
    Estimate {
        target: pair(cpu(options.target_cpu_percentile), memory(options.target_memory_percentile)),
        lower_bound: pair(
            with_confidence(cpu(options.lower_bound_cpu_percentile), 0.001, -2.0, cpu_interval),
            with_confidence(memory(options.lower_bound_memory_percentile), 0.001, -2.0, memory_interval),
        ),
        upper_bound: pair(
            with_confidence(cpu(options.upper_bound_cpu_percentile), 1.0, 1.0, cpu_interval),
            with_confidence(memory(options.upper_bound_memory_percentile), 1.0, 1.0, memory_interval),
        ),
    }
}

/// The recommendation of a container from its estimate: only the controlled resources, then capped to the
/// policy's `minAllowed` and `maxAllowed` (the target before capping is kept as the uncapped target).
pub fn recommendation(
    container: &str,
    estimate: &Estimate,
    policy: Option<&ContainerPolicy>,
) -> ContainerRecommendation {
    let controlled = ContainerPolicy::controlled(policy);
    let filter = |amounts: &Amounts| -> Amounts {
        amounts.iter().filter(|(r, _)| controlled.contains(r)).map(|(r, a)| (*r, *a)).collect()
    };
    let uncapped = filter(&estimate.target);
    ContainerRecommendation {
        container_name: container.to_owned(),
        target: cap_to_policy(&uncapped, policy),
        lower_bound: cap_to_policy(&filter(&estimate.lower_bound), policy),
        upper_bound: cap_to_policy(&filter(&estimate.upper_bound), policy),
        uncapped_target: uncapped,
    }
}

/// Amounts raised to `minAllowed` and lowered to `maxAllowed` (zero bounds are no bounds).
pub fn cap_to_policy(amounts: &Amounts, policy: Option<&ContainerPolicy>) -> Amounts {
    let Some(policy) = policy else { return amounts.clone() };
    amounts
        .iter()
        .map(|(resource, value)| {
            let mut value = *value;
            if let Some(min) = policy.min_allowed.get(resource).filter(|m| **m > 0) {
                value = value.max(*min);
            }
            if let Some(max) = policy.max_allowed.get(resource).filter(|m| **m > 0) {
                value = value.min(*max);
            }
            (*resource, value)
        })
        .collect()
}
