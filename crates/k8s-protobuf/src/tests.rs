//! Tests of the codec: objects built with k8s-pb's prost structs, encoded by prost as a Go client would send
//! them, must decode to the JSON kube-apiserver writes; that JSON must encode back to the same message; and no
//! garbage may make the decoder panic.

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{RawExtension, TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message as _;
use serde_json::{Value, json};

use crate::{DecodeError, EncodeError, decode, encode};

/// Wraps a message's bytes in the `k8s\0` + `runtime.Unknown` envelope, as client-go does.
fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta { api_version: Some(api_version.to_owned()), kind: Some(kind.to_owned()) }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = b"k8s\0".to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

/// The object's message inside an envelope written by [`encode`].
fn raw_of(body: &[u8]) -> Vec<u8> {
    let unknown = Unknown::decode(&body[4..]).expect("encode writes a valid envelope");
    unknown.raw.unwrap_or_default()
}

/// Decodes `message` sent as `api_version`/`kind`, compares with `expect`, and checks that encoding the JSON
/// gives back the same message. Returns the decoded JSON.
fn check_kind<M>(api_version: &str, kind: &str, message: &M, expect: Value) -> Value
where
    M: prost::Message + Default + PartialEq + std::fmt::Debug,
{
    let body = envelope(api_version, kind, message.encode_to_vec());
    let actual = decode(&body).unwrap_or_else(|error| panic!("decoding {kind}: {error}"));
    assert_eq!(
        actual,
        expect,
        "decoded JSON differs\nactual: {}\nexpect: {}",
        serde_json::to_string_pretty(&actual).unwrap_or_default(),
        serde_json::to_string_pretty(&expect).unwrap_or_default()
    );
    let encoded = encode(&actual).unwrap_or_else(|error| panic!("encoding {kind}: {error}"));
    let round_trip = M::decode(&raw_of(&encoded)[..]).expect("encode writes a valid message");
    assert_eq!(&round_trip, message, "encoding the JSON gives a different message");
    actual
}

/// [`check_kind`] for a k8s-pb resource, whose apiVersion and kind the struct knows.
fn check<M>(message: &M, expect: Value) -> Value
where
    M: prost::Message + Default + PartialEq + std::fmt::Debug + k8s_pb::Resource,
{
    check_kind(M::API_VERSION, M::KIND, message, expect)
}

/// Asserts that k8s-openapi's typed structs accept the JSON, as a check on its shape.
fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("k8s-openapi refuses the JSON: {error}"))
}

fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs.iter().map(|(key, value)| ((*key).to_owned(), Quantity { string: s(value) })).collect()
}

fn port_number(port: i32) -> Option<IntOrString> {
    Some(IntOrString { r#type: Some(0), int_val: Some(port), str_val: None })
}

fn port_name(name: &str) -> Option<IntOrString> {
    Some(IntOrString { r#type: Some(1), int_val: None, str_val: s(name) })
}

fn named(name: &str, namespace: &str) -> Option<meta::ObjectMeta> {
    Some(meta::ObjectMeta { name: s(name), namespace: s(namespace), ..Default::default() })
}

#[test]
fn config_map_with_data_and_binary_data() {
    let config_map = core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            name: s("app-config"),
            namespace: s("default"),
            labels: map(&[("app", "web")]),
            annotations: map(&[("note", "a=b")]),
            ..Default::default()
        }),
        data: map(&[("config.yaml", "port: 8080\n"), ("empty", "")]),
        binary_data: [("blob".to_owned(), vec![0u8, 159, 146, 150, 255])].into_iter().collect(),
        immutable: Some(false),
    };
    let actual = check(
        &config_map,
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-config", "namespace": "default", "labels": {"app": "web"}, "annotations": {"note": "a=b"}},
            "data": {"config.yaml": "port: 8080\n", "empty": ""},
            "binaryData": {"blob": "AJ+Slv8="},
            "immutable": false
        }),
    );
    typed::<k8s_openapi::api::core::v1::ConfigMap>(&actual);
}

#[test]
fn secret_with_bytes_and_type() {
    let secret = core::Secret {
        metadata: named("db", "prod"),
        immutable: None,
        data: [("password".to_owned(), b"hunter2".to_vec()), ("empty".to_owned(), Vec::new())].into_iter().collect(),
        string_data: map(&[("user", "admin")]),
        r#type: s("Opaque"),
    };
    let actual = check(
        &secret,
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "prod"},
            "data": {"password": "aHVudGVyMg==", "empty": ""},
            "stringData": {"user": "admin"},
            "type": "Opaque"
        }),
    );
    typed::<k8s_openapi::api::core::v1::Secret>(&actual);
}

#[test]
fn helm_release_secret_with_labels() {
    let release = b"H4sIAAAAAAAC/6tWyk5NzLFSKkktLlGyUlAqS8wpTVWqBQCSMHT0FgAAAA==".to_vec();
    let secret = core::Secret {
        metadata: Some(meta::ObjectMeta {
            name: s("sh.helm.release.v1.web.v1"),
            namespace: s("default"),
            labels: map(&[("name", "web"), ("owner", "helm"), ("status", "deployed"), ("version", "1")]),
            ..Default::default()
        }),
        data: [("release".to_owned(), release)].into_iter().collect(),
        r#type: s("helm.sh/release.v1"),
        ..Default::default()
    };
    check(
        &secret,
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "sh.helm.release.v1.web.v1",
                "namespace": "default",
                "labels": {"name": "web", "owner": "helm", "status": "deployed", "version": "1"}
            },
            "data": {"release": "SDRzSUFBQUFBQUFDLzZ0V3lrNU56TEZTS2trdExsR3lVbEFxUzh3cFRWV3FCUUNTTUhUMEZnQUFBQT09"},
            "type": "helm.sh/release.v1"
        }),
    );
}

