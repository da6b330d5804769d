//! The Vertical Pod Autoscaler's pure parts with upstream's numbers: histograms, the recommender's estimates and
//! conditions, the updater's priorities and budgets, the admission controller's patches, flags and activation.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::admission::{self, Entry, Recommendations};
use super::api::{self, Amounts, ContainerRecommendation, Resource, Spec, UpdateMode};
use super::flags::{self, RecommenderOptions};
use super::histogram::{DecayingHistogram, Histogram, HistogramOptions};
use super::recommender::{Model, PodInfo, PodSample};
use super::updater::{self, GroupBudget, PodView, UpdateConfig};
use super::*;

const MI: i64 = 1024 * 1024;
const T0: f64 = 1_700_000_000.0;

fn cpu_options() -> HistogramOptions {
    HistogramOptions::exponential(1000.0, 0.01, 1.05, 1e-4).unwrap()
}

fn amounts_of(cpu: i64, memory: i64) -> Amounts {
    Amounts::from([(Resource::Cpu, cpu), (Resource::Memory, memory)])
}

#[test]
fn vpa_histogram_buckets_and_percentiles_are_upstreams() {
    let options = cpu_options();
    assert_eq!(options.buckets(), 176);
    assert_eq!(options.find_bucket(0.005), 0);
    assert_eq!(options.find_bucket(0.5), 25);
    assert_eq!(options.find_bucket(1e9), 175);
    assert!(HistogramOptions::exponential(1.0, 0.01, 1.0, 1e-4).is_none());
    assert!(HistogramOptions::exponential(f64::NAN, 0.01, 1.05, 1e-4).is_none());

    let mut histogram = Histogram::new(options);
    assert!(histogram.is_empty());
    assert_eq!(histogram.percentile(0.9), 0.0);
    histogram.add(0.5, 1.0);
    // A percentile is the end of the sample's bucket.
    assert!((histogram.percentile(0.9) - 0.511_134_537_588_871_2).abs() < 1e-9);
    histogram.add(2.0, 9.0);
    assert!(histogram.percentile(0.05) < 0.52);
    assert!(histogram.percentile(0.5) > 2.0);
    histogram.subtract(2.0, 9.0);
    assert!(histogram.percentile(0.95) < 0.52, "the subtracted weight is gone");
    histogram.add(0.5, f64::NAN);
    histogram.add(0.5, -1.0);
    assert!(!histogram.is_empty());
}

#[test]
fn vpa_decaying_histogram_weighs_newer_samples_more() {
    let day = 86_400.0;
    let mut histogram = DecayingHistogram::new(cpu_options(), day);
    // Ten old samples of 2 cores, then one of 0.1 core ten half-lives later, which weighs 1024 times as much.
    for i in 0..10 {
        histogram.add(2.0, 1.0, T0 + f64::from(i));
    }
    histogram.add(0.1, 1.0, T0 + 10.0 * day);
    assert!(histogram.percentile(0.5) < 0.12, "the new sample dominates: {}", histogram.percentile(0.5));
    // Far-future samples move the reference instead of overflowing.
    histogram.add(0.1, 1.0, T0 + 500.0 * day);
    assert!(histogram.percentile(0.99) < 0.12);

    let mut merged = DecayingHistogram::new(cpu_options(), day);
    let mut other = DecayingHistogram::new(cpu_options(), day);
    other.add(1.0, 1.0, T0);
    merged.merge(&other);
    assert_eq!(merged.percentile(0.5), other.percentile(0.5));
}

fn pod(name: &str, containers: &[(&str, i64)]) -> PodInfo {
    PodInfo {
        namespace: "default".into(),
        name: name.into(),
        labels: BTreeMap::from([("app".to_owned(), "web".to_owned())]),
        phase: "Running".into(),
        containers: containers.iter().map(|(n, m)| ((*n).to_owned(), *m)).collect(),
        ..PodInfo::default()
    }
}

fn sample(name: &str, at: f64, containers: &[(&str, i64, i64)]) -> PodSample {
    PodSample {
        namespace: "default".into(),
        name: name.into(),
        at,
        containers: containers.iter().map(|(n, c, m)| ((*n).to_owned(), Some(*c), Some(*m))).collect(),
    }
}

fn all(_: &BTreeMap<String, String>) -> bool {
    true
}

/// A model fed `minutes` samples of 500m and 300Mi, one a minute.
fn steady_model(minutes: u32) -> Model {
    let mut model = Model::new(RecommenderOptions::default());
    model.observe_pods(&[pod("web-1", &[("app", 0)])], T0);
    for minute in 0..minutes {
        let at = T0 + f64::from(minute) * 60.0;
        assert_eq!(model.add_samples(&[sample("web-1", at, &[("app", 500, 300 * MI)])]), 2);
    }
    model
}

