//! The command lines of the recommender and the updater as their Deployments give them (`command` then `args`),
//! read as Go's `flag` package reads them: `--name=value`, `-name=value`, `--name value`, and `--name` alone for
//! booleans. Flags this simulation does not act on (`--v`, `--storage`, ...) are skipped; a value that does not
//! parse is ignored with a warning and the default kept.

use std::time::Duration;

/// The recommender's settings (upstream's `pkg/recommender/config`), with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommenderOptions {
    /// `--recommender-name`: the VPAs it serves are those naming it, or naming none when it is `default`.
    pub name: String,
    /// `--recommender-interval`: how often metrics are read and recommendations written (1m).
    pub interval: Duration,
    /// `--recommendation-margin-fraction` (0.15).
    pub margin_fraction: f64,
    /// `--pod-recommendation-min-cpu-millicores` (25), split over the pod's containers.
    pub pod_min_cpu_millicores: f64,
    /// `--pod-recommendation-min-memory-mb` (250, in MiB), split over the pod's containers.
    pub pod_min_memory_mb: f64,
    /// `--target-cpu-percentile` (0.9).
    pub target_cpu_percentile: f64,
    /// `--recommendation-lower-bound-cpu-percentile` (0.5).
    pub lower_bound_cpu_percentile: f64,
    /// `--recommendation-upper-bound-cpu-percentile` (0.95).
    pub upper_bound_cpu_percentile: f64,
    /// `--target-memory-percentile` (0.9).
    pub target_memory_percentile: f64,
    /// `--recommendation-lower-bound-memory-percentile` (0.5).
    pub lower_bound_memory_percentile: f64,
    /// `--recommendation-upper-bound-memory-percentile` (0.95).
    pub upper_bound_memory_percentile: f64,
    /// `--confidence-interval-cpu` (24h): the history length that counts as one unit of confidence.
    pub confidence_interval_cpu: Duration,
    /// `--confidence-interval-memory` (24h).
    pub confidence_interval_memory: Duration,
    /// `--cpu-histogram-decay-half-life` (24h).
    pub cpu_half_life: Duration,
    /// `--memory-histogram-decay-half-life` (24h).
    pub memory_half_life: Duration,
    /// `--memory-aggregation-interval` (24h): one memory peak per container per interval.
    pub memory_aggregation_interval: Duration,
    /// `--memory-aggregation-interval-count` (8): how many intervals a history without samples is kept.
    pub memory_aggregation_interval_count: u32,
    /// `--oom-bump-up-ratio` (1.2).
    pub oom_bump_up_ratio: f64,
    /// `--oom-min-bump-up-bytes` (100Mi).
    pub oom_min_bump_up_bytes: f64,
}

impl Default for RecommenderOptions {
    fn default() -> Self {
        let day = Duration::from_secs(86_400);
        RecommenderOptions {
            name: "default".to_owned(),
            interval: Duration::from_secs(60),
            margin_fraction: 0.15,
            pod_min_cpu_millicores: 25.0,
            pod_min_memory_mb: 250.0,
            target_cpu_percentile: 0.9,
            lower_bound_cpu_percentile: 0.5,
            upper_bound_cpu_percentile: 0.95,
            target_memory_percentile: 0.9,
            lower_bound_memory_percentile: 0.5,
            upper_bound_memory_percentile: 0.95,
            confidence_interval_cpu: day,
            confidence_interval_memory: day,
            cpu_half_life: day,
            memory_half_life: day,
            memory_aggregation_interval: day,
            memory_aggregation_interval_count: 8,
            oom_bump_up_ratio: 1.2,
            oom_min_bump_up_bytes: 100.0 * 1024.0 * 1024.0,
        }
    }
}

/// The updater's settings (upstream's `pkg/updater/config`), with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdaterOptions {
    /// `--updater-interval` (1m).
    pub interval: Duration,
    /// `--min-replicas` (2): fewer live replicas than this and none is evicted.
    pub min_replicas: i64,
    /// `--eviction-tolerance` (0.5): the fraction of a controller's replicas that may be evicted at once.
    pub eviction_tolerance: f64,
    /// `--pod-update-threshold` (0.1): the least relative change worth an eviction of a pod within bounds.
    pub update_threshold: f64,
    /// `--in-recommendation-bounds-eviction-lifetime-threshold` (12h): how long a pod within bounds lives before
    /// a significant change may evict it.
    pub lifetime_threshold: Duration,
    /// `--evict-after-oom-threshold` (10m): a container OOM-killed this soon after starting makes its pod evictable.
    pub evict_after_oom: Duration,
    /// `--use-admission-controller-status` (true): evict only while the admission controller runs.
    pub use_admission_controller_status: bool,
}

impl Default for UpdaterOptions {
    fn default() -> Self {
        UpdaterOptions {
            interval: Duration::from_secs(60),
            min_replicas: 2,
            eviction_tolerance: 0.5,
            update_threshold: 0.1,
            lifetime_threshold: Duration::from_secs(12 * 3600),
            evict_after_oom: Duration::from_secs(600),
            use_admission_controller_status: true,
        }
    }
}