#[test]
fn namespace() {
    let namespace = core::Namespace {
        metadata: Some(meta::ObjectMeta { name: s("team-a"), ..Default::default() }),
        spec: Some(core::NamespaceSpec { finalizers: vec!["kubernetes".to_owned()] }),
        status: Some(core::NamespaceStatus { phase: s("Active"), conditions: Vec::new() }),
    };
    let actual = check(
        &namespace,
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "team-a"},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        }),
    );
    typed::<k8s_openapi::api::core::v1::Namespace>(&actual);
}

#[test]
fn deployment_with_containers_probes_env_and_volumes() {
    let container = core::Container {
        name: s("web"),
        image: s("nginx:1.27"),
        command: vec!["nginx".to_owned()],
        args: vec!["-g".to_owned(), "daemon off;".to_owned()],
        ports: vec![core::ContainerPort {
            name: s("http"),
            container_port: Some(80),
            protocol: s("TCP"),
            ..Default::default()
        }],
        env: vec![
            core::EnvVar { name: s("MODE"), value: s("prod"), value_from: None },
            core::EnvVar {
                name: s("TOKEN"),
                value: None,
                value_from: Some(core::EnvVarSource {
                    secret_key_ref: Some(core::SecretKeySelector {
                        local_object_reference: Some(core::LocalObjectReference { name: s("api") }),
                        key: s("token"),
                        optional: Some(false),
                    }),
                    ..Default::default()
                }),
            },
        ],
        resources: Some(core::ResourceRequirements {
            limits: quantities(&[("cpu", "500m"), ("memory", "128Mi")]),
            requests: quantities(&[("cpu", "250m"), ("memory", "64Mi")]),
            claims: Vec::new(),
        }),
        volume_mounts: vec![core::VolumeMount {
            name: s("config"),
            mount_path: s("/etc/nginx"),
            read_only: Some(true),
            ..Default::default()
        }],
        liveness_probe: Some(core::Probe {
            handler: Some(core::ProbeHandler {
                http_get: Some(core::HttpGetAction {
                    path: s("/healthz"),
                    port: port_name("http"),
                    scheme: s("HTTP"),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            initial_delay_seconds: Some(5),
            period_seconds: Some(10),
            ..Default::default()
        }),
        readiness_probe: Some(core::Probe {
            handler: Some(core::ProbeHandler {
                tcp_socket: Some(core::TcpSocketAction { port: port_number(80), host: None }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        image_pull_policy: s("IfNotPresent"),
        ..Default::default()
    };
    let deployment = apps::Deployment {
        metadata: Some(meta::ObjectMeta { name: s("web"), labels: map(&[("app", "web")]), ..Default::default() }),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0),
            selector: Some(meta::LabelSelector { match_labels: map(&[("app", "web")]), match_expressions: Vec::new() }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta { labels: map(&[("app", "web")]), ..Default::default() }),
                spec: Some(core::PodSpec {
                    containers: vec![container],
                    volumes: vec![
                        core::Volume {
                            name: s("config"),
                            volume_source: Some(core::VolumeSource {
                                config_map: Some(core::ConfigMapVolumeSource {
                                    local_object_reference: Some(core::LocalObjectReference { name: s("nginx-conf") }),
                                    default_mode: Some(0o644),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            }),
                        },
                        core::Volume {
                            name: s("scratch"),
                            volume_source: Some(core::VolumeSource {
                                empty_dir: Some(core::EmptyDirVolumeSource {
                                    medium: s("Memory"),
                                    size_limit: Some(Quantity { string: s("1Gi") }),
                                }),
                                ..Default::default()
                            }),
                        },
                    ],
                    termination_grace_period_seconds: Some(30),
                    ..Default::default()
                }),
            }),
            strategy: Some(apps::DeploymentStrategy {
                r#type: s("RollingUpdate"),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_unavailable: port_number(0),
                    max_surge: port_name("25%"),
                }),
            }),
            revision_history_limit: Some(10),
            ..Default::default()
        }),
        status: None,
    };
    let actual = check(
        &deployment,
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web",
                            "image": "nginx:1.27",
                            "command": ["nginx"],
                            "args": ["-g", "daemon off;"],
                            "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                            "env": [
                                {"name": "MODE", "value": "prod"},
                                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token", "optional": false}}}
                            ],
                            "resources": {
                                "limits": {"cpu": "500m", "memory": "128Mi"},
                                "requests": {"cpu": "250m", "memory": "64Mi"}
                            },
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/nginx", "readOnly": true}],
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                                "initialDelaySeconds": 5,
                                "periodSeconds": 10
                            },
                            "readinessProbe": {"tcpSocket": {"port": 80}},
                            "imagePullPolicy": "IfNotPresent"
                        }],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "nginx-conf", "defaultMode": 420}},
                            {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}
                        ],
                        "terminationGracePeriodSeconds": 30
                    }
                },
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                "revisionHistoryLimit": 10
            }
        }),
    );
    typed::<k8s_openapi::api::apps::v1::Deployment>(&actual);
}