#[test]
fn vpa_recommendation_is_the_90th_percentile_with_a_15_percent_margin() {
    let model = steady_model(60);
    let recommendation = model.recommend("default", &all, &Spec::read(&json!({})));
    assert_eq!(recommendation.len(), 1);
    let app = &recommendation[0];
    assert_eq!(app.container_name, "app");
    // 500m falls in the bucket ending at 511m; 511 + 15% = 587. 300Mi's bucket ends at 330659541 bytes.
    assert_eq!(app.target, amounts_of(587, 380_258_472));
    assert_eq!(app.uncapped_target, app.target);
    // An hour of history: the lower bound is the median shrunk by (1 + 0.001 / (1/24))^-2, at least the minimum,
    // and the upper bound the 95th percentile grown by about 1 + 24.
    let confidence: f64 = 59.0 * 60.0 / 86_400.0;
    let shrink = (1.0 + 0.001 / confidence).powf(-2.0);
    assert_eq!(app.lower_bound[&Resource::Cpu], 559);
    assert_eq!(app.lower_bound[&Resource::Memory], (380_258_472.0 * shrink) as i64);
    assert!(app.upper_bound[&Resource::Cpu] > 587 * 24, "{:?}", app.upper_bound);
    let json = app.to_json();
    assert_eq!(json["target"], json!({ "cpu": "587m", "memory": "380258472" }));
    assert_eq!(ContainerRecommendation::from_json(&json), *app);
}

#[test]
fn vpa_short_history_has_wide_bounds_and_low_usage_the_pod_minimum() {
    let model = steady_model(1);
    let app = &model.recommend("default", &all, &Spec::read(&json!({})))[0];
    assert_eq!(app.lower_bound, amounts_of(25, 250 * MI), "no confidence: the lower bound is the minimum");
    assert_eq!(app.upper_bound, amounts_of(100_000_000_000_000, 100_000_000_000_000));

    let mut model = Model::new(RecommenderOptions::default());
    model.observe_pods(&[pod("web-1", &[("app", 0), ("sidecar", 0)])], T0);
    model.add_samples(&[sample("web-1", T0, &[("app", 1, MI), ("sidecar", 1, MI)])]);
    let recommendation = model.recommend("default", &all, &Spec::read(&json!({})));
    // The pod minimum (25m, 250Mi) is split over the two containers.
    assert_eq!(recommendation[0].target, amounts_of(12, 125 * MI));
    assert_eq!(recommendation[1].container_name, "sidecar");
    assert_eq!(recommendation[1].to_json()["target"], json!({ "cpu": "12m", "memory": "125Mi" }));
}

#[test]
fn vpa_without_samples_there_is_no_recommendation() {
    let mut model = Model::new(RecommenderOptions::default());
    model.observe_pods(&[pod("web-1", &[("app", 0)])], T0);
    assert!(model.recommend("default", &all, &Spec::read(&json!({}))).is_empty());
    assert_eq!(model.pod_count("default", &all), 1);
    assert_eq!(model.pod_count("other", &all), 0);
    // Samples of unknown pods, containers and init containers are dropped.
    let mut with_init = pod("web-2", &[("app", 0)]);
    with_init.init_containers = vec!["init".into()];
    model.observe_pods(&[pod("web-1", &[("app", 0)]), with_init], T0);
    let taken = model.add_samples(&[
        sample("ghost", T0, &[("app", 1, 1)]),
        sample("web-1", T0, &[("nope", 1, 1)]),
        sample("web-2", T0, &[("init", 1, 1)]),
    ]);
    assert_eq!(taken, 0);
    // A repeated snapshot time is not a new CPU sample.
    assert_eq!(model.add_samples(&[sample("web-1", T0, &[("app", 100, MI)])]), 2);
    assert_eq!(model.add_samples(&[sample("web-1", T0, &[("app", 100, MI)])]), 1);
}

#[test]
fn vpa_policies_cap_filter_and_turn_off_containers() {
    let mut model = Model::new(RecommenderOptions::default());
    model.observe_pods(&[pod("web-1", &[("app", 0), ("log", 0)])], T0);
    for minute in 0..10 {
        let at = T0 + f64::from(minute) * 60.0;
        model.add_samples(&[sample("web-1", at, &[("app", 2000, 300 * MI), ("log", 5, MI)])]);
    }
    let spec = Spec::read(&json!({
        "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
        "resourcePolicy": { "containerPolicies": [
            { "containerName": "app", "maxAllowed": { "cpu": "1" }, "minAllowed": { "memory": "1Gi" },
              "controlledResources": ["cpu", "memory"] },
            { "containerName": "*", "mode": "Off" },
        ] },
    }));
    let recommendation = model.recommend("default", &all, &spec);
    assert_eq!(recommendation.len(), 1, "the log container's mode is Off");
    let app = &recommendation[0];
    assert_eq!(app.target, amounts_of(1000, 1024 * MI));
    assert!(app.uncapped_target[&Resource::Cpu] > 2000);
    assert!(app.uncapped_target[&Resource::Memory] < 1024 * MI);
    assert_eq!(app.upper_bound[&Resource::Cpu], 1000);

    let cpu_only = Spec::read(&json!({ "resourcePolicy": { "containerPolicies": [
        { "containerName": "*", "controlledResources": ["cpu"] },
    ] } }));
    let recommendation = model.recommend("default", &all, &cpu_only);
    assert!(recommendation.iter().all(|r| r.target.keys().eq([&Resource::Cpu])));
    assert!(model.recommend("default", &|_| false, &cpu_only).is_empty());
}

