use serde_json::{Value, json};

use super::*;

fn v2_autoscaler() -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": "web", "namespace": "default", "annotations": { "team": "a" } },
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                { "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 50 } } },
                { "type": "Resource", "resource": { "name": "memory", "target": { "type": "AverageValue", "averageValue": "500Mi" } } },
                { "type": "Pods", "pods": { "metric": { "name": "rps" }, "target": { "type": "AverageValue", "averageValue": "10" } } },
                { "type": "External", "external": {
                    "metric": { "name": "queue", "selector": { "matchLabels": { "q": "jobs" } } },
                    "target": { "type": "Value", "value": "30" } } },
                { "type": "Object", "object": {
                    "describedObject": { "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "main" },
                    "metric": { "name": "hits" },
                    "target": { "type": "Value", "value": "2k" } } },
                { "type": "ContainerResource", "containerResource": {
                    "name": "cpu", "container": "app", "target": { "type": "Utilization", "averageUtilization": 60 } } },
            ],
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "selectPolicy": "Min",
                    "policies": [{ "type": "Percent", "value": 10, "periodSeconds": 60 }],
                },
            },
        },
        "status": {
            "observedGeneration": 3,
            "lastScaleTime": "2026-01-01T00:00:00Z",
            "currentReplicas": 4,
            "desiredReplicas": 5,
            "currentMetrics": [
                { "type": "Resource", "resource": { "name": "cpu", "current": { "averageUtilization": 72, "averageValue": "144m" } } },
                { "type": "Pods", "pods": { "metric": { "name": "rps" }, "current": { "averageValue": "12" } } },
            ],
            "conditions": [
                { "type": "AbleToScale", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                  "reason": "ReadyForNewScale", "message": "recommended size matches current size" },
                { "type": "ScalingActive", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                  "reason": "ValidMetricFound", "message": "the HPA was able to compute the replica count" },
            ],
        },
    })
}

fn annotation(object: &Value, name: &str) -> Value {
    let text = object["metadata"]["annotations"][name].as_str().unwrap_or_else(|| panic!("annotation {name}"));
    serde_json::from_str(text).expect("JSON annotation")
}

#[test]
fn v2_to_v1_keeps_the_cpu_target_in_place_and_everything_else_in_annotations() {
    let mut object = v2_autoscaler();
    convert(&mut object, V1);
    assert_eq!(object["apiVersion"], "autoscaling/v1");
    assert_eq!(object["spec"]["targetCPUUtilizationPercentage"], 50);
    assert_eq!(object["spec"]["minReplicas"], 2);
    assert_eq!(object["spec"]["maxReplicas"], 10);
    assert_eq!(object["spec"]["scaleTargetRef"]["name"], "web");
    assert!(object["spec"].get("metrics").is_none() && object["spec"].get("behavior").is_none());
    assert_eq!(object["metadata"]["annotations"]["team"], "a");

    let metrics = annotation(&object, METRICS);
    assert_eq!(metrics.as_array().map(Vec::len), Some(5), "every metric but the CPU utilization: {metrics}");
    assert_eq!(
        metrics[0],
        json!({ "type": "Resource", "resource": { "name": "memory", "targetAverageValue": "500Mi" } })
    );
    assert_eq!(metrics[1], json!({ "type": "Pods", "pods": { "metricName": "rps", "targetAverageValue": "10" } }));
    assert_eq!(
        metrics[2],
        json!({ "type": "External", "external": {
            "metricName": "queue", "metricSelector": { "matchLabels": { "q": "jobs" } }, "targetValue": "30" } })
    );
    assert_eq!(metrics[3]["object"]["target"]["kind"], "Ingress");
    assert_eq!(metrics[3]["object"]["metricName"], "hits");
    assert_eq!(metrics[3]["object"]["targetValue"], "2k");
    assert_eq!(
        metrics[4],
        json!({ "type": "ContainerResource", "containerResource": {
            "name": "cpu", "targetAverageUtilization": 60, "container": "app" } })
    );

    let behavior = annotation(&object, BEHAVIOR);
    assert_eq!(behavior["ScaleDown"]["StabilizationWindowSeconds"], 300);
    assert_eq!(behavior["ScaleDown"]["SelectPolicy"], "Min");
    assert_eq!(behavior["ScaleDown"]["Policies"][0], json!({ "Type": "Percent", "Value": 10, "PeriodSeconds": 60 }));

    assert_eq!(object["status"]["currentCPUUtilizationPercentage"], 72);
    assert_eq!(object["status"]["currentReplicas"], 4);
    assert_eq!(object["status"]["desiredReplicas"], 5);
    assert_eq!(object["status"]["observedGeneration"], 3);
    assert_eq!(object["status"]["lastScaleTime"], "2026-01-01T00:00:00Z");
    assert!(object["status"].get("conditions").is_none() && object["status"].get("currentMetrics").is_none());
    let current = annotation(&object, CURRENT_METRICS);
    assert_eq!(
        current[0],
        json!({ "type": "Resource", "resource": {
            "name": "cpu", "currentAverageUtilization": 72, "currentAverageValue": "144m" } })
    );
    assert_eq!(current[1], json!({ "type": "Pods", "pods": { "metricName": "rps", "currentAverageValue": "12" } }));
    let conditions = annotation(&object, CONDITIONS);
    assert_eq!(conditions, v2_autoscaler()["status"]["conditions"]);
}

