//! Drift (pure), as upstream's NodeClaim disruption controller and the AWS provider's `IsDrifted` decide it: a
//! launched NodeClaim has drifted when its NodePool's template changed in a field that is hashed
//! (`NodePoolDrifted`: the template without `requirements` and `resources`, compared through the
//! `karpenter.sh/nodepool-hash` annotations of pool and claim when their hash versions agree), when its labels no
//! longer meet the pool's requirements (`RequirementsDrifted`), when its node class changed in a hashed field
//! (`NodeClassDrift`: the spec without its selector terms and AMI family), or when the class now resolves to other
//! images (`AMIDrift`), subnets (`SubnetDrift`) or security groups (`SecurityGroupDrift`) than its instance has.
//! Reasons are checked in that order and the first one found is the claim's `Drifted` condition's reason.

use std::collections::BTreeMap;

use serde_json::Value;

use super::requirements::{Allowed, Requirements};
use crate::batch_support::stable_hash;
use crate::fleet::{ClassKind, FleetInstance, ResolvedClass};

/// The NodePool hash's annotation, on pools and on the claims made from them.
pub const NODEPOOL_HASH: &str = "karpenter.sh/nodepool-hash";
/// Its version: a hash of another version is not compared.
pub const NODEPOOL_HASH_VERSION: &str = "karpenter.sh/nodepool-hash-version";
/// The version of [`pool_hash`] (upstream's `NodePoolHashVersion`).
pub const NODEPOOL_HASH_VERSION_VALUE: &str = "v3";
/// The version of [`class_hash`] (the AWS provider's `EC2NodeClassHashVersion`).
pub const CLASS_HASH_VERSION_VALUE: &str = "v4";

/// The annotations a class kind's hash and hash version are kept in, on classes and on claims.
pub fn class_hash_annotations(kind: ClassKind) -> (&'static str, &'static str) {
    match kind {
        ClassKind::Ec2NodeClass => {
            ("karpenter.k8s.aws/ec2nodeclass-hash", "karpenter.k8s.aws/ec2nodeclass-hash-version")
        }
        ClassKind::AutoModeNodeClass => {
            ("eks.amazonaws.com/nodeclass-hash", "eks.amazonaws.com/nodeclass-hash-version")
        }
    }
}

/// `value` without nulls, empty strings, empty lists and empty objects (at any depth), as upstream's hashing
/// ignores zero values: a template that says `labels: {}` hashes as one that says nothing.
fn without_zero_values(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(without_zero_values).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        Value::Object(map) => {
            let kept: serde_json::Map<String, Value> =
                map.iter().filter_map(|(k, v)| Some((k.clone(), without_zero_values(v)?))).collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other.clone()),
    }
}

fn remove_path(value: &mut Value, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            if let Some(map) = value.as_object_mut() {
                map.remove(*last);
            }
        }
        [first, rest @ ..] => {
            if let Some(next) = value.get_mut(*first) {
                remove_path(next, rest);
            }
        }
    }
}

fn hash_without(value: &Value, ignored: &[&[&str]]) -> String {
    let mut copy = value.clone();
    for path in ignored {
        remove_path(&mut copy, path);
    }
    stable_hash(&without_zero_values(&copy).unwrap_or(Value::Null), 0)
}

/// The hash of a NodePool's `spec.template` over the fields whose change drifts its nodes: everything but
/// `spec.requirements` (checked against the claims' labels instead) and `spec.resources`.
pub fn pool_hash(template: &Value) -> String {
    hash_without(template, &[&["spec", "requirements"], &["spec", "resources"]])
}

/// The hash of a node class's spec over its static fields: everything but the selector terms (which drift through
/// what they resolve to), `amiFamily` and `ipPrefixCount`.
pub fn class_hash(spec: &Value) -> String {
    hash_without(
        spec,
        &[
            &["subnetSelectorTerms"],
            &["securityGroupSelectorTerms"],
            &["capacityReservationSelectorTerms"],
            &["amiSelectorTerms"],
            &["amiFamily"],
            &["ipPrefixCount"],
        ],
    )
}