#[test]
fn vpa_memory_keeps_one_peak_per_interval_and_oom_kills_bump_it() {
    let mut model = Model::new(RecommenderOptions::default());
    model.observe_pods(&[pod("web-1", &[("app", 200 * MI)])], T0);
    model.add_samples(&[sample("web-1", T0, &[("app", 10, 100 * MI)])]);
    model.add_samples(&[sample("web-1", T0 + 60.0, &[("app", 10, 300 * MI)])]);
    model.add_samples(&[sample("web-1", T0 + 120.0, &[("app", 10, 50 * MI)])]);
    let app = &model.recommend("default", &all, &Spec::read(&json!({})))[0];
    // The interval's peak is 300Mi: the 100Mi peak was replaced, 50Mi changes nothing.
    assert_eq!(app.target[&Resource::Memory], 380_258_472);
    assert_eq!(app.lower_bound[&Resource::Memory], 250 * MI);

    // An OOM kill adds max(request, peak) + max(100Mi, 20%): 300Mi + 100Mi.
    let mut oom = pod("web-1", &[("app", 200 * MI)]);
    oom.oom_kills = vec![("app".into(), T0 + 180.0)];
    model.observe_pods(&[oom.clone()], T0 + 180.0);
    let app = &model.recommend("default", &all, &Spec::read(&json!({})))[0];
    assert!(app.target[&Resource::Memory] > 400 * MI, "{:?}", app.target);
    let before = app.target.clone();
    model.observe_pods(&[oom], T0 + 240.0);
    assert_eq!(model.recommend("default", &all, &Spec::read(&json!({})))[0].target, before, "counted once");
}

#[test]
fn vpa_garbage_collection_keeps_what_pods_feed() {
    let mut model = steady_model(2);
    model.observe_pods(&[], T0 + 300.0);
    model.collect_garbage(T0 + 300.0);
    assert_eq!(model.recommend("default", &all, &Spec::read(&json!({}))).len(), 1, "history outlives the pod");
    model.collect_garbage(T0 + 9.0 * 86_400.0);
    assert!(model.recommend("default", &all, &Spec::read(&json!({}))).is_empty(), "eight days on it is gone");
}

#[test]
fn vpa_spec_is_read_leniently() {
    let spec = Spec::read(&json!({
        "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
        "updatePolicy": { "updateMode": "Initial", "minReplicas": 1 },
        "resourcePolicy": { "containerPolicies": [
            { "containerName": "app", "controlledValues": "RequestsOnly", "minAllowed": { "cpu": "garbage" } },
        ] },
        "recommenders": [{ "name": "custom" }],
    }));
    assert_eq!(spec.update_mode, UpdateMode::Initial);
    assert_eq!(spec.min_replicas, Some(1));
    assert_eq!(spec.recommenders, vec!["custom".to_owned()]);
    assert!(spec.policy_of("app").unwrap().min_allowed.is_empty());
    assert!(spec.policy_of("other").is_none());
    let garbage = Spec::read(&json!({ "updatePolicy": { "updateMode": 7 }, "resourcePolicy": "x" }));
    assert_eq!(garbage.update_mode, UpdateMode::Recreate);
    assert!(garbage.target_ref.is_none());
    assert!(UpdateMode::InPlaceOrRecreate.evicts() && !UpdateMode::Initial.evicts() && !UpdateMode::InPlace.evicts());
    assert!(serves("default", &[]) && !serves("default", &["custom".into()]) && serves("custom", &["custom".into()]));
    assert!(!serves("custom", &[]));
}

#[test]
fn vpa_quantities_are_written_as_kubernetes_writes_them() {
    assert_eq!(Resource::Cpu.quantity(587), "587m");
    assert_eq!(Resource::Cpu.quantity(2000), "2");
    assert_eq!(Resource::Memory.quantity(250 * MI), "250Mi");
    assert_eq!(Resource::Memory.quantity(1536 * 1024), "1536Ki");
    assert_eq!(Resource::Memory.quantity(380_258_472), "380258472");
    assert_eq!(Resource::Memory.quantity(1000), "1k");
    assert_eq!(Resource::Memory.quantity(-5), "0");
    assert_eq!(
        api::amounts(Some(&json!({ "cpu": "1.5", "memory": "1Gi", "gpu": "1", "bad": {} }))),
        amounts_of(1500, 1024 * MI)
    );
}

#[test]
fn vpa_conditions_follow_upstream() {
    let now = "2024-01-01T00:00:00Z";
    let none = conditions(&json!({}), None, 0, false, now);
    let types: Vec<&str> = none.iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["NoPodsMatched", "RecommendationProvided"]);
    assert_eq!(none[1]["status"], "False");
    assert_eq!(none[1]["reason"], "NoPodsMatched");
    assert_eq!(none[1]["message"], "No pods match this VPA object");

    let previous = json!({ "conditions": none });
    let later = conditions(&previous, None, 2, false, "2024-01-01T00:01:00Z");
    assert_eq!(later.len(), 1, "NoPodsMatched goes once pods match");
    assert_eq!(later[0]["lastTransitionTime"], now, "the status stayed False");
    assert!(later[0].get("reason").is_none());
    let provided = conditions(&json!({ "conditions": later }), None, 2, true, "2024-01-01T00:02:00Z");
    assert_eq!(provided[0]["status"], "True");
    assert_eq!(provided[0]["lastTransitionTime"], "2024-01-01T00:02:00Z");

    let missing = "Cannot read targetRef. Reason: Deployment default/web does not exist";
    let unsupported = conditions(
        &json!({ "conditions": [{ "type": "ConfigDeprecated", "status": "True" }] }),
        Some(missing),
        0,
        false,
        now,
    );
    let types: Vec<&str> = unsupported.iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ConfigUnsupported", "NoPodsMatched", "RecommendationProvided"]);
    assert_eq!(unsupported[0]["message"], missing);

    let written = status(&[], provided, Some(3));
    assert!(written.get("recommendation").is_none());
    assert_eq!(written["observedGeneration"], 3);
}