#[test]
fn service_with_int_or_string_target_ports() {
    let service = core::Service {
        metadata: named("web", "default"),
        spec: Some(core::ServiceSpec {
            ports: vec![
                core::ServicePort {
                    name: s("http"),
                    protocol: s("TCP"),
                    port: Some(80),
                    target_port: port_number(8080),
                    ..Default::default()
                },
                core::ServicePort {
                    name: s("admin"),
                    port: Some(9000),
                    target_port: port_name("admin"),
                    node_port: Some(30900),
                    ..Default::default()
                },
            ],
            selector: map(&[("app", "web")]),
            cluster_ip: s("10.96.0.10"),
            cluster_ips: vec!["10.96.0.10".to_owned()],
            r#type: s("NodePort"),
            ip_families: vec!["IPv4".to_owned()],
            allocate_load_balancer_node_ports: Some(false),
            ..Default::default()
        }),
        status: None,
    };
    let actual = check(
        &service,
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "ports": [
                    {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                    {"name": "admin", "port": 9000, "targetPort": "admin", "nodePort": 30900}
                ],
                "selector": {"app": "web"},
                "clusterIP": "10.96.0.10",
                "clusterIPs": ["10.96.0.10"],
                "type": "NodePort",
                "ipFamilies": ["IPv4"],
                "allocateLoadBalancerNodePorts": false
            }
        }),
    );
    typed::<k8s_openapi::api::core::v1::Service>(&actual);
}

#[test]
fn pod_with_timestamps_owner_references_and_managed_fields() {
    // 2026-11-27T22:45:00Z.
    let created = meta::Time { seconds: Some(1_795_819_500), nanos: Some(123_000_000) };
    let pod = core::Pod {
        metadata: Some(meta::ObjectMeta {
            name: s("web-7d4b9-x2x"),
            generate_name: s("web-7d4b9-"),
            namespace: s("default"),
            uid: s("6f1e0b5c-2a8f-4e0e-9d57-0d9a1a4c6b11"),
            resource_version: s("4711"),
            generation: Some(1),
            creation_timestamp: Some(created),
            deletion_timestamp: Some(meta::Time { seconds: Some(1_795_819_530), nanos: None }),
            deletion_grace_period_seconds: Some(30),
            owner_references: vec![meta::OwnerReference {
                api_version: s("apps/v1"),
                kind: s("ReplicaSet"),
                name: s("web-7d4b9"),
                uid: s("0c7d0a52-9c3b-4d0f-8f0e-3f0a6a2b7c44"),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }],
            finalizers: vec!["example.com/guard".to_owned()],
            managed_fields: vec![meta::ManagedFieldsEntry {
                manager: s("kubectl-run"),
                operation: s("Update"),
                api_version: s("v1"),
                time: Some(meta::Time { seconds: Some(1_795_819_500), nanos: None }),
                fields_type: s("FieldsV1"),
                fields_v1: Some(meta::FieldsV1 {
                    raw: Some(br#"{"f:metadata":{"f:labels":{".":{},"f:run":{}}}}"#.to_vec()),
                }),
                subresource: None,
            }],
            ..Default::default()
        }),
        spec: Some(core::PodSpec {
            containers: vec![core::Container { name: s("web"), image: s("nginx"), ..Default::default() }],
            node_name: s("ip-10-0-1-17.ec2.internal"),
            ..Default::default()
        }),
        status: Some(core::PodStatus {
            phase: s("Running"),
            conditions: vec![core::PodCondition {
                r#type: s("Ready"),
                status: s("True"),
                last_transition_time: Some(meta::Time { seconds: Some(1_795_819_510), nanos: None }),
                ..Default::default()
            }],
            start_time: Some(meta::Time { seconds: Some(1_795_819_501), nanos: None }),
            ..Default::default()
        }),
    };
    let body = envelope("v1", "Pod", pod.encode_to_vec());
    let actual = decode(&body).expect("the pod decodes");
    let expect = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-7d4b9-x2x",
            "generateName": "web-7d4b9-",
            "namespace": "default",
            "uid": "6f1e0b5c-2a8f-4e0e-9d57-0d9a1a4c6b11",
            "resourceVersion": "4711",
            "generation": 1,
            "creationTimestamp": "2026-11-27T22:45:00Z",
            "deletionTimestamp": "2026-11-27T22:45:30Z",
            "deletionGracePeriodSeconds": 30,
            "ownerReferences": [{
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web-7d4b9",
                "uid": "0c7d0a52-9c3b-4d0f-8f0e-3f0a6a2b7c44",
                "controller": true,
                "blockOwnerDeletion": true
            }],
            "finalizers": ["example.com/guard"],
            "managedFields": [{
                "manager": "kubectl-run",
                "operation": "Update",
                "apiVersion": "v1",
                "time": "2026-11-27T22:45:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:run": {}}}}
            }]
        },
        "spec": {"containers": [{"name": "web", "image": "nginx"}], "nodeName": "ip-10-0-1-17.ec2.internal"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-27T22:45:10Z"}],
            "startTime": "2026-11-27T22:45:01Z"
        }
    });
    assert_eq!(actual, expect);
    typed::<k8s_openapi::api::core::v1::Pod>(&actual);
    // metav1.Time has whole seconds in JSON, so the nanoseconds of the creation time do not come back.
    let again = decode(&encode(&actual).expect("the pod encodes")).expect("the encoding decodes");
    assert_eq!(again, expect);
}

#[test]
fn lease_with_micro_times() {
    let lease = k8s_pb::api::coordination::v1::Lease {
        metadata: named("kube-scheduler", "kube-system"),
        spec: Some(k8s_pb::api::coordination::v1::LeaseSpec {
            holder_identity: s("node-1_4f6b"),
            lease_duration_seconds: Some(15),
            acquire_time: Some(meta::MicroTime { seconds: Some(1_795_819_500), nanos: Some(123_456_000) }),
            renew_time: Some(meta::MicroTime { seconds: Some(1_795_819_512), nanos: Some(7_000) }),
            lease_transitions: Some(0),
            ..Default::default()
        }),
    };
    let actual = check(
        &lease,
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "kube-scheduler", "namespace": "kube-system"},
            "spec": {
                "holderIdentity": "node-1_4f6b",
                "leaseDurationSeconds": 15,
                "acquireTime": "2026-11-27T22:45:00.123456Z",
                "renewTime": "2026-11-27T22:45:12.000007Z",
                "leaseTransitions": 0
            }
        }),
    );
    typed::<k8s_openapi::api::coordination::v1::Lease>(&actual);
}