const BOOLEAN_FLAGS: &[&str] = &[
    "use-admission-controller-status",
    "memory-saver",
    "logtostderr",
    "alsologtostderr",
    "humanize-memory",
    "cpu-integer-post-processor-enabled",
    "in-place-skip-disruption-budget",
];

/// Reads the recommender's flags; returns the options and a warning per value that could not be read.
pub fn recommender(args: &[String]) -> (RecommenderOptions, Vec<String>) {
    let mut options = RecommenderOptions::default();
    let mut warnings = Vec::new();
    for (name, value) in crate::command_line::go_flags(args, BOOLEAN_FLAGS) {
        let o = &mut options;
        let result = match name.as_str() {
            "recommender-name" if value.is_empty() => Err("empty".to_owned()),
            "recommender-name" => {
                o.name = value.clone();
                Ok(())
            }
            "recommender-interval" => positive_duration(&value).map(|d| o.interval = d),
            "recommendation-margin-fraction" => non_negative(&value).map(|v| o.margin_fraction = v),
            "pod-recommendation-min-cpu-millicores" => non_negative(&value).map(|v| o.pod_min_cpu_millicores = v),
            "pod-recommendation-min-memory-mb" => non_negative(&value).map(|v| o.pod_min_memory_mb = v),
            "target-cpu-percentile" => fraction(&value).map(|v| o.target_cpu_percentile = v),
            "recommendation-lower-bound-cpu-percentile" => fraction(&value).map(|v| o.lower_bound_cpu_percentile = v),
            "recommendation-upper-bound-cpu-percentile" => fraction(&value).map(|v| o.upper_bound_cpu_percentile = v),
            "target-memory-percentile" => fraction(&value).map(|v| o.target_memory_percentile = v),
            "recommendation-lower-bound-memory-percentile" => {
                fraction(&value).map(|v| o.lower_bound_memory_percentile = v)
            }
            "recommendation-upper-bound-memory-percentile" => {
                fraction(&value).map(|v| o.upper_bound_memory_percentile = v)
            }
            "confidence-interval-cpu" => positive_duration(&value).map(|d| o.confidence_interval_cpu = d),
            "confidence-interval-memory" => positive_duration(&value).map(|d| o.confidence_interval_memory = d),
            "cpu-histogram-decay-half-life" => positive_duration(&value).map(|d| o.cpu_half_life = d),
            "memory-histogram-decay-half-life" => positive_duration(&value).map(|d| o.memory_half_life = d),
            "memory-aggregation-interval" => positive_duration(&value).map(|d| o.memory_aggregation_interval = d),
            "memory-aggregation-interval-count" => match value.parse::<u32>() {
                Ok(count) if count > 0 => {
                    o.memory_aggregation_interval_count = count;
                    Ok(())
                }
                _ => Err("not a positive count".to_owned()),
            },
            "oom-bump-up-ratio" => non_negative(&value).map(|v| o.oom_bump_up_ratio = v),
            "oom-min-bump-up-bytes" => non_negative(&value).map(|v| o.oom_min_bump_up_bytes = v),
            _ => Ok(()),
        };
        if let Err(why) = result {
            warnings.push(format!("ignoring --{name}={value}: {why}"));
        }
    }
    (options, warnings)
}

/// Reads the updater's flags; returns the options and a warning per value that could not be read.
pub fn updater(args: &[String]) -> (UpdaterOptions, Vec<String>) {
    let mut options = UpdaterOptions::default();
    let mut warnings = Vec::new();
    for (name, value) in crate::command_line::go_flags(args, BOOLEAN_FLAGS) {
        let o = &mut options;
        let result = match name.as_str() {
            "updater-interval" => positive_duration(&value).map(|d| o.interval = d),
            "min-replicas" => value.parse::<i64>().map(|v| o.min_replicas = v).map_err(|_| "not an integer".into()),
            "eviction-tolerance" => fraction(&value).map(|v| o.eviction_tolerance = v),
            "pod-update-threshold" => non_negative(&value).map(|v| o.update_threshold = v),
            "in-recommendation-bounds-eviction-lifetime-threshold" => {
                duration(&value).map(|d| o.lifetime_threshold = d)
            }
            "evict-after-oom-threshold" => duration(&value).map(|d| o.evict_after_oom = d),
            "use-admission-controller-status" => parse_bool(&value).map(|b| o.use_admission_controller_status = b),
            _ => Ok(()),
        };
        if let Err(why) = result {
            warnings.push(format!("ignoring --{name}={value}: {why}"));
        }
    }
    (options, warnings)
}

fn duration(value: &str) -> Result<Duration, String> {
    k8s_model::parse_go_duration(value).ok_or_else(|| format!("invalid duration {value:?}"))
}

fn positive_duration(value: &str) -> Result<Duration, String> {
    let parsed = duration(value)?;
    if parsed.is_zero() {
        return Err("not positive".into());
    }
    Ok(parsed)
}

fn non_negative(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(number) if number.is_finite() && number >= 0.0 => Ok(number),
        _ => Err("not a non-negative number".into()),
    }
}

fn fraction(value: &str) -> Result<f64, String> {
    match non_negative(value) {
        Ok(number) if number <= 1.0 => Ok(number),
        _ => Err("not between 0 and 1".into()),
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err("not a boolean".into()),
    }
}