fn view(containers: &[(&str, Amounts, Amounts)]) -> PodView {
    PodView {
        namespace: "default".into(),
        name: "web-1".into(),
        containers: containers.iter().map(|(n, r, l)| ((*n).to_owned(), r.clone(), l.clone())).collect(),
        phase: "Running".into(),
        start_time: Some(T0),
        ..PodView::default()
    }
}

fn recommendation(container: &str, target: Amounts, lower: Amounts, upper: Amounts) -> ContainerRecommendation {
    ContainerRecommendation {
        container_name: container.into(),
        uncapped_target: target.clone(),
        target,
        lower_bound: lower,
        upper_bound: upper,
    }
}

#[test]
fn vpa_updater_priorities_are_upstreams() {
    let rec =
        vec![recommendation("app", amounts_of(500, 300 * MI), amounts_of(400, 250 * MI), amounts_of(1000, 600 * MI))];
    let config = UpdateConfig { min_change: 0.1, lifetime_threshold: 12.0 * 3600.0, evict_after_oom: 600.0 };
    let spec = Spec::read(&json!({}));

    // 100m is below the lower bound: out of range, growing, |100 - 500| / 100 + |300Mi - 300Mi| / 300Mi = 4.
    let small = view(&[("app", amounts_of(100, 300 * MI), Amounts::new())]);
    let priority = updater::priority(&small, &rec);
    assert!(priority.outside_recommended_range && priority.scale_up);
    assert!((priority.resource_diff - 4.0).abs() < 1e-9);
    assert!(updater::wants_update(&small, &rec, &spec, &config, T0 + 60.0).is_some());

    // Within bounds: only after 12 hours, and only if the change is at least 10%.
    let close = view(&[("app", amounts_of(450, 300 * MI), Amounts::new())]);
    assert!(updater::wants_update(&close, &rec, &spec, &config, T0 + 60.0).is_none());
    assert!(updater::wants_update(&close, &rec, &spec, &config, T0 + 13.0 * 3600.0).is_some());
    let closer = view(&[("app", amounts_of(490, 300 * MI), Amounts::new())]);
    assert!(updater::wants_update(&closer, &rec, &spec, &config, T0 + 13.0 * 3600.0).is_none());

    // A missing request is out of range; containers the admission controller did not observe are skipped.
    let bare = view(&[("app", Amounts::new(), Amounts::new())]);
    assert!(updater::priority(&bare, &rec).outside_recommended_range);
    let mut unobserved = small.clone();
    unobserved.observed = updater::parse_observed("sidecar");
    assert_eq!(updater::priority(&unobserved, &rec), updater::Priority::default());
    assert!(updater::parse_observed("App, x").is_none());

    // A quick OOM kill makes a pod within bounds evictable.
    let mut oom = close.clone();
    oom.oom_kills = vec![("app".into(), T0, T0 + 30.0)];
    assert!(updater::wants_update(&oom, &rec, &spec, &config, T0 + 60.0).is_some());

    // Growth first, then the larger change.
    let grow = updater::Priority { scale_up: true, resource_diff: 0.2, ..Default::default() };
    let shrink = updater::Priority { scale_up: false, resource_diff: 5.0, ..Default::default() };
    assert!(shrink.less(&grow) && !grow.less(&shrink));
}

#[test]
fn vpa_capping_for_a_pod_follows_policy_and_limits() {
    let rec = vec![
        recommendation("app", amounts_of(500, 300 * MI), amounts_of(400, 250 * MI), amounts_of(1000, 600 * MI)),
        recommendation("gone", amounts_of(1, 1), amounts_of(1, 1), amounts_of(1, 1)),
    ];
    let spec = Spec::read(&json!({ "resourcePolicy": { "containerPolicies": [
        { "containerName": "app", "controlledValues": "RequestsOnly", "maxAllowed": { "memory": "280Mi" } },
    ] } }));
    let containers = vec![("app".to_owned(), Amounts::new(), Amounts::from([(Resource::Cpu, 450)]))];
    let capped = updater::capped_for_pod(&rec, &spec, &containers);
    assert_eq!(capped.len(), 1, "containers the pod lacks are dropped");
    assert_eq!(capped[0].target, amounts_of(450, 280 * MI));
    assert_eq!(capped[0].upper_bound, amounts_of(450, 280 * MI));
    assert_eq!(capped[0].lower_bound, amounts_of(400, 250 * MI));
}