#[test]
fn v2_to_v1_to_v2_keeps_metrics_behavior_status_and_conditions() {
    let mut original = v2_autoscaler();
    let mut object = original.clone();
    convert(&mut object, V1);
    convert(&mut object, V2);
    // As stored: with v2's defaults.
    k8s_model::default_object(&mut original);
    assert_eq!(original["spec"]["behavior"]["scaleUp"]["selectPolicy"], "Max");
    assert_eq!(object["apiVersion"], "autoscaling/v2");
    // The annotations are consumed; the client's own stay.
    assert_eq!(object["metadata"]["annotations"], json!({ "team": "a" }));
    // v1 puts the CPU utilization target after the others, as upstream does.
    let metrics = object["spec"]["metrics"].as_array().expect("metrics");
    let expected = original["spec"]["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), expected.len());
    assert_eq!(metrics[..5], expected[1..]);
    assert_eq!(metrics[5], expected[0]);
    assert_eq!(object["spec"]["behavior"], original["spec"]["behavior"]);
    assert_eq!(object["status"], original["status"]);
    assert_eq!(object["spec"]["scaleTargetRef"], original["spec"]["scaleTargetRef"]);
}

#[test]
fn a_v1_autoscaler_with_a_cpu_target_is_a_cpu_utilization_metric() {
    let mut object = json!({
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": "web" },
        "spec": { "scaleTargetRef": { "kind": "Deployment", "name": "web" }, "maxReplicas": 3,
                  "targetCPUUtilizationPercentage": 65 },
        "status": { "currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 90 },
    });
    convert(&mut object, V2);
    assert_eq!(object["apiVersion"], "autoscaling/v2");
    assert_eq!(
        object["spec"]["metrics"],
        json!([{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 65 } } }])
    );
    assert_eq!(object["spec"]["minReplicas"], 1, "v1's default");
    assert!(object["spec"].get("targetCPUUtilizationPercentage").is_none());
    assert!(object["metadata"].get("annotations").is_none());
    assert_eq!(
        object["status"],
        json!({ "currentReplicas": 2, "desiredReplicas": 3, "currentMetrics": [
            { "type": "Resource", "resource": { "name": "cpu", "current": { "averageUtilization": 90 } } }] })
    );
    // And back.
    convert(&mut object, V1);
    assert_eq!(object["spec"]["targetCPUUtilizationPercentage"], 65);
    assert_eq!(object["status"]["currentCPUUtilizationPercentage"], 90);
    assert!(object["metadata"]["annotations"].get(METRICS).is_none());
}