/// What drift is judged on for one claim.
#[derive(Debug, Clone, Copy)]
pub struct DriftInput<'a> {
    /// The claim's annotations and labels.
    pub claim_annotations: &'a BTreeMap<String, String>,
    pub claim_labels: &'a BTreeMap<String, String>,
    /// The image the claim's instance was launched from (`status.imageID`).
    pub claim_image: Option<&'a str>,
    /// The pool's annotations (with its current hash) and requirements (template labels included).
    pub pool_annotations: &'a BTreeMap<String, String>,
    pub pool_requirements: &'a Requirements,
    /// The class's kind and annotations (with its current hash), and what it resolves to now.
    pub class_kind: ClassKind,
    pub class_annotations: &'a BTreeMap<String, String>,
    pub resolved: Option<&'a ResolvedClass>,
    /// The claim's instance as EC2 describes it, when known.
    pub instance: Option<&'a FleetInstance>,
}

/// Whether two hash annotations (hash, version) on `a` and `b` say the object drifted: only when both carry a hash
/// of the same version, and the hashes differ.
fn hashes_differ(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>, hash: &str, version: &str) -> bool {
    match (a.get(hash), a.get(version), b.get(hash), b.get(version)) {
        (Some(ha), Some(va), Some(hb), Some(vb)) => va == vb && ha != hb,
        _ => false,
    }
}

