//! cluster-autoscaler's command line as its Deployment gives it (`command` then `args`), read as Go's `flag`
//! package reads it: `--name=value`, `-name=value`, `--name value` for flags that take a value, and `--name` alone
//! for booleans. Flags this simulation does not act on (`--cloud-provider`, `--v`, ...) are skipped.
//!
//! Upstream refuses to start on a value it cannot parse; here the flag is ignored with a warning and its default
//! kept, so that a typo does not stop the autoscaler altogether.

use std::time::Duration;

/// Which expander picks among the node groups that could help (`--expander`, a comma-separated chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expander {
    Random,
    MostPods,
    LeastWaste,
    Price,
    Priority,
}

impl Expander {
    fn parse(name: &str) -> Option<Expander> {
        Some(match name {
            "random" => Expander::Random,
            "most-pods" => Expander::MostPods,
            "least-waste" => Expander::LeastWaste,
            "price" => Expander::Price,
            "priority" => Expander::Priority,
            _ => return None,
        })
    }
}

/// `--nodes=<min>:<max>:<name>`: a group named explicitly, with its sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticGroup {
    pub min: i64,
    pub max: i64,
    pub name: String,
}

/// One `--node-group-auto-discovery=asg:tag=<key>[=<value>],...` definition: a group matches when it carries every
/// key (with that value, when one is given).
pub type TagDiscovery = Vec<(String, Option<String>)>;

/// The flags the autoscaler acts on, with upstream's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub auto_discovery: Vec<TagDiscovery>,
    pub nodes: Vec<StaticGroup>,
    pub expanders: Vec<Expander>,
    pub scan_interval: Duration,
    pub scale_down_enabled: bool,
    pub scale_down_unneeded_time: Duration,
    pub scale_down_delay_after_add: Duration,
    /// How long an unready node must be unneeded before it goes (`--scale-down-unready-time`, 20m).
    pub scale_down_unready_time: Duration,
    /// Whether unready nodes may go at all (`--scale-down-unready-enabled`, true).
    pub scale_down_unready_enabled: bool,
    pub scale_down_utilization_threshold: f64,
    pub balance_similar_node_groups: bool,
    pub max_node_provision_time: Duration,
    pub skip_nodes_with_system_pods: bool,
    pub skip_nodes_with_local_storage: bool,
    /// 0: no limit.
    pub max_nodes_total: i64,
    pub new_pod_scale_up_delay: Duration,
    /// How many empty nodes go at once (`--max-empty-bulk-delete`, 10).
    pub max_empty_bulk_delete: usize,
    /// `--status-config-map-name`.
    pub status_config_map_name: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            auto_discovery: Vec::new(),
            nodes: Vec::new(),
            expanders: vec![Expander::LeastWaste],
            scan_interval: Duration::from_secs(10),
            scale_down_enabled: true,
            scale_down_unneeded_time: Duration::from_secs(600),
            scale_down_delay_after_add: Duration::from_secs(600),
            scale_down_unready_time: Duration::from_secs(1200),
            scale_down_unready_enabled: true,
            scale_down_utilization_threshold: 0.5,
            balance_similar_node_groups: false,
            max_node_provision_time: Duration::from_secs(900),
            skip_nodes_with_system_pods: true,
            skip_nodes_with_local_storage: true,
            max_nodes_total: 0,
            new_pod_scale_up_delay: Duration::ZERO,
            max_empty_bulk_delete: 10,
            status_config_map_name: "cluster-autoscaler-status".to_owned(),
        }
    }
}

/// The flags that take no value when given alone.
const BOOLEAN_FLAGS: &[&str] = &[
    "scale-down-enabled",
    "scale-down-unready-enabled",
    "balance-similar-node-groups",
    "skip-nodes-with-system-pods",
    "skip-nodes-with-local-storage",
    "logtostderr",
    "stderrthreshold",
    "write-status-configmap",
    "ignore-daemonsets-utilization",
    "leader-elect",
];

/// Reads the flags of a command line; returns the options and a warning per value that could not be read.
pub fn parse(args: &[String]) -> (Options, Vec<String>) {
    let mut options = Options::default();
    let mut warnings = Vec::new();
    for (name, value) in crate::command_line::go_flags(args, BOOLEAN_FLAGS) {
        if let Err(why) = apply(&mut options, &name, &value) {
            warnings.push(format!("ignoring --{name}={value}: {why}"));
        }
    }
    (options, warnings)
}