#[test]
fn delete_options_under_any_api_version() {
    let options = meta::DeleteOptions {
        grace_period_seconds: Some(0),
        preconditions: Some(meta::Preconditions { uid: s("6f1e0b5c"), resource_version: s("42") }),
        orphan_dependents: None,
        propagation_policy: s("Foreground"),
        dry_run: vec!["All".to_owned()],
        ignore_store_read_error_with_cluster_breaking_potential: Some(false),
    };
    let fields = json!({
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "6f1e0b5c", "resourceVersion": "42"},
        "propagationPolicy": "Foreground",
        "dryRun": ["All"],
        "ignoreStoreReadErrorWithClusterBreakingPotential": false
    });
    for api_version in ["meta.k8s.io/v1", "v1", "apps/v1"] {
        let mut expect = fields.clone();
        expect["apiVersion"] = json!(api_version);
        expect["kind"] = json!("DeleteOptions");
        check_kind(api_version, "DeleteOptions", &options, expect);
    }
}

/// Go's marshalling writes every non-pointer field, zero or not; the JSON must leave out what Go's JSON leaves
/// out and keep the zeros of pointer fields.
#[test]
fn go_zero_values_follow_go_json() {
    let empty = s("");
    let deployment = apps::Deployment {
        metadata: Some(meta::ObjectMeta {
            name: s("web"),
            generate_name: empty.clone(),
            namespace: empty.clone(),
            self_link: empty.clone(),
            uid: empty.clone(),
            resource_version: empty.clone(),
            generation: Some(0),
            // Go writes the zero metav1.Time as an empty message.
            creation_timestamp: Some(meta::Time::default()),
            ..Default::default()
        }),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0),
            min_ready_seconds: Some(0),
            paused: Some(false),
            strategy: Some(apps::DeploymentStrategy::default()),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    name: empty.clone(),
                    creation_timestamp: Some(meta::Time::default()),
                    ..Default::default()
                }),
                spec: Some(core::PodSpec {
                    containers: vec![core::Container {
                        name: s("web"),
                        image: s("nginx"),
                        working_dir: empty.clone(),
                        stdin: Some(false),
                        tty: Some(false),
                        resources: Some(core::ResourceRequirements::default()),
                        ports: vec![core::ContainerPort {
                            container_port: Some(0),
                            host_port: Some(0),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    host_network: Some(false),
                    restart_policy: empty.clone(),
                    automount_service_account_token: Some(false),
                    enable_service_links: Some(false),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus {
            observed_generation: Some(0),
            replicas: Some(0),
            collision_count: Some(0),
            ..Default::default()
        }),
    };
    let body = envelope("apps/v1", "Deployment", deployment.encode_to_vec());
    let actual = decode(&body).expect("the deployment decodes");
    let expect = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "creationTimestamp": null},
        "spec": {
            "replicas": 0,
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": null},
                "spec": {
                    "containers": [{"name": "web", "image": "nginx", "resources": {}, "ports": [{"containerPort": 0}]}],
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false
                }
            }
        },
        "status": {"collisionCount": 0}
    });
    assert_eq!(actual, expect, "{}", serde_json::to_string_pretty(&actual).unwrap_or_default());
    typed::<k8s_openapi::api::apps::v1::Deployment>(&actual);
}

#[test]
fn persistent_volume_claim_keeps_empty_storage_class() {
    let claim = core::PersistentVolumeClaim {
        metadata: named("data", "default"),
        spec: Some(core::PersistentVolumeClaimSpec {
            access_modes: vec!["ReadWriteOnce".to_owned()],
            resources: Some(core::VolumeResourceRequirements {
                requests: quantities(&[("storage", "10Gi")]),
                limits: BTreeMap::new(),
            }),
            storage_class_name: s(""),
            volume_name: s(""),
            ..Default::default()
        }),
        status: None,
    };
    let body = envelope("v1", "PersistentVolumeClaim", claim.encode_to_vec());
    assert_eq!(
        decode(&body).expect("the claim decodes"),
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": ""}
        })
    );
}

