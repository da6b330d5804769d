use serde_json::json;

use super::*;

const KUBECTL_TABLE: &str =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const METADATA_LIST: &str = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,\
                             application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

#[test]
fn the_first_answerable_media_range_wins() {
    assert_eq!(negotiate("", Verb::Get, None).unwrap(), Presentation::Object);
    assert_eq!(negotiate("application/json", Verb::List, None).unwrap(), Presentation::Object);
    assert_eq!(negotiate("*/*", Verb::Watch, None).unwrap(), Presentation::Object);
    assert_eq!(
        negotiate(KUBECTL_TABLE, Verb::List, Some("Object")).unwrap(),
        Presentation::Table(IncludeObject::Object)
    );
    assert_eq!(negotiate(METADATA_LIST, Verb::List, None).unwrap(), Presentation::Metadata("v1"));
    let single = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1";
    assert_eq!(negotiate(single, Verb::Get, None).unwrap(), Presentation::Metadata("v1beta1"));
    assert_eq!(negotiate(single, Verb::Watch, None).unwrap(), Presentation::Metadata("v1beta1"));
}

#[test]
fn a_form_that_does_not_fit_the_verb_falls_through_or_is_refused() {
    // A list asked of a single object's form falls back to the plain media range after it.
    assert_eq!(negotiate(METADATA_LIST, Verb::Get, None).unwrap(), Presentation::Object);
    let only_list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    assert_eq!(negotiate(only_list, Verb::Get, None).unwrap_err().code, 406);
    for refused in [
        "application/json;as=Widget;g=meta.k8s.io;v=v1",
        "application/json;as=Table;g=example.com;v=v1",
        "application/json;as=Table;g=meta.k8s.io;v=v9",
        "text/html",
        "application/json;as=Table;g=meta.k8s.io",
    ] {
        let error = negotiate(refused, Verb::List, None).unwrap_err();
        assert_eq!((error.code, error.reason), (406, "NotAcceptable"), "{refused}");
    }
}

#[test]
fn metadata_keeps_only_metadata() {
    let list = json!({ "kind": "PodList", "apiVersion": "v1", "metadata": { "resourceVersion": "7", "continue": "x" },
                       "items": [{ "kind": "Pod", "apiVersion": "v1", "metadata": { "name": "a", "uid": "u" },
                                   "spec": { "containers": [] } }] });
    assert_eq!(
        partial_list(&list, "v1"),
        json!({ "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                "metadata": { "resourceVersion": "7", "continue": "x" },
                "items": [{ "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                            "metadata": { "name": "a", "uid": "u" } }] })
    );
    assert_eq!(partial(&json!(null), "v1")["metadata"], json!({}));
}