/// Why a launched claim has drifted, if it has (upstream's reason names).
pub fn drifted(input: &DriftInput<'_>) -> Option<&'static str> {
    if hashes_differ(input.pool_annotations, input.claim_annotations, NODEPOOL_HASH, NODEPOOL_HASH_VERSION) {
        return Some("NodePoolDrifted");
    }
    let mut labels = Requirements::default();
    for (key, value) in input.claim_labels {
        labels.add(key, Allowed::is(value));
    }
    if labels.compatible(input.pool_requirements).is_err() {
        return Some("RequirementsDrifted");
    }
    let (hash, version) = class_hash_annotations(input.class_kind);
    if hashes_differ(input.class_annotations, input.claim_annotations, hash, version) {
        return Some("NodeClassDrift");
    }
    let resolved = input.resolved?;
    if let Some(image) = input.claim_image.filter(|i| !i.is_empty())
        && !resolved.images.is_empty()
        && !resolved.images.iter().any(|i| i.id == image)
    {
        return Some("AMIDrift");
    }
    let instance = input.instance?;
    if !instance.subnet_id.is_empty()
        && !resolved.subnets.is_empty()
        && !resolved.subnets.iter().any(|s| s.id == instance.subnet_id)
    {
        return Some("SubnetDrift");
    }
    let mut have: Vec<&str> = instance.security_groups.iter().map(String::as_str).collect();
    let mut want: Vec<&str> = resolved.security_groups.iter().map(|g| g.id.as_str()).collect();
    have.sort_unstable();
    have.dedup();
    want.sort_unstable();
    want.dedup();
    if !have.is_empty() && !want.is_empty() && have != want {
        return Some("SecurityGroupDrift");
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fleet::{ClassImage, ClassSecurityGroup, ClassSubnet};

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_pool_hash_ignores_requirements_and_zero_values_but_not_labels_or_taints() {
        let template = json!({ "metadata": { "labels": { "team": "a" } }, "spec": {
            "nodeClassRef": { "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default" },
            "requirements": [{ "key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"] }] } });
        let mut other_requirements = template.clone();
        other_requirements["spec"]["requirements"] = json!([]);
        other_requirements["metadata"]["annotations"] = json!({});
        assert_eq!(pool_hash(&template), pool_hash(&other_requirements));
        let mut relabelled = template.clone();
        relabelled["metadata"]["labels"]["team"] = json!("b");
        assert_ne!(pool_hash(&template), pool_hash(&relabelled));
        let mut tainted = template.clone();
        tainted["spec"]["taints"] = json!([{ "key": "gpu", "effect": "NoSchedule" }]);
        assert_ne!(pool_hash(&template), pool_hash(&tainted));
        // Garbage hashes without panicking, and differently from the real thing.
        assert_ne!(pool_hash(&json!("garbage")), pool_hash(&template));
        assert_eq!(pool_hash(&Value::Null), pool_hash(&json!({})));
    }

    #[test]
    fn the_class_hash_ignores_selector_terms_but_not_the_role_or_user_data() {
        let spec = json!({ "role": "nodes", "amiSelectorTerms": [{ "alias": "al2023@latest" }],
                           "subnetSelectorTerms": [{ "tags": { "a": "b" } }] });
        let mut reselected = spec.clone();
        reselected["amiSelectorTerms"] = json!([{ "alias": "bottlerocket@latest" }]);
        reselected["subnetSelectorTerms"] = json!([{ "id": "subnet-1" }]);
        assert_eq!(class_hash(&spec), class_hash(&reselected));
        let mut user_data = spec.clone();
        user_data["userData"] = json!("echo hi");
        assert_ne!(class_hash(&spec), class_hash(&user_data));
    }

    fn resolved() -> ResolvedClass {
        ResolvedClass {
            subnets: vec![ClassSubnet {
                id: "subnet-a".into(),
                zone: "z".into(),
                zone_id: "z1".into(),
                available_ips: 1,
            }],
            security_groups: vec![ClassSecurityGroup { id: "sg-1".into(), name: "n".into() }],
            images: vec![ClassImage { id: "ami-new".into(), name: "n".into(), architecture: "amd64".into() }],
            instance_profile: "p".into(),
        }
    }

    #[test]
    fn each_reason_is_found_in_upstream_order() {
        let hashed = map(&[(NODEPOOL_HASH, "1"), (NODEPOOL_HASH_VERSION, "v3")]);
        let labels = map(&[("karpenter.sh/capacity-type", "on-demand"), ("team", "a")]);
        let mut requirements = Requirements::default();
        requirements.add("team", Allowed::is("a"));
        let none = BTreeMap::new();
        let class = resolved();
        let instance = FleetInstance {
            instance_id: "i-1".into(),
            provider_id: "aws:///z/i-1".into(),
            state: "running".into(),
            tags: BTreeMap::new(),
            subnet_id: "subnet-a".into(),
            security_groups: vec!["sg-1".into()],
        };
        let input = DriftInput {
            claim_annotations: &hashed,
            claim_labels: &labels,
            claim_image: Some("ami-new"),
            pool_annotations: &hashed,
            pool_requirements: &requirements,
            class_kind: ClassKind::Ec2NodeClass,
            class_annotations: &none,
            resolved: Some(&class),
            instance: Some(&instance),
        };
        assert_eq!(drifted(&input), None);
        let rehashed = map(&[(NODEPOOL_HASH, "2"), (NODEPOOL_HASH_VERSION, "v3")]);
        assert_eq!(drifted(&DriftInput { pool_annotations: &rehashed, ..input }), Some("NodePoolDrifted"));
        // Another hash version is not compared.
        let other_version = map(&[(NODEPOOL_HASH, "2"), (NODEPOOL_HASH_VERSION, "v2")]);
        assert_eq!(drifted(&DriftInput { pool_annotations: &other_version, ..input }), None);
        let mut spot_only = requirements.clone();
        spot_only.add("karpenter.sh/capacity-type", Allowed::is("spot"));
        assert_eq!(drifted(&DriftInput { pool_requirements: &spot_only, ..input }), Some("RequirementsDrifted"));
        let (hash, version) = class_hash_annotations(ClassKind::Ec2NodeClass);
        let claim_class = map(&[(hash, "x"), (version, "v4"), (NODEPOOL_HASH, "1"), (NODEPOOL_HASH_VERSION, "v3")]);
        let class_now = map(&[(hash, "y"), (version, "v4")]);
        let changed = DriftInput { claim_annotations: &claim_class, class_annotations: &class_now, ..input };
        assert_eq!(drifted(&changed), Some("NodeClassDrift"));
        assert_eq!(drifted(&DriftInput { claim_image: Some("ami-old"), ..input }), Some("AMIDrift"));
        let moved = FleetInstance { subnet_id: "subnet-b".into(), ..instance.clone() };
        assert_eq!(drifted(&DriftInput { instance: Some(&moved), ..input }), Some("SubnetDrift"));
        let regrouped = FleetInstance { security_groups: vec!["sg-1".into(), "sg-2".into()], ..instance.clone() };
        assert_eq!(drifted(&DriftInput { instance: Some(&regrouped), ..input }), Some("SecurityGroupDrift"));
        // Without what the class resolves to, only the static reasons can be judged.
        assert_eq!(drifted(&DriftInput { claim_image: Some("ami-old"), resolved: None, ..input }), None);
    }
}
