//! Node requirements as Karpenter reasons about them (upstream's `pkg/scheduling` `Requirements`): per label key,
//! the values a node may have there. A NodePool's `requirements`, a pod's `nodeSelector` and required node
//! affinity, and an instance type's labels meet here: two sets are compatible when every key they share still
//! allows a value, and a pod may ask for a label no pool defines only by asking for its absence. Instance types
//! and their offerings carry the well-known labels (`node.kubernetes.io/instance-type`, `kubernetes.io/arch`,
//! `topology.kubernetes.io/zone`, `karpenter.sh/capacity-type`, the flavour's `instance-*` labels).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, Pod};
use serde_json::{Value, json};

use crate::fleet::{ClassKind, InstanceTypeInfo, Offering};

/// The label of a node's instance type.
pub const INSTANCE_TYPE: &str = "node.kubernetes.io/instance-type";
/// The label of a node's architecture.
pub const ARCH: &str = "kubernetes.io/arch";
/// The label of a node's operating system.
pub const OS: &str = "kubernetes.io/os";
/// The label of a node's zone.
pub const ZONE: &str = "topology.kubernetes.io/zone";
/// The label of a node's capacity type.
pub const CAPACITY_TYPE: &str = "karpenter.sh/capacity-type";
/// The label of a node's host name.
pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// The prefix of the `instance-*` labels of a flavour.
pub fn prefix(kind: ClassKind) -> &'static str {
    match kind {
        ClassKind::Ec2NodeClass => "karpenter.k8s.aws",
        ClassKind::AutoModeNodeClass => "eks.amazonaws.com",
    }
}

/// Whether instance types or their offerings define `key` (so a requirement on it filters types rather than
/// needing a pool to define it).
pub fn well_known(key: &str) -> bool {
    matches!(key, INSTANCE_TYPE | ARCH | OS | ZONE | CAPACITY_TYPE | HOSTNAME | "topology.k8s.aws/zone-id")
        || ["karpenter.k8s.aws/instance-", "eks.amazonaws.com/instance-"].iter().any(|p| key.starts_with(p))
}

/// The values one key may take.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allowed {
    /// `Some`: only these values; `None`: any value.
    pub values: Option<BTreeSet<String>>,
    pub excluded: BTreeSet<String>,
    /// `Some(true)`: the label must be there; `Some(false)`: it must not.
    pub exists: Option<bool>,
    /// Integer bounds, exclusive.
    pub gt: Option<i64>,
    pub lt: Option<i64>,
}

impl Allowed {
    /// Exactly `value`.
    pub fn is(value: &str) -> Allowed {
        Allowed::one_of([value.to_owned()])
    }

    /// Any of `values`.
    pub fn one_of(values: impl IntoIterator<Item = String>) -> Allowed {
        Allowed { values: Some(values.into_iter().collect()), exists: Some(true), ..Allowed::default() }
    }

    fn in_bounds(&self, value: &str) -> bool {
        if self.gt.is_none() && self.lt.is_none() {
            return true;
        }
        let Ok(number) = value.parse::<i64>() else { return false };
        self.gt.is_none_or(|gt| number > gt) && self.lt.is_none_or(|lt| number < lt)
    }

    /// Whether a node whose label is `value` (`None`: absent) satisfies this.
    pub fn allows(&self, value: Option<&str>) -> bool {
        match value {
            None => self.exists != Some(true),
            Some(value) => {
                self.exists != Some(false)
                    && self.values.as_ref().is_none_or(|values| values.contains(value))
                    && !self.excluded.contains(value)
                    && self.in_bounds(value)
            }
        }
    }

    /// What both allow.
    pub fn intersect(&self, other: &Allowed) -> Allowed {
        let values = match (&self.values, &other.values) {
            (Some(a), Some(b)) => Some(a.intersection(b).cloned().collect()),
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            (None, None) => None,
        };
        let exists = match (self.exists, other.exists) {
            // Must be there and must not: nothing satisfies both.
            (Some(a), Some(b)) if a != b => {
                return Allowed { values: Some(BTreeSet::new()), exists: Some(true), ..Allowed::default() };
            }
            (Some(value), _) | (None, Some(value)) => Some(value),
            (None, None) => None,
        };
        let mut merged = Allowed {
            values,
            excluded: self.excluded.union(&other.excluded).cloned().collect(),
            exists,
            gt: self.gt.max(other.gt),
            lt: match (self.lt, other.lt) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        };
        if let Some(values) = merged.values.take() {
            let kept: BTreeSet<String> = values
                .into_iter()
                .filter(|value| !merged.excluded.contains(value) && merged.in_bounds(value))
                .collect();
            merged.values = Some(kept);
            merged.excluded.clear();
        }
        merged
    }

    /// Whether nothing satisfies it (a node can neither have nor lack the label).
    pub fn is_empty(&self) -> bool {
        let no_value = match &self.values {
            Some(values) => values.is_empty(),
            None => self.exists == Some(false) || matches!((self.gt, self.lt), (Some(gt), Some(lt)) if gt + 1 >= lt),
        };
        no_value && self.exists == Some(true)
    }

