//! Expanders: which of the scale-up options (a group, how many nodes, which pods they would take) is taken, as
//! upstream's `expander/` strategies choose. A chain (`--expander=priority,least-waste`) narrows the options one
//! strategy after the other; ties left at the end are broken at random.
//!
//! - `random`: any option.
//! - `most-pods`: the options that schedule the most pods.
//! - `least-waste`: the least idle cpu plus memory (fractions of the new nodes' capacity) once the pods run.
//! - `price`: the cheapest new nodes (their on-demand price per hour); options without a price are kept only
//!   when no option has one.
//! - `priority`: the options whose group name matches a regular expression of the highest priority listed in the
//!   ConfigMap `cluster-autoscaler-priority-expander` (`data.priorities`: YAML, priority to list of regexes);
//!   no match keeps every option.

use std::collections::BTreeMap;

use super::flags::Expander;

/// One way to scale up.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleUpOption {
    pub group: String,
    pub node_count: i64,
    /// Keys of the pods the new nodes would take.
    pub pods: Vec<String>,
    /// The pods' summed cpu (millicores) and memory (bytes) requests.
    pub requested_cpu: i64,
    pub requested_memory: i64,
    /// One new node's capacity: cpu (millicores) and memory (bytes).
    pub node_cpu: i64,
    pub node_memory: i64,
    pub price_per_hour: Option<f64>,
}

/// The priority expander's list: priority to regular expressions of group names.
pub type Priorities = BTreeMap<i64, Vec<regex::Regex>>;

/// Reads `data.priorities`: a YAML map of integers to lists of regular expressions (block or flow lists).
pub fn parse_priorities(text: &str) -> Result<Priorities, String> {
    let mut out = Priorities::new();
    let mut current: Option<i64> = None;
    let unquote = |s: &str| {
        let s = s.trim();
        let quoted =
            s.len() >= 2 && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')));
        if quoted { s[1..s.len() - 1].to_owned() } else { s.to_owned() }
    };
    let add = |priority: i64, pattern: &str, out: &mut Priorities| -> Result<(), String> {
        let regex = regex::Regex::new(pattern).map_err(|e| format!("bad regular expression {pattern:?}: {e}"))?;
        out.entry(priority).or_default().push(regex);
        Ok(())
    };
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ").or_else(|| (trimmed == "-").then_some("")) {
            let priority = current.ok_or_else(|| format!("line {}: a list item outside a priority", number + 1))?;
            add(priority, &unquote(item), &mut out)?;
            continue;
        }
        let (key, rest) =
            trimmed.split_once(':').ok_or_else(|| format!("line {}: expected <priority>:", number + 1))?;
        let priority: i64 =
            unquote(key).parse().map_err(|_| format!("line {}: priority {key:?} is not an integer", number + 1))?;
        current = Some(priority);
        out.entry(priority).or_default();
        let rest = rest.trim();
        if let Some(flow) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            for item in flow.split(',').map(str::trim).filter(|item| !item.is_empty()) {
                add(priority, &unquote(item), &mut out)?;
            }
        } else if !rest.is_empty() {
            return Err(format!("line {}: expected a list of regular expressions", number + 1));
        }
    }
    Ok(out)
}

fn keep_best<T: PartialOrd + Copy>(
    options: Vec<ScaleUpOption>,
    score: impl Fn(&ScaleUpOption) -> T,
) -> Vec<ScaleUpOption> {
    let Some(best) = options.iter().map(&score).reduce(|a, b| if b < a { b } else { a }) else { return options };
    options.into_iter().filter(|option| score(option) <= best).collect()
}

/// The waste of an option: idle fraction of the new nodes' cpu plus that of their memory.
pub fn waste(option: &ScaleUpOption) -> f64 {
    let fraction = |requested: i64, per_node: i64| {
        let available = (per_node * option.node_count) as f64;
        if available <= 0.0 { 0.0 } else { (available - requested as f64) / available }
    };
    fraction(option.requested_cpu, option.node_cpu) + fraction(option.requested_memory, option.node_memory)
}

/// Narrows `options` with one strategy.
pub fn filter(
    expander: Expander,
    options: Vec<ScaleUpOption>,
    priorities: Option<&Priorities>,
    seed: u64,
) -> Vec<ScaleUpOption> {
    if options.len() <= 1 {
        return options;
    }
    match expander {
        Expander::Random => {
            let pick = (seed % options.len() as u64) as usize;
            options.into_iter().nth(pick).into_iter().collect()
        }
        Expander::MostPods => keep_best(options, |option| -(option.pods.len() as i64)),
        Expander::LeastWaste => keep_best(options, waste),
        Expander::Price => {
            if options.iter().all(|option| option.price_per_hour.is_none()) {
                return options;
            }
            let priced: Vec<ScaleUpOption> = options.into_iter().filter(|o| o.price_per_hour.is_some()).collect();
            keep_best(priced, |option| option.price_per_hour.unwrap_or(f64::MAX) * option.node_count as f64)
        }
        Expander::Priority => {
            let Some(priorities) = priorities else { return options };
            let priority_of = |option: &ScaleUpOption| {
                priorities
                    .iter()
                    .rev()
                    .find(|(_, patterns)| patterns.iter().any(|pattern| pattern.is_match(&option.group)))
                    .map(|(priority, _)| *priority)
            };
            let Some(top) = options.iter().filter_map(priority_of).max() else { return options };
            options.into_iter().filter(|option| priority_of(option) == Some(top)).collect()
        }
    }
}

/// The option the chain picks, ties broken by `seed`.
pub fn choose(
    chain: &[Expander],
    options: Vec<ScaleUpOption>,
    priorities: Option<&Priorities>,
    seed: u64,
) -> Option<ScaleUpOption> {
    let mut options = options;
    for expander in chain {
        options = filter(*expander, options, priorities, seed);
    }
    filter(Expander::Random, options, None, seed).into_iter().next()
}
