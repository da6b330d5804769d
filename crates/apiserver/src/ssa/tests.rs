use serde_json::json;

use super::*;

fn path(elements: &[&str]) -> Path {
    elements.iter().map(|text| Element::decode(text).expect("a path element")).collect()
}

#[test]
fn the_indexed_lookup_answers_as_the_search_does() {
    let pod = json!({ "spec": {
        "containers": [
            { "name": "a", "image": "nginx", "ports": [
                { "containerPort": 80, "protocol": "TCP" }, { "containerPort": 80, "protocol": "UDP" }] },
            { "name": "b", "image": "busybox" },
            { "name": "a", "image": "shadowed" },
            { "image": "nameless" },
        ],
        "finalizers": ["x", "y"],
    } });
    let paths = [
        path(&["f:spec", "f:containers", r#"k:{"name":"a"}"#, "f:image"]),
        path(&["f:spec", "f:containers", r#"k:{"name":"b"}"#]),
        path(&["f:spec", "f:containers", r#"k:{"name":"c"}"#, "f:image"]),
        path(&["f:spec", "f:containers", r#"k:{"name":"a"}"#, "f:ports", r#"k:{"containerPort":80,"protocol":"UDP"}"#]),
        path(&["f:spec", "f:containers", r#"k:{"name":"a"}"#, "f:ports", r#"k:{"containerPort":81,"protocol":"UDP"}"#]),
        path(&["f:spec", "f:finalizers", r#"v:"y""#]),
        path(&["f:spec", "f:nothing"]),
        path(&["f:spec", "f:containers", r#"k:not json"#]),
        path(&["f:spec", r#"k:{"name":"a"}"#]),
    ];
    let mut lookup = Lookup::new(&pod);
    for path in &paths {
        assert_eq!(lookup.value_at(path), value_at(&pod, path), "{path:?}");
    }
    // The first item with a key wins, as the search's does.
    assert_eq!(lookup.value_at(&paths[0]), Some(&json!("nginx")));
}