#[test]
fn custom_resource_definition_with_json_schema() {
    use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
    let string_schema = ext::JsonSchemaProps { r#type: s("string"), ..Default::default() };
    let spec_schema = ext::JsonSchemaProps {
        r#type: s("object"),
        required: vec!["size".to_owned()],
        properties: [
            (
                "size".to_owned(),
                ext::JsonSchemaProps {
                    r#type: s("integer"),
                    format: s("int32"),
                    minimum: Some(1.0),
                    maximum: Some(10.5),
                    ..Default::default()
                },
            ),
            (
                "tags".to_owned(),
                ext::JsonSchemaProps {
                    r#type: s("array"),
                    items: Some(Box::new(ext::JsonSchemaPropsOrArray {
                        schema: Some(Box::new(string_schema.clone())),
                        j_son_schemas: Vec::new(),
                    })),
                    x_kubernetes_list_type: s("set"),
                    ..Default::default()
                },
            ),
            (
                "labels".to_owned(),
                ext::JsonSchemaProps {
                    r#type: s("object"),
                    additional_properties: Some(Box::new(ext::JsonSchemaPropsOrBool {
                        allows: Some(true),
                        schema: Some(Box::new(string_schema.clone())),
                    })),
                    ..Default::default()
                },
            ),
            (
                "mode".to_owned(),
                ext::JsonSchemaProps {
                    r#type: s("string"),
                    default: Some(ext::Json { raw: Some(br#""fast""#.to_vec()) }),
                    r#enum: vec![
                        ext::Json { raw: Some(br#""fast""#.to_vec()) },
                        ext::Json { raw: Some(br#""safe""#.to_vec()) },
                    ],
                    ..Default::default()
                },
            ),
            (
                "extra".to_owned(),
                ext::JsonSchemaProps {
                    r#type: s("object"),
                    x_kubernetes_preserve_unknown_fields: Some(true),
                    additional_properties: Some(Box::new(ext::JsonSchemaPropsOrBool {
                        allows: Some(false),
                        schema: None,
                    })),
                    ..Default::default()
                },
            ),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    let crd = ext::CustomResourceDefinition {
        metadata: Some(meta::ObjectMeta { name: s("widgets.example.com"), ..Default::default() }),
        spec: Some(ext::CustomResourceDefinitionSpec {
            group: s("example.com"),
            names: Some(ext::CustomResourceDefinitionNames {
                plural: s("widgets"),
                singular: s("widget"),
                kind: s("Widget"),
                list_kind: s("WidgetList"),
                ..Default::default()
            }),
            scope: s("Namespaced"),
            versions: vec![ext::CustomResourceDefinitionVersion {
                name: s("v1"),
                served: Some(true),
                storage: Some(true),
                schema: Some(ext::CustomResourceValidation {
                    open_apiv3_schema: Some(ext::JsonSchemaProps {
                        r#type: s("object"),
                        properties: [("spec".to_owned(), spec_schema)].into_iter().collect(),
                        ..Default::default()
                    }),
                }),
                subresources: Some(ext::CustomResourceSubresources {
                    status: Some(ext::CustomResourceSubresourceStatus {}),
                    scale: None,
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    };
    let actual = check(
        &crd,
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": [{
                    "name": "v1",
                    "served": true,
                    "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer", "format": "int32", "minimum": 1.0, "maximum": 10.5},
                            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "mode": {"type": "string", "default": "fast", "enum": ["fast", "safe"]},
                            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "additionalProperties": false}
                        }
                    }}}},
                    "subresources": {"status": {}}
                }]
            }
        }),
    );
    typed::<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>(&actual);
}

#[test]
fn certificate_signing_request_with_bytes_and_extra() {
    use k8s_pb::api::certificates::v1 as certificates;
    let request = certificates::CertificateSigningRequest {
        metadata: Some(meta::ObjectMeta { name: s("node-csr"), ..Default::default() }),
        spec: Some(certificates::CertificateSigningRequestSpec {
            request: Some(b"-----BEGIN CERTIFICATE REQUEST-----\n".to_vec()),
            signer_name: s("kubernetes.io/kube-apiserver-client-kubelet"),
            expiration_seconds: Some(86_400),
            usages: vec!["digital signature".to_owned(), "client auth".to_owned()],
            username: s("system:node:ip-10-0-1-17"),
            groups: vec!["system:nodes".to_owned()],
            extra: [("scopes".to_owned(), certificates::ExtraValue { items: vec!["a".to_owned(), "b".to_owned()] })]
                .into_iter()
                .collect(),
            ..Default::default()
        }),
        status: None,
    };
    let actual = check(
        &request,
        json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": {"name": "node-csr"},
            "spec": {
                "request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K",
                "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                "expirationSeconds": 86400,
                "usages": ["digital signature", "client auth"],
                "username": "system:node:ip-10-0-1-17",
                "groups": ["system:nodes"],
                "extra": {"scopes": ["a", "b"]}
            }
        }),
    );
    typed::<k8s_openapi::api::certificates::v1::CertificateSigningRequest>(&actual);
}

#[test]
fn controller_revision_with_raw_extensions() {
    let json_revision = apps::ControllerRevision {
        metadata: named("web-5f7c", "default"),
        data: Some(RawExtension { raw: Some(br#"{"spec":{"template":{"$patch":"replace"}}}"#.to_vec()) }),
        revision: Some(3),
    };
    check(
        &json_revision,
        json!({
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {"name": "web-5f7c", "namespace": "default"},
            "data": {"spec": {"template": {"$patch": "replace"}}},
            "revision": 3
        }),
    );

    // A raw extension may hold a whole protobuf object of its own, envelope and all.
    let inner = envelope(
        "v1",
        "ConfigMap",
        core::ConfigMap { metadata: named("x", "y"), ..Default::default() }.encode_to_vec(),
    );
    let nested = apps::ControllerRevision {
        metadata: named("nested", "default"),
        data: Some(RawExtension { raw: Some(inner) }),
        revision: Some(1),
    };
    let body = envelope("apps/v1", "ControllerRevision", nested.encode_to_vec());
    assert_eq!(
        decode(&body).expect("the revision decodes"),
        json!({
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {"name": "nested", "namespace": "default"},
            "data": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "y"}},
            "revision": 1
        })
    );
}

/// A JSON object as `kubectl create deployment -o json` prints it encodes and decodes back to itself.
#[test]
fn kubectl_json_round_trips() {
    let object = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}
            },
            "strategy": {}
        },
        "status": {}
    });
    let body = encode(&object).expect("the deployment encodes");
    assert!(body.starts_with(b"k8s\0"));
    assert_eq!(decode(&body).expect("the encoding decodes"), object);
}

