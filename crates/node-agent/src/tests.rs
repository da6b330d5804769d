use serde_json::json;

use super::*;

fn check_usage(annotations: serde_json::Value, expect: Usage) {
    let pod: Pod = serde_json::from_value(json!({ "metadata": { "name": "p", "annotations": annotations } })).unwrap();
    assert_eq!(usage(&pod), expect, "{annotations}");
}

#[test]
fn usage_comes_from_the_annotations() {
    check_usage(json!({}), Usage::default());
    check_usage(
        json!({ CPU_USAGE: "250m", MEMORY_USAGE: "128Mi" }),
        Usage { cpu_millis: Some(250), memory_bytes: Some(128 << 20) },
    );
    check_usage(json!({ CPU_USAGE: "1.5" }), Usage { cpu_millis: Some(1500), memory_bytes: None });
    check_usage(json!({ CPU_USAGE: "lots", MEMORY_USAGE: "-1Gi" }), Usage::default());
    let bare: Pod = serde_json::from_value(json!({ "metadata": { "name": "p" } })).unwrap();
    assert_eq!(usage(&bare), Usage::default());
}