#[test]
fn vpa_eviction_budget_keeps_replicas_alive() {
    // Two replicas, tolerance 0.5: one may go at a time.
    let mut budget = GroupBudget::new(2, &["Running", "Running"], 2, 0.5);
    assert!(budget.can_evict("Running"));
    budget.evicted("Running");
    assert!(!budget.can_evict("Running"));
    assert!(budget.can_evict("Pending"), "pending pods may always go");
    // Below minReplicas nothing goes.
    assert!(!GroupBudget::new(1, &["Running"], 2, 0.5).can_evict("Running"));
    // Tolerance rounds down to 0: one may go when every replica runs.
    let mut single = GroupBudget::new(1, &["Running"], 1, 0.5);
    assert!(single.can_evict("Running"));
    single.evicted("Running");
    assert!(!single.can_evict("Running"));
    // Ten replicas, 0.5: five at once.
    let phases = ["Running"; 10];
    let mut ten = GroupBudget::new(10, &phases, 2, 0.5);
    let mut evicted = 0;
    while ten.can_evict("Running") {
        ten.evicted("Running");
        evicted += 1;
    }
    assert_eq!(evicted, 5);
}

fn new_pod(containers: Value) -> Value {
    json!({
        "metadata": {
            "generateName": "web-7d9f8-",
            "labels": { "app": "web", "pod-template-hash": "7d9f8" },
            "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8",
                                  "uid": "u", "controller": true }],
        },
        "spec": { "containers": containers },
    })
}

fn entry(spec: Value, recommendation: Vec<ContainerRecommendation>) -> Entry {
    let spec = Spec::read(&spec);
    Entry {
        vpa: "web-vpa".into(),
        target: spec.target_ref.clone().unwrap(),
        selector: parse_selector("app=web").unwrap(),
        spec,
        recommendation,
    }
}

#[test]
fn vpa_admission_sets_requests_and_proportional_limits() {
    let target = json!({ "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" } });
    let rec = vec![recommendation("app", amounts_of(300, 256 * MI), amounts_of(1, 1), amounts_of(1, 1))];
    let table = Recommendations::default();
    table.replace([("default".to_owned(), vec![entry(target.clone(), rec)])].into());
    let mut pod = new_pod(json!([
        { "name": "app", "image": "nginx",
          "resources": { "requests": { "cpu": "100m", "memory": "128Mi" }, "limits": { "memory": "256Mi" } } },
        { "name": "log", "image": "busybox" },
    ]));
    assert!(!table.admit("default", &mut pod.clone()), "nothing while the admission controller is not installed");
    table.set_installed(true);
    assert!(!table.admit("other", &mut pod.clone()));
    assert!(table.admit("default", &mut pod));
    let app = &pod["spec"]["containers"][0]["resources"];
    assert_eq!(app["requests"], json!({ "cpu": "300m", "memory": "256Mi" }));
    // The memory limit keeps its 2:1 ratio; there was no CPU limit to keep.
    assert_eq!(app["limits"], json!({ "memory": "512Mi" }));
    assert!(pod["spec"]["containers"][1].get("resources").is_none());
    assert_eq!(
        pod["metadata"]["annotations"]["vpaUpdates"],
        "Pod resources updated by web-vpa: container 0: cpu: limit NOT set since originalLimit is nil or 0, \
         cpu request, memory request, memory limit"
    );
    assert_eq!(pod["metadata"]["annotations"]["vpaObservedContainers"], "app, log");

    // Off never matches; neither does a pod of another controller.
    let off = json!({ "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
                      "updatePolicy": { "updateMode": "Off" } });
    let rec = vec![recommendation("app", amounts_of(300, 256 * MI), amounts_of(1, 1), amounts_of(1, 1))];
    table.replace([("default".to_owned(), vec![entry(off, rec.clone())])].into());
    assert!(!table.admit("default", &mut new_pod(json!([{ "name": "app" }]))));
    table.replace([("default".to_owned(), vec![entry(target, rec)])].into());
    let mut stranger = new_pod(json!([{ "name": "app" }]));
    stranger["metadata"]["ownerReferences"][0]["name"] = json!("api-7d9f8");
    assert!(!table.admit("default", &mut stranger));
    stranger["metadata"]["ownerReferences"] = json!([]);
    assert!(!table.admit("default", &mut stranger));
}

#[test]
fn vpa_admission_caps_requests_only_containers_and_survives_garbage() {
    let spec = json!({
        "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
        "resourcePolicy": { "containerPolicies": [{ "containerName": "*", "controlledValues": "RequestsOnly",
                                                    "minAllowed": { "memory": "300Mi" } }] },
    });
    let rec = vec![recommendation("app", amounts_of(800, 256 * MI), amounts_of(1, 1), amounts_of(1, 1))];
    let entry = entry(spec, rec);
    let mut pod = new_pod(json!([{ "name": "app", "resources": { "limits": { "cpu": "500m" } } }]));
    admission::patch_pod(&mut pod, &entry.vpa, &entry.spec, &entry.recommendation);
    let resources = &pod["spec"]["containers"][0]["resources"];
    assert_eq!(resources["requests"], json!({ "cpu": "500m", "memory": "300Mi" }));
    assert_eq!(resources["limits"], json!({ "cpu": "500m" }), "RequestsOnly leaves limits alone");
    assert_eq!(
        pod["metadata"]["annotations"]["vpaUpdates"],
        "Pod resources updated by web-vpa: container 0: cpu capped to container limit, memory capped to minAllowed, \
         cpu request, memory request"
    );

    for garbage in [
        json!({ "metadata": "x", "spec": { "containers": [{ "name": "app", "resources": "x" }] } }),
        json!({ "spec": { "containers": [{ "name": "app", "resources": { "requests": 5, "limits": [] } }] } }),
        json!({ "spec": { "containers": "x" } }),
        json!(null),
    ] {
        let mut garbage = garbage;
        admission::patch_pod(&mut garbage, "v", &entry.spec, &entry.recommendation);
        assert!(admission::matching(std::slice::from_ref(&entry), &garbage).is_none());
    }
}