#[test]
fn a_v1_autoscaler_without_a_target_gets_the_default_cpu_utilization() {
    let mut object = json!({
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": "web" },
        "spec": { "scaleTargetRef": { "kind": "Deployment", "name": "web" }, "minReplicas": 2, "maxReplicas": 3 },
    });
    convert(&mut object, V2);
    assert_eq!(object["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 80);
    assert_eq!(object["spec"]["metrics"].as_array().map(Vec::len), Some(1));
    assert_eq!(object["spec"]["minReplicas"], 2);
    assert_eq!(object["status"], json!({ "desiredReplicas": 0 }));
}

#[test]
fn garbage_annotations_are_ignored() {
    let oversized = format!("[{}]", vec!["{\"type\":\"Pods\"}"; MAX_ANNOTATION_BYTES / 8].join(","));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for garbage in [
        json!("not JSON"),
        json!("{\"type\":\"Pods\"}"),
        json!("[1, \"x\", null]"),
        json!(42),
        json!(oversized),
        json!(deep),
    ] {
        let mut object = json!({
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": { "name": "web", "annotations": {
                METRICS: garbage, CURRENT_METRICS: garbage, BEHAVIOR: garbage, CONDITIONS: garbage } },
            "spec": { "maxReplicas": 3, "targetCPUUtilizationPercentage": 70 },
            "status": { "currentReplicas": 1, "desiredReplicas": 1, "currentCPUUtilizationPercentage": 10 },
        });
        convert(&mut object, V2);
        assert_eq!(object["spec"]["metrics"].as_array().map(Vec::len), Some(1), "{garbage}");
        assert_eq!(object["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 70);
        assert!(object["spec"].get("behavior").is_none());
        assert_eq!(object["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"], 10);
        assert!(object["status"].get("conditions").is_none());
        assert!(object["metadata"].get("annotations").is_none(), "the annotations are consumed");
    }
}

#[test]
fn behavior_from_the_annotation_is_read_whatever_the_case_of_its_names() {
    let behavior = json!({ "scaleUp": { "stabilizationWindowSeconds": 10, "policies": [{ "TYPE": "Pods", "value": 2, "periodSeconds": 15 }] }, "ScaleDown": null, "Unknown": 1 });
    let mut object = json!({
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": "web", "annotations": { BEHAVIOR: behavior.to_string() } },
        "spec": { "maxReplicas": 3 },
    });
    convert(&mut object, V2);
    assert_eq!(
        object["spec"]["behavior"]["scaleDown"]["selectPolicy"], "Max",
        "v2's defaults fill in the other direction"
    );
    assert_eq!(
        object["spec"]["behavior"]["scaleUp"],
        json!({ "stabilizationWindowSeconds": 10, "selectPolicy": "Max",
                "policies": [{ "type": "Pods", "value": 2, "periodSeconds": 15 }] })
    );
}

#[test]
fn a_v2_write_drops_round_trip_annotations_and_other_versions_are_left_alone() {
    let mut object = v2_autoscaler();
    object["metadata"]["annotations"][CONDITIONS] = json!("[]");
    object["metadata"]["annotations"][METRICS] = json!("[]");
    let mut expected = v2_autoscaler();
    convert(&mut object, V2);
    assert_eq!(object, expected);

    expected["apiVersion"] = json!("autoscaling/v2beta2");
    let mut other = expected.clone();
    convert(&mut other, V1);
    assert_eq!(other, expected);
    let mut not_an_object = json!("text");
    convert(&mut not_an_object, V1);
    assert_eq!(not_an_object, json!("text"));
}

#[test]
fn conversions_of_odd_shapes_do_not_panic() {
    for spec in [json!(null), json!(3), json!({ "metrics": "x" }), json!({ "metrics": [1, null, { "type": 2 }] })] {
        let mut object = json!({ "apiVersion": "autoscaling/v2", "metadata": 5, "spec": spec, "status": [] });
        convert(&mut object, V1);
        assert_eq!(object["apiVersion"], "autoscaling/v1");
        convert(&mut object, V2);
        assert_eq!(object["apiVersion"], "autoscaling/v2");
        assert!(object["spec"]["metrics"].is_array());
    }
}