fn apply(options: &mut Options, name: &str, value: &str) -> Result<(), String> {
    match name {
        "node-group-auto-discovery" => options.auto_discovery.push(parse_discovery(value)?),
        "nodes" => options.nodes.push(parse_static_group(value)?),
        "expander" => {
            let chain =
                value.split(',').map(|name| Expander::parse(name.trim()).ok_or(name)).collect::<Result<Vec<_>, _>>();
            let chain = chain.map_err(|name| format!("unknown expander {name:?}"))?;
            if chain.is_empty() {
                return Err("no expander".into());
            }
            options.expanders = chain;
        }
        "scan-interval" => options.scan_interval = parse_duration(value)?,
        "scale-down-enabled" => options.scale_down_enabled = parse_bool(value)?,
        "scale-down-unneeded-time" => options.scale_down_unneeded_time = parse_duration(value)?,
        "scale-down-delay-after-add" => options.scale_down_delay_after_add = parse_duration(value)?,
        "scale-down-unready-time" => options.scale_down_unready_time = parse_duration(value)?,
        "scale-down-unready-enabled" => options.scale_down_unready_enabled = parse_bool(value)?,
        "scale-down-utilization-threshold" => {
            let threshold: f64 = value.parse().map_err(|_| "not a number".to_owned())?;
            if !(0.0..=1.0).contains(&threshold) {
                return Err("not between 0 and 1".into());
            }
            options.scale_down_utilization_threshold = threshold;
        }
        "balance-similar-node-groups" => options.balance_similar_node_groups = parse_bool(value)?,
        "max-node-provision-time" => options.max_node_provision_time = parse_duration(value)?,
        "skip-nodes-with-system-pods" => options.skip_nodes_with_system_pods = parse_bool(value)?,
        "skip-nodes-with-local-storage" => options.skip_nodes_with_local_storage = parse_bool(value)?,
        "max-nodes-total" => {
            let total: i64 = value.parse().map_err(|_| "not an integer".to_owned())?;
            if total < 0 {
                return Err("negative".into());
            }
            options.max_nodes_total = total;
        }
        "new-pod-scale-up-delay" => options.new_pod_scale_up_delay = parse_duration(value)?,
        "max-empty-bulk-delete" => {
            let count: usize = value.parse().map_err(|_| "not a count".to_owned())?;
            options.max_empty_bulk_delete = count.max(1);
        }
        "status-config-map-name" => {
            if value.is_empty() {
                return Err("empty".into());
            }
            options.status_config_map_name = value.to_owned();
        }
        _ => {}
    }
    Ok(())
}

fn parse_bool(value: &str) -> Result<bool, String> {
    // Go's strconv.ParseBool.
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err("not a boolean".into()),
    }
}

/// `asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/demo` (keys, or `key=value`).
pub fn parse_discovery(value: &str) -> Result<TagDiscovery, String> {
    let (discoverer, spec) = value.split_once(':').ok_or("expected <discoverer>:<key>=<value>")?;
    if discoverer != "asg" {
        return Err(format!("unsupported discoverer {discoverer:?}"));
    }
    let tags = spec.strip_prefix("tag=").ok_or("expected tag=<keys>")?;
    let parsed: TagDiscovery = tags
        .split(',')
        .filter(|tag| !tag.is_empty())
        .map(|tag| match tag.split_once('=') {
            Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
            None => (tag.to_owned(), None),
        })
        .collect();
    if parsed.is_empty() || parsed.iter().any(|(key, _)| key.is_empty()) {
        return Err("no tag keys".into());
    }
    Ok(parsed)
}

/// `<min>:<max>:<name>`.
pub fn parse_static_group(value: &str) -> Result<StaticGroup, String> {
    let mut parts = value.splitn(3, ':');
    let (Some(min), Some(max), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected <min>:<max>:<name>".into());
    };
    let min: i64 = min.parse().map_err(|_| "min is not an integer".to_owned())?;
    let max: i64 = max.parse().map_err(|_| "max is not an integer".to_owned())?;
    if min < 0 || max < min || max < 1 {
        return Err(format!("sizes {min}:{max} are not 0 <= min <= max, max >= 1"));
    }
    if name.is_empty() {
        return Err("no group name".into());
    }
    Ok(StaticGroup { min, max, name: name.to_owned() })
}

/// A Go duration (`10s`, `1m30s`, `1.5h`, `300ms`, `0`); negative ones are refused.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    k8s_model::parse_go_duration(value).ok_or_else(|| format!("invalid duration {value:?}"))
}