    /// The one value allowed, if only one is.
    pub fn single(&self) -> Option<&str> {
        let values = self.values.as_ref()?;
        (values.len() == 1).then(|| values.iter().next().map(String::as_str)).flatten()
    }

    /// Upstream's way of writing it (`key In [a b]`, `key Exists`, `key >4`).
    fn describe(&self, key: &str) -> String {
        let mut text = match (&self.values, self.exists) {
            (Some(values), _) => {
                let mut shown: Vec<String> = values.iter().take(5).cloned().collect();
                if values.len() > 5 {
                    shown.push(format!("and {} others", values.len() - 5));
                }
                format!("{key} In [{}]", shown.join(" "))
            }
            (None, Some(false)) => format!("{key} DoesNotExist"),
            (None, _) if !self.excluded.is_empty() => {
                format!("{key} NotIn [{}]", self.excluded.iter().cloned().collect::<Vec<_>>().join(" "))
            }
            (None, _) => format!("{key} Exists"),
        };
        if let Some(gt) = self.gt {
            text.push_str(&format!(" >{gt}"));
        }
        if let Some(lt) = self.lt {
            text.push_str(&format!(" <{lt}"));
        }
        text
    }
}

/// Requirements by label key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requirements(pub BTreeMap<String, Allowed>);

/// Reads one requirement, with upstream's validation messages.
pub fn parse_requirement(requirement: &NodeSelectorRequirement) -> Result<Allowed, String> {
    let values: Vec<String> = requirement.values.clone().unwrap_or_default();
    let integer = || -> Result<i64, String> {
        match values.as_slice() {
            [value] => value.parse::<i64>().ok().filter(|v| *v >= 0).ok_or(()),
            _ => Err(()),
        }
        .map_err(|()| {
            "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value".to_owned()
        })
    };
    let allowed = match requirement.operator.as_str() {
        "In" if values.is_empty() => return Err("requirements with operator 'In' must have a value defined".into()),
        "In" => Allowed::one_of(values),
        "NotIn" => Allowed { excluded: values.into_iter().collect(), ..Allowed::default() },
        "Exists" => Allowed { exists: Some(true), ..Allowed::default() },
        "DoesNotExist" => Allowed { exists: Some(false), ..Allowed::default() },
        "Gt" => Allowed { exists: Some(true), gt: Some(integer()?), ..Allowed::default() },
        "Gte" => Allowed { exists: Some(true), gt: Some(integer()? - 1), ..Allowed::default() },
        "Lt" => Allowed { exists: Some(true), lt: Some(integer()?), ..Allowed::default() },
        "Lte" => Allowed { exists: Some(true), lt: Some(integer()? + 1), ..Allowed::default() },
        other => return Err(format!("key {} has an unsupported operator {other:?}", requirement.key)),
    };
    Ok(allowed)
}

impl Requirements {
    /// Requirements from a list of node selector requirements (a NodePool's, a NodeClaim's, a term's).
    pub fn parse(list: &[NodeSelectorRequirement]) -> Result<Requirements, String> {
        let mut requirements = Requirements::default();
        for requirement in list {
            requirements.add(&requirement.key, parse_requirement(requirement)?);
        }
        Ok(requirements)
    }

    /// Requirements from a JSON list (as a spec holds them); garbage is an error.
    pub fn parse_json(value: Option<&Value>) -> Result<Requirements, String> {
        let list: Vec<NodeSelectorRequirement> = match value {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => serde_json::from_value(value.clone()).map_err(|error| format!("requirements: {error}"))?,
        };
        Requirements::parse(&list)
    }

    /// Narrows `key` to what it allowed and `allowed` allows.
    pub fn add(&mut self, key: &str, allowed: Allowed) {
        let merged = match self.0.get(key) {
            Some(existing) => existing.intersect(&allowed),
            None => allowed,
        };
        self.0.insert(key.to_owned(), merged);
    }

    pub fn get(&self, key: &str) -> Option<&Allowed> {
        self.0.get(key)
    }

    /// What both allow.
    pub fn intersect(&self, other: &Requirements) -> Requirements {
        let mut merged = self.clone();
        for (key, allowed) in &other.0 {
            merged.add(key, allowed.clone());
        }
        merged
    }

    /// Whether a pod's requirements (`incoming`) can be met together with these, as upstream's `Compatible` with
    /// undefined well-known labels allowed; else upstream's message.
    pub fn compatible(&self, incoming: &Requirements) -> Result<(), String> {
        for (key, wanted) in &incoming.0 {
            match self.0.get(key) {
                Some(existing) => {
                    if existing.intersect(wanted).is_empty() {
                        return Err(format!("key {key}, {} not in {}", wanted.describe(key), existing.describe(key)));
                    }
                }
                None if well_known(key) => {}
                None if wanted.allows(None) => {}
                None => return Err(format!("label {key:?} does not have known values")),
            }
        }
        Ok(())
    }