#[test]
fn vpa_proportional_limits_are_upstreams() {
    use admission::proportional_limit as limit;
    assert_eq!(limit(Resource::Cpu, Some("200m"), Some("100m"), Some(300)), Ok("600m".to_owned()));
    assert_eq!(limit(Resource::Cpu, Some("1"), Some("1"), Some(300)), Ok("300m".to_owned()), "equal: the request");
    assert_eq!(limit(Resource::Cpu, Some("1"), None, Some(300)), Ok("300m".to_owned()));
    assert_eq!(limit(Resource::Memory, Some("1G"), Some("500M"), Some(300_000_000)), Ok("600M".to_owned()));
    assert_eq!(limit(Resource::Memory, Some("1Gi"), Some("512Mi"), Some(100 * MI)), Ok("200Mi".to_owned()));
    assert_eq!(
        limit(Resource::Cpu, None, Some("1"), Some(5)).unwrap_err(),
        "cpu: limit NOT set since originalLimit is nil or 0"
    );
    assert_eq!(
        limit(Resource::Memory, Some("1Gi"), Some("1Gi"), None).unwrap_err(),
        "memory: limit NOT set since recommendedRequest is nil or 0"
    );
}

#[test]
fn vpa_pods_of_a_target_are_recognised() {
    let deployment = api::TargetRef { api_version: "apps/v1".into(), kind: "Deployment".into(), name: "web".into() };
    let labels = BTreeMap::from([("pod-template-hash".to_owned(), "abc".to_owned())]);
    let owner = |kind: &str, name: &str| (kind.to_owned(), name.to_owned());
    assert!(admission::controlled_by_target(&owner("ReplicaSet", "web-abc"), &labels, &deployment));
    assert!(!admission::controlled_by_target(&owner("ReplicaSet", "web-xyz"), &labels, &deployment));
    let cron = api::TargetRef { api_version: "batch/v1".into(), kind: "CronJob".into(), name: "nightly".into() };
    assert!(admission::controlled_by_target(&owner("Job", "nightly-28000000"), &labels, &cron));
    assert!(!admission::controlled_by_target(&owner("Job", "nightly-x"), &labels, &cron));
    let set = api::TargetRef { api_version: "apps/v1".into(), kind: "StatefulSet".into(), name: "db".into() };
    assert!(admission::controlled_by_target(&owner("StatefulSet", "db"), &labels, &set));
}

#[test]
fn vpa_selectors_are_read_from_specs_and_scale_strings() {
    use kube::core::SelectorExt;
    let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let selector = parse_selector("app=web, tier in (a,b),!old,env!=prod").unwrap();
    assert!(selector.matches(&labels(&[("app", "web"), ("tier", "b")])));
    assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "c")])));
    assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "a"), ("old", "1")])));
    assert!(parse_selector("app in (a").is_none());
    assert!(parse_selector("a b").is_none());
    assert!(parse_selector("").unwrap().selects_all());

    let cron =
        json!({ "spec": { "jobTemplate": { "spec": { "template": { "metadata": { "labels": { "job": "x" } } } } } } });
    assert!(spec_selector("CronJob", &cron).unwrap().matches(&labels(&[("job", "x")])));
    let rc = json!({ "spec": { "selector": { "app": "old" } } });
    assert!(spec_selector("ReplicationController", &rc).unwrap().matches(&labels(&[("app", "old")])));
    let deployment = json!({ "spec": { "selector": { "matchLabels": { "app": "web" } } } });
    assert!(spec_selector("Deployment", &deployment).unwrap().matches(&labels(&[("app", "web")])));
    assert!(spec_selector("Deployment", &json!({ "spec": { "selector": "x" } })).is_err());
}