#[test]
fn encode_refuses_bad_objects() {
    let cases = [
        (json!({"kind": "ConfigMap"}), EncodeError::MissingTypeMeta),
        (
            json!({"apiVersion": "v1", "kind": "Gizmo"}),
            EncodeError::UnknownKind { api_version: "v1".to_owned(), kind: "Gizmo".to_owned() },
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": ["a"]}),
            EncodeError::Type { path: "core.v1.ConfigMap.data".to_owned(), expected: "an object" },
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "immutable": "yes"}),
            EncodeError::Type { path: "core.v1.ConfigMap.immutable".to_owned(), expected: "a boolean" },
        ),
        (
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 5_000_000_000_i64}}),
            EncodeError::Type { path: "apps.v1.Deployment.spec.replicas".to_owned(), expected: "a 32-bit integer" },
        ),
    ];
    for (object, expect) in cases {
        assert_eq!(encode(&object), Err(expect), "{object}");
    }
    let bad_time = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"creationTimestamp": "yesterday"}});
    assert!(matches!(encode(&bad_time), Err(EncodeError::InvalidValue { .. })));
    let bad_base64 = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "***"}});
    assert!(matches!(encode(&bad_base64), Err(EncodeError::InvalidValue { .. })));
}

/// Decodes a body that must be refused and returns the error.
fn refuse(body: &[u8]) -> DecodeError {
    match decode(body) {
        Ok(value) => panic!("decoded garbage into {value}"),
        Err(error) => error,
    }
}