    /// Whether a node with `labels` satisfies every requirement on a key those labels define.
    pub fn admits(&self, labels: &BTreeMap<String, String>) -> bool {
        labels.iter().all(|(key, value)| self.0.get(key).is_none_or(|allowed| allowed.allows(Some(value))))
    }

    /// The labels these requirements fix (keys with one allowed value).
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.0.iter().filter_map(|(key, allowed)| Some((key.clone(), allowed.single()?.to_owned()))).collect()
    }

    /// As a NodeClaim's `spec.requirements`.
    pub fn to_json(&self) -> Vec<Value> {
        let mut list = Vec::new();
        for (key, allowed) in &self.0 {
            match (&allowed.values, allowed.exists) {
                (Some(values), _) => list.push(json!({ "key": key, "operator": "In", "values": values })),
                (None, Some(false)) => list.push(json!({ "key": key, "operator": "DoesNotExist" })),
                (None, _) => {
                    if !allowed.excluded.is_empty() {
                        list.push(json!({ "key": key, "operator": "NotIn", "values": allowed.excluded }));
                    }
                    if let Some(gt) = allowed.gt {
                        list.push(json!({ "key": key, "operator": "Gt", "values": [gt.to_string()] }));
                    }
                    if let Some(lt) = allowed.lt {
                        list.push(json!({ "key": key, "operator": "Lt", "values": [lt.to_string()] }));
                    }
                    if allowed.excluded.is_empty() && allowed.gt.is_none() && allowed.lt.is_none() {
                        list.push(json!({ "key": key, "operator": "Exists" }));
                    }
                }
            }
        }
        list
    }

    /// Upstream's way of writing them, for messages.
    pub fn describe(&self) -> String {
        self.0.iter().map(|(key, allowed)| allowed.describe(key)).collect::<Vec<_>>().join(", ")
    }
}

/// A pod's requirements, one set per required node affinity term (tried in order, as upstream relaxes a pod's
/// terms one at a time), each with its `nodeSelector`. A term that does not parse is skipped; with no term left
/// the pod has only its `nodeSelector`.
pub fn pod_requirements(pod: &Pod) -> Vec<Requirements> {
    let spec = pod.spec.as_ref();
    let mut base = Requirements::default();
    for (key, value) in spec.and_then(|spec| spec.node_selector.as_ref()).into_iter().flatten() {
        base.add(key, Allowed::is(value));
    }
    let terms = spec
        .and_then(|spec| spec.affinity.as_ref())
        .and_then(|affinity| affinity.node_affinity.as_ref())
        .and_then(|node| node.required_during_scheduling_ignored_during_execution.as_ref())
        .map(|required| required.node_selector_terms.clone())
        .unwrap_or_default();
    let options: Vec<Requirements> = terms
        .iter()
        .filter_map(|term| {
            let list = term.match_expressions.clone().unwrap_or_default();
            Requirements::parse(&list).ok().map(|term| base.intersect(&term))
        })
        .collect();
    if options.is_empty() { vec![base] } else { options }
}

/// The labels an instance type gives every node of it, the flavour's `instance-*` names included.
pub fn type_labels(info: &InstanceTypeInfo, kind: ClassKind) -> BTreeMap<String, String> {
    let p = prefix(kind);
    let mut labels: BTreeMap<String, String> = [
        (INSTANCE_TYPE.to_owned(), info.name.clone()),
        (ARCH.to_owned(), info.architecture.clone()),
        (OS.to_owned(), "linux".to_owned()),
        (format!("{p}/instance-category"), info.category.clone()),
        (format!("{p}/instance-family"), info.family.clone()),
        (format!("{p}/instance-generation"), info.generation.to_string()),
        (format!("{p}/instance-size"), info.size.clone()),
        (format!("{p}/instance-cpu"), info.vcpus.to_string()),
        (format!("{p}/instance-cpu-manufacturer"), info.cpu_manufacturer.clone()),
        (format!("{p}/instance-memory"), info.memory_mib.to_string()),
        (format!("{p}/instance-hypervisor"), info.hypervisor.clone()),
        (format!("{p}/instance-network-bandwidth"), info.network_bandwidth_mbps.to_string()),
    ]
    .into();
    if info.gpu_count > 0 {
        labels.insert(format!("{p}/instance-gpu-count"), info.gpu_count.to_string());
        labels.insert(format!("{p}/instance-gpu-memory"), info.gpu_memory_mib.to_string());
        if let Some(name) = &info.gpu_name {
            labels.insert(format!("{p}/instance-gpu-name"), name.clone());
        }
        if let Some(manufacturer) = &info.gpu_manufacturer {
            labels.insert(format!("{p}/instance-gpu-manufacturer"), manufacturer.clone());
        }
    }
    labels
}

/// Whether an offering is allowed by the zone and capacity type requirements.
pub fn offering_allowed(requirements: &Requirements, offering: &Offering) -> bool {
    requirements.get(ZONE).is_none_or(|zone| zone.allows(Some(&offering.zone)))
        && requirements.get(CAPACITY_TYPE).is_none_or(|capacity| capacity.allows(Some(&offering.capacity_type)))
}