#[test]
fn vpa_flags_are_read_as_go_reads_them() {
    let args: Vec<String> = [
        "/recommender",
        "--recommender-interval=10s",
        "--v",
        "4",
        "--pod-recommendation-min-cpu-millicores",
        "50",
        "--target-cpu-percentile=2",
        "--memory-aggregation-interval-count=0",
        "-confidence-interval-cpu=1h",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (options, warnings) = flags::recommender(&args);
    assert_eq!(options.interval, std::time::Duration::from_secs(10));
    assert_eq!(options.pod_min_cpu_millicores, 50.0);
    assert_eq!(options.target_cpu_percentile, 0.9);
    assert_eq!(options.memory_aggregation_interval_count, 8);
    assert_eq!(options.confidence_interval_cpu, std::time::Duration::from_secs(3600));
    assert_eq!(warnings.len(), 2, "{warnings:?}");

    let args: Vec<String> = [
        "--updater-interval=5s",
        "--min-replicas=1",
        "--eviction-tolerance=0.25",
        "--use-admission-controller-status",
        "false",
        "--in-recommendation-bounds-eviction-lifetime-threshold=1m",
        "--updater-interval=-1s",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (options, warnings) = flags::updater(&args);
    assert_eq!(options.interval, std::time::Duration::from_secs(5));
    assert_eq!(options.min_replicas, 1);
    assert_eq!(options.eviction_tolerance, 0.25);
    assert!(options.use_admission_controller_status, "a lone boolean flag is true; `false` is a stray argument");
    assert_eq!(options.lifetime_threshold, std::time::Duration::from_secs(60));
    assert_eq!(warnings.len(), 1);
}

fn deployment(image: &str, available: i32, args: &[&str]) -> Arc<Deployment> {
    Arc::new(test_support::object(json!({
        "metadata": { "name": "vpa", "namespace": "kube-system" },
        "spec": { "selector": { "matchLabels": { "app": "vpa" } },
                  "template": { "metadata": { "labels": { "app": "vpa" } },
                                "spec": { "containers": [{ "name": "c", "image": image, "args": args }] } } },
        "status": { "availableReplicas": available },
    })))
}

#[test]
fn vpa_components_are_recognised_by_image_while_available() {
    let found = installed(&[
        deployment("registry.k8s.io/autoscaling/vpa-recommender:1.2.1", 1, &["--recommender-interval=10s"]),
        deployment("registry.k8s.io/autoscaling/vpa-updater:1.2.1", 0, &[]),
        deployment("registry.k8s.io/autoscaling/vpa-admission-controller:1.2.1", 1, &[]),
        deployment("nginx", 3, &[]),
    ]);
    assert_eq!(found.recommender, Some(vec!["--recommender-interval=10s".to_owned()]));
    assert_eq!(found.updater, None, "no available replica");
    assert!(found.admission && found.any());
    assert!(!installed(&[deployment("nginx", 1, &[])]).any());
}

#[test]
fn vpa_crds_have_upstreams_names_and_columns() {
    let crds = api::crds();
    assert_eq!(crds[0]["metadata"]["name"], "verticalpodautoscalers.autoscaling.k8s.io");
    assert_eq!(crds[0]["spec"]["names"]["shortNames"], json!(["vpa"]));
    let columns: Vec<&str> = crds[0]["spec"]["versions"][0]["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("priority").is_none())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Mode", "CPU", "Mem", "Provided", "Age"]);
    let modes = &crds[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["updatePolicy"]
        ["properties"]["updateMode"]["enum"];
    assert!(modes.as_array().unwrap().contains(&json!("Auto")));
    assert!(!modes.as_array().unwrap().contains(&json!("Sometimes")));
    assert_eq!(crds[1]["metadata"]["name"], "verticalpodautoscalercheckpoints.autoscaling.k8s.io");
}

#[test]
fn vpa_pod_metrics_and_pods_are_read() {
    let item = json!({
        "metadata": { "name": "web-1", "namespace": "default" },
        "timestamp": "2024-01-01T00:00:00Z", "window": "15s",
        "containers": [{ "name": "app", "usage": { "cpu": "250m", "memory": "100Mi" } },
                       { "name": "bad", "usage": { "cpu": "x" } }],
    });
    let sample = pod_sample(&item).unwrap();
    assert_eq!(sample.namespace, "default");
    assert_eq!(sample.at, 1_704_067_200.0);
    assert_eq!(sample.containers[0], ("app".to_owned(), Some(250), Some(100 * MI)));
    assert_eq!(sample.containers[1], ("bad".to_owned(), None, None));
    assert!(pod_sample(&json!({ "metadata": { "name": "x" } })).is_none());

    let pod: Pod = test_support::object(json!({
        "metadata": { "name": "web-1", "namespace": "default", "labels": { "app": "web" },
                      "annotations": { "vpaObservedContainers": "app" } },
        "spec": { "containers": [{ "name": "app", "resources": { "requests": { "memory": "64Mi", "cpu": "100m" } } }],
                  "initContainers": [{ "name": "init" }] },
        "status": { "phase": "Running", "startTime": "2024-01-01T00:00:00Z",
                    "containerStatuses": [{ "name": "app", "ready": true, "restartCount": 1, "image": "x", "imageID": "",
                        "lastState": { "terminated": { "exitCode": 137, "reason": "OOMKilled",
                            "startedAt": "2024-01-01T00:00:00Z", "finishedAt": "2024-01-01T00:00:10Z" } } }] },
    }));
    let info = pod_info(&pod);
    assert_eq!(info.containers, vec![("app".to_owned(), 64 * MI)]);
    assert_eq!(info.init_containers, vec!["init".to_owned()]);
    assert_eq!(info.oom_kills, vec![("app".to_owned(), 1_704_067_210.0)]);
    let view = PodView::of(&pod);
    assert_eq!(view.containers[0].1, amounts_of(100, 64 * MI));
    assert_eq!(view.start_time, Some(1_704_067_200.0));
    assert!(view.observed.unwrap().contains("app"));
}

/// Every pod of the cluster uses 500m and 100Mi.
struct Steady {
    pods: kube::Api<Pod>,
}

#[async_trait::async_trait]
impl ContainerMetrics for Steady {
    async fn pod_samples(&self) -> Result<Vec<PodSample>, String> {
        let pods = self.pods.list(&Default::default()).await.map_err(|e| e.to_string())?;
        let at = jiff::Timestamp::now().as_nanosecond() as f64 / 1e9;
        Ok(pods
            .items
            .iter()
            .map(|pod| PodSample {
                namespace: "default".into(),
                name: pod.metadata.name.clone().unwrap_or_default(),
                at,
                containers: vec![("app".into(), Some(500), Some(100 * MI))],
            })
            .collect())
    }
}

#[tokio::test]
async fn vpa_in_a_cluster_the_recommender_writes_status_and_admission_follows() {
    use kube::api::{Api, Patch, PatchParams, PostParams};
    let (planes, client) = test_support::cluster().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "kube-system");
    for (name, args) in
        [("vpa-recommender", vec!["--recommender-interval=200ms"]), ("vpa-admission-controller", vec![])]
    {
        let image = format!("registry.k8s.io/autoscaling/{name}:1.2.1");
        let mut deployment = Arc::unwrap_or_clone(deployment(&image, 0, &args));
        deployment.metadata.name = Some(name.to_owned());
        deployment.status = None;
        deployments.create(&PostParams::default(), &deployment).await.expect("create a component");
        let available = json!({ "status": { "availableReplicas": 1, "replicas": 1 } });
        deployments.patch_status(name, &PatchParams::default(), &Patch::Merge(&available)).await.expect("available");
    }
    let web: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let workload: Deployment = test_support::object(json!({
        "metadata": { "name": "web" },
        "spec": { "replicas": 1, "selector": { "matchLabels": { "app": "web" } },
                  "template": { "metadata": { "labels": { "app": "web" } },
                                "spec": { "containers": [{ "name": "app", "image": "nginx" }] } } },
    }));
    web.create(&PostParams::default(), &workload).await.expect("create the workload");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod: Pod = test_support::object(json!({
        "metadata": { "name": "web-abc-1", "labels": { "app": "web", "pod-template-hash": "abc" } },
        "spec": { "nodeName": "n1", "containers": [{ "name": "app", "image": "nginx" }] },
    }));
    pods.create(&PostParams::default(), &pod).await.expect("create a pod");
    let running = json!({ "status": { "phase": "Running" } });
    pods.patch_status("web-abc-1", &PatchParams::default(), &Patch::Merge(&running)).await.expect("running");

    let table = Arc::new(Recommendations::default());
    let metrics = Arc::new(Steady { pods: pods.clone() });
    let task = tokio::spawn(run_with(client.clone(), table.clone(), crate::Clock::system(), metrics));
    let vpas: Api<api::VerticalPodAutoscaler> = Api::namespaced(client.clone(), "default");
    let created = test_support::eventually("the VPA CRD", std::time::Duration::from_secs(10), || {
        let vpas = vpas.clone();
        async move {
            let vpa: api::VerticalPodAutoscaler = test_support::object(json!({
                "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
                "metadata": { "name": "web" },
                "spec": { "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
                          "updatePolicy": { "updateMode": "Initial" } },
            }));
            vpas.create(&PostParams::default(), &vpa).await.ok()
        }
    })
    .await;
    assert_eq!(created.parsed().update_mode, UpdateMode::Initial);
    let bad: api::VerticalPodAutoscaler = test_support::object(json!({
        "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": { "name": "bad" },
        "spec": { "targetRef": { "kind": "Deployment", "name": "web" }, "updatePolicy": { "updateMode": "Sometimes" } },
    }));
    let refused = vpas.create(&PostParams::default(), &bad).await.expect_err("an unknown mode is refused");
    assert!(status_message(&refused).contains("Unsupported value: \"Sometimes\""), "{refused}");

    let status = test_support::eventually("a recommendation", std::time::Duration::from_secs(20), || {
        let vpas = vpas.clone();
        async move {
            let vpa = vpas.get("web").await.ok()?;
            let target = vpa.status.pointer("/recommendation/containerRecommendations/0/target")?.clone();
            (target["cpu"] == "587m").then_some(vpa.status)
        }
    })
    .await;
    assert_eq!(condition_status(&status, "RecommendationProvided"), Some("True"));
    assert_eq!(status["recommendation"]["containerRecommendations"][0]["target"]["memory"], "250Mi");

    // The admission table now gives new pods of the Deployment the target.
    let mut new = new_pod(json!([{ "name": "app", "image": "nginx" }]));
    new["metadata"]["ownerReferences"][0]["name"] = json!("web-7d9f8");
    test_support::eventually("admission", std::time::Duration::from_secs(10), || {
        let mut candidate = new.clone();
        let admitted = table.admit("default", &mut candidate);
        async move { admitted.then_some(()) }
    })
    .await;
    table.admit("default", &mut new);
    assert_eq!(new["spec"]["containers"][0]["resources"]["requests"], json!({ "cpu": "587m", "memory": "250Mi" }));
    task.abort();
    planes.stop_all().await;
}

fn condition_status<'a>(status: &'a Value, kind: &str) -> Option<&'a str> {
    status.get("conditions")?.as_array()?.iter().find(|c| c["type"] == kind)?.get("status")?.as_str()
}