#[test]
fn garbage_is_refused() {
    let config_map = core::ConfigMap { metadata: named("x", "y"), ..Default::default() };
    assert_eq!(refuse(b""), DecodeError::BadMagic);
    assert_eq!(refuse(b"k8s"), DecodeError::BadMagic);
    assert_eq!(refuse(b"{\"kind\":\"ConfigMap\"}"), DecodeError::BadMagic);
    assert_eq!(refuse(b"k8s\0"), DecodeError::UnknownKind { api_version: String::new(), kind: String::new() });
    assert_eq!(
        refuse(&envelope("v1", "Gizmo", Vec::new())),
        DecodeError::UnknownKind { api_version: "v1".to_owned(), kind: "Gizmo".to_owned() }
    );
    assert!(matches!(refuse(b"k8s\0\x0a"), DecodeError::Truncated { what: "varint", .. }));
    assert!(matches!(refuse(b"k8s\0\x0a\xff\xff"), DecodeError::Truncated { what: "varint", .. }));
    assert!(matches!(refuse(b"k8s\0\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), DecodeError::Invalid { .. }));
    // A length prefix far beyond the body.
    assert!(matches!(refuse(b"k8s\0\x12\xff\xff\xff\xff\x0f"), DecodeError::Invalid { .. }));
    assert!(matches!(refuse(b"k8s\0\x12\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), DecodeError::Invalid { .. }));
    // Field number 0, wire type 3 (groups) and wire type 7.
    assert!(matches!(refuse(b"k8s\0\x02\x00"), DecodeError::Invalid { .. }));
    assert!(matches!(refuse(b"k8s\0\x0b"), DecodeError::Invalid { .. }));
    assert!(matches!(refuse(b"k8s\0\x0f"), DecodeError::Invalid { .. }));
    // The envelope's raw field as a varint.
    assert!(matches!(refuse(b"k8s\0\x10\x01"), DecodeError::Invalid { .. }));

    // ConfigMap.metadata (field 1) as a varint, and ObjectMeta.name as a fixed64.
    assert!(matches!(refuse(&envelope("v1", "ConfigMap", vec![0x08, 0x01])), DecodeError::Invalid { .. }));
    let error = refuse(&envelope("v1", "ConfigMap", vec![0x0a, 0x09, 0x09, 1, 2, 3, 4, 5, 6, 7, 8]));
    assert_eq!(
        error,
        DecodeError::Invalid {
            path: "core.v1.ConfigMap.metadata.name".to_owned(),
            reason: "field 1 has wire type 1, expected 2".to_owned()
        }
    );
    assert_eq!(
        error.to_string(),
        "invalid protobuf at core.v1.ConfigMap.metadata.name: field 1 has wire type 1, expected 2"
    );
    // A truncated object.
    let raw = config_map.encode_to_vec();
    assert!(matches!(refuse(&envelope("v1", "ConfigMap", raw[..raw.len() - 1].to_vec())), DecodeError::Invalid { .. }));
    let whole = envelope("v1", "ConfigMap", raw.clone());
    let mut cut = whole.clone();
    cut.truncate(whole.len() - 5);
    assert_eq!(
        refuse(&cut),
        DecodeError::Invalid { path: "envelope".to_owned(), reason: "length 8 exceeds the 7 bytes left".to_owned() }
    );
    cut.truncate(whole.len() - 3);
    assert_eq!(
        refuse(&whole[..whole.len() - 3]),
        DecodeError::Truncated { path: "envelope".to_owned(), what: "varint" }
    );
    // Every prefix either decodes (when it ends between fields) or is refused.
    for len in 0..whole.len() {
        let _ = decode(&whole[..len]);
    }
    // Compressed content.
    let mut unknown = Unknown::decode(&envelope("v1", "ConfigMap", raw)[4..]).expect("valid envelope");
    unknown.content_encoding = s("gzip");
    let mut body = b"k8s\0".to_vec();
    body.extend(unknown.encode_to_vec());
    assert_eq!(refuse(&body), DecodeError::UnsupportedContentEncoding("gzip".to_owned()));
}

#[test]
fn impossible_values_are_refused() {
    let with_time = |seconds: i64| core::Namespace {
        metadata: Some(meta::ObjectMeta {
            creation_timestamp: Some(meta::Time { seconds: Some(seconds), nanos: None }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let far_future = envelope("v1", "Namespace", with_time(253_402_300_800).encode_to_vec());
    assert!(matches!(refuse(&far_future), DecodeError::InvalidValue { .. }));
    let last_second = envelope("v1", "Namespace", with_time(253_402_300_799).encode_to_vec());
    assert_eq!(
        decode(&last_second).expect("year 9999 is fine")["metadata"]["creationTimestamp"],
        json!("9999-12-31T23:59:59Z")
    );
    let extreme = envelope("v1", "Namespace", with_time(i64::MIN).encode_to_vec());
    assert!(matches!(refuse(&extreme), DecodeError::InvalidValue { .. }));

    let service = |target_port: IntOrString| core::Service {
        spec: Some(core::ServiceSpec {
            ports: vec![core::ServicePort { target_port: Some(target_port), ..Default::default() }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let bad_type = envelope(
        "v1",
        "Service",
        service(IntOrString { r#type: Some(7), int_val: None, str_val: None }).encode_to_vec(),
    );
    assert!(matches!(refuse(&bad_type), DecodeError::InvalidValue { .. }));

    let bad_json = apps::ControllerRevision {
        data: Some(RawExtension { raw: Some(b"{not json".to_vec()) }),
        ..Default::default()
    };
    assert!(matches!(
        refuse(&envelope("apps/v1", "ControllerRevision", bad_json.encode_to_vec())),
        DecodeError::InvalidValue { .. }
    ));

    let empty_quantity = core::ResourceQuota {
        spec: Some(core::ResourceQuotaSpec { hard: quantities(&[("pods", "")]), ..Default::default() }),
        ..Default::default()
    };
    assert!(matches!(
        refuse(&envelope("v1", "ResourceQuota", empty_quantity.encode_to_vec())),
        DecodeError::InvalidValue { .. }
    ));
}

#[test]
fn deep_nesting_is_refused() {
    use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
    let mut schema = ext::JsonSchemaProps { r#type: s("string"), ..Default::default() };
    for _ in 0..200 {
        schema = ext::JsonSchemaProps { not: Some(Box::new(schema)), ..Default::default() };
    }
    let crd = ext::CustomResourceDefinition {
        spec: Some(ext::CustomResourceDefinitionSpec {
            versions: vec![ext::CustomResourceDefinitionVersion {
                schema: Some(ext::CustomResourceValidation { open_apiv3_schema: Some(schema) }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let body = envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd.encode_to_vec());
    assert_eq!(refuse(&body), DecodeError::TooDeep { limit: crate::MAX_DEPTH });

    // Raw extensions nesting envelopes count towards the same limit.
    let mut body = envelope("v1", "ConfigMap", Vec::new());
    for _ in 0..200 {
        let revision = apps::ControllerRevision { data: Some(RawExtension { raw: Some(body) }), ..Default::default() };
        body = envelope("apps/v1", "ControllerRevision", revision.encode_to_vec());
    }
    assert_eq!(refuse(&body), DecodeError::TooDeep { limit: crate::MAX_DEPTH });
}

/// A tiny xorshift generator, so the fuzz loop needs no dependency and repeats exactly.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random bytes, and random damage to a valid Deployment, must give `Ok` or `Err`, never a panic.
#[test]
fn random_bytes_never_panic() {
    let deployment = apps::Deployment {
        metadata: named("web", "default"),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(2),
            template: Some(core::PodTemplateSpec {
                metadata: None,
                spec: Some(core::PodSpec {
                    containers: vec![core::Container {
                        name: s("web"),
                        ports: vec![core::ContainerPort { container_port: Some(80), ..Default::default() }],
                        liveness_probe: Some(core::Probe {
                            handler: Some(core::ProbeHandler {
                                http_get: Some(core::HttpGetAction { port: port_name("http"), ..Default::default() }),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        resources: Some(core::ResourceRequirements {
                            limits: quantities(&[("cpu", "1")]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let valid = envelope("apps/v1", "Deployment", deployment.encode_to_vec());
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut n_ok = 0;
    for seed in 0..10_000 {
        let body = match seed % 3 {
            0 => {
                let len = rng.below(64);
                let mut body = b"k8s\0".to_vec();
                body.extend((0..len).map(|_| rng.next() as u8));
                body
            }
            1 => {
                let mut body = valid.clone();
                for _ in 0..1 + rng.below(4) {
                    let index = 4 + rng.below(body.len() - 4);
                    body[index] ^= 1 << rng.below(8);
                }
                body
            }
            _ => {
                let mut body = valid.clone();
                let index = 4 + rng.below(body.len() - 4);
                body.truncate(index);
                body.extend((0..rng.below(8)).map(|_| rng.next() as u8));
                body
            }
        };
        if let Ok(value) = decode(&body) {
            n_ok += 1;
            // Whatever decodes must encode again.
            let _ = encode(&value);
        }
    }
    assert!(n_ok > 0, "some damaged bodies still decode");
}

#[test]
fn times_format_and_parse_like_go() {
    use crate::timefmt::{format_rfc3339, parse_rfc3339};
    assert_eq!(format_rfc3339(0, None).as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(format_rfc3339(1_795_819_500, None).as_deref(), Some("2026-11-27T22:45:00Z"));
    assert_eq!(format_rfc3339(1_795_819_500, Some(42)).as_deref(), Some("2026-11-27T22:45:00.000042Z"));
    assert_eq!(format_rfc3339(951_782_400, None).as_deref(), Some("2000-02-29T00:00:00Z"));
    assert_eq!(format_rfc3339(-1, None).as_deref(), Some("1969-12-31T23:59:59Z"));
    assert_eq!(format_rfc3339(-62_167_219_200, None).as_deref(), Some("0000-01-01T00:00:00Z"));
    assert_eq!(format_rfc3339(-62_167_219_201, None), None);
    assert_eq!(parse_rfc3339("2026-11-27T22:45:00Z"), Some((1_795_819_500, 0)));
    assert_eq!(parse_rfc3339("2026-11-27T23:45:00.5+01:00"), Some((1_795_819_500, 500_000_000)));
    assert_eq!(parse_rfc3339("2026-11-27T17:15:00.123456789-05:30"), Some((1_795_819_500, 123_456_789)));
    assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some((951_782_400, 0)));
    for bad in [
        "",
        "2026-11-27",
        "2026-11-27T22:45:00",
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-11-27T22:45:00.Z",
        "2026-11-27T22:45:00Zjunk",
        "２026-11-27T22:45:00Z",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
}

#[test]
fn durations_format_and_parse_like_go() {
    use crate::timefmt::{format_duration, parse_duration};
    let cases: [(i64, &str); 10] = [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (2_000_000, "2ms"),
        (1_500_000_000, "1.5s"),
        (60_000_000_000, "1m0s"),
        (3_600_000_000_000, "1h0m0s"),
        (3_723_500_000_000, "1h2m3.5s"),
        (-90_000_000_000, "-1m30s"),
        (i64::MIN, "-2562047h47m16.854775808s"),
    ];
    for (nanos, text) in cases {
        assert_eq!(format_duration(nanos), text);
        assert_eq!(parse_duration(text), Some(nanos), "{text}");
    }
    assert_eq!(parse_duration("1.5h"), Some(5_400_000_000_000));
    assert_eq!(parse_duration("300us"), Some(300_000));
    for bad in ["", "1", "h", "1x", "-", "99999999999999999999h", "3000000h"] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
}

/// Every kind of the table names a message, and the lookup finds each by its own apiVersion.
#[test]
fn every_kind_is_found() {
    for kind in crate::schema::KINDS.iter() {
        assert!(crate::knows_kind(kind.0, kind.1), "{} {}", kind.0, kind.1);
    }
    for (api_version, kind) in [
        ("v1", "Pod"),
        ("v1", "Binding"),
        ("apps/v1", "Deployment"),
        ("autoscaling/v1", "Scale"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("batch/v1", "CronJob"),
        ("policy/v1", "Eviction"),
        ("authentication.k8s.io/v1", "TokenRequest"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("networking.k8s.io/v1", "Ingress"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("events.k8s.io/v1", "Event"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
        ("coordination.k8s.io/v1", "Lease"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("v1", "ConfigMapList"),
        ("v1", "Status"),
        ("batch/v1", "DeleteOptions"),
    ] {
        assert!(crate::knows_kind(api_version, kind), "{api_version} {kind}");
    }
    assert!(!crate::knows_kind("v1", "Deployment"));
}

/// Protobuf's merge rules: a message sent in several parts merges, the last scalar wins, maps and lists
/// accumulate, packed and unpacked repeated numbers mix, and unknown fields are skipped.
#[test]
fn wire_merging_rules() {
    use crate::wire::{put_int, put_len};
    let entry = |key: &str, value: &str| {
        let mut entry = Vec::new();
        put_len(&mut entry, 1, key.as_bytes());
        put_len(&mut entry, 2, value.as_bytes());
        entry
    };
    let mut first = Vec::new();
    put_len(&mut first, 1, b"first");
    put_len(&mut first, 11, &entry("a", "1"));
    let mut second = Vec::new();
    put_len(&mut second, 1, b"second");
    put_len(&mut second, 3, b"ns");
    put_len(&mut second, 11, &entry("b", "2"));
    let mut raw = Vec::new();
    put_len(&mut raw, 1, &first);
    put_int(&mut raw, 4, 1);
    put_int(&mut raw, 99, 5);
    put_len(&mut raw, 100, b"unknown");
    put_len(&mut raw, 1, &second);
    put_int(&mut raw, 4, 0);
    assert_eq!(
        decode(&envelope("v1", "ConfigMap", raw)).expect("the config map decodes"),
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "second", "namespace": "ns", "labels": {"a": "1", "b": "2"}},
            "immutable": false
        })
    );

    let mut packed = Vec::new();
    for group in [1000u64, 2000] {
        crate::wire::put_varint(&mut packed, group);
    }
    let mut security_context = Vec::new();
    put_len(&mut security_context, 4, &packed);
    put_int(&mut security_context, 4, 3000);
    let mut pod_spec = Vec::new();
    put_len(&mut pod_spec, 14, &security_context);
    let mut raw = Vec::new();
    put_len(&mut raw, 2, &pod_spec);
    assert_eq!(
        decode(&envelope("v1", "Pod", raw)).expect("the pod decodes"),
        json!({"apiVersion": "v1", "kind": "Pod", "spec": {"securityContext": {"supplementalGroups": [1000, 2000, 3000]}}})
    );
}

/// A watch event embeds its object as a protobuf body, which decodes back to the object.
#[test]
fn watch_event_embeds_its_object_as_protobuf() {
    let event = json!({
        "apiVersion": "meta.k8s.io/v1",
        "kind": "WatchEvent",
        "type": "ADDED",
        "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "y"}, "data": {"k": "v"}}
    });
    let body = encode(&event).expect("the event encodes");
    let watch_event = meta::WatchEvent::decode(&raw_of(&body)[..]).expect("a valid WatchEvent");
    let object_raw = watch_event.object.and_then(|object| object.raw).unwrap_or_default();
    assert!(object_raw.starts_with(b"k8s\0"), "the object is a protobuf body");
    assert_eq!(decode(&body).expect("the event decodes"), event);

    // An object of a kind the table does not know stays JSON.
    let custom = json!({
        "apiVersion": "meta.k8s.io/v1",
        "kind": "WatchEvent",
        "type": "MODIFIED",
        "object": {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"size": 3}}
    });
    assert_eq!(decode(&encode(&custom).expect("the event encodes")).expect("the event decodes"), custom);
}
