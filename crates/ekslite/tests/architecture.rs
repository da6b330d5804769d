//! The dependency arrows of ARCHITECTURE.md, checked against `cargo metadata`: which workspace crates each crate
//! may depend on, and which outside crates no layer below the binary may know.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// For each workspace crate, the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("store", &["bench-report"]),
    ("bench-report", &[]),
    ("k8s-model", &[]),
    ("k8s-events", &[]),
    ("k8s-protobuf", &[]),
    ("k8s-protobuf-gen", &[]),
    ("openapi", &[]),
    ("openapi-gen", &[]),
    ("aws-protocol", &[]),
    ("apiserver", &["store", "k8s-model", "k8s-protobuf", "openapi", "bench-report"]),
    ("aws-model", &["store"]),
    // store only for its tests, which build the model on a memory store.
    ("aws-api", &["aws-model", "aws-protocol", "store"]),
    // apiserver and store only for their tests, which run an in-process API server; bench-report for the bench.
    ("scheduler", &["k8s-events", "apiserver", "store", "bench-report"]),
    ("node-agent", &["k8s-events", "apiserver", "store"]),
    ("controllers", &["k8s-events", "k8s-model", "apiserver", "store"]),
    (
        "ekslite",
        &[
            "apiserver",
            "aws-api",
            "aws-model",
            "aws-protocol",
            "bench-report",
            "controllers",
            "node-agent",
            "scheduler",
            "store",
        ],
    ),
];

/// Arrows allowed only for tests (dev-dependencies): the data plane's tests run an in-process API server, but
/// the data plane itself reaches clusters only through their API.
const TEST_ONLY: &[(&str, &str)] = &[
    ("scheduler", "apiserver"),
    ("scheduler", "store"),
    ("node-agent", "apiserver"),
    ("node-agent", "store"),
    ("controllers", "apiserver"),
    ("controllers", "store"),
    ("aws-api", "store"),
    ("ekslite", "bench-report"),
];

/// Outside crates that mean a crate knows about Kubernetes, AWS or HTTP serving.
const KNOWLEDGE: &[(&str, &[&str])] = &[
    ("store", &["k8s-openapi", "kube", "axum", "hyper", "aws-sdk-", "aws-smithy-"]),
    ("aws-protocol", &["k8s-openapi", "kube", "axum", "hyper", "tokio"]),
    ("aws-model", &["k8s-openapi", "kube", "axum", "hyper"]),
    ("aws-api", &["k8s-openapi", "kube", "axum", "hyper"]),
    ("k8s-events", &["axum", "hyper", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
    ("scheduler", &["axum", "hyper", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
    ("node-agent", &["axum", "hyper", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
    ("controllers", &["axum", "hyper", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
];

#[test]
fn dependencies_point_the_way_architecture_md_says() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let workspace: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    assert_eq!(workspace, allowed.keys().copied().collect(), "every workspace crate has a rule in ALLOWED");
    for package in packages {
        let name = package["name"].as_str().expect("package name");
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let kind = dependency["kind"].as_str().unwrap_or("normal");
            let dependency = dependency["name"].as_str().expect("dependency name");
            if workspace.contains(dependency) && dependency != name {
                assert!(allowed[name].contains(&dependency), "{name} must not depend on {dependency}");
                if TEST_ONLY.contains(&(name, dependency)) {
                    assert_eq!(kind, "dev", "{name} may depend on {dependency} only in its tests");
                }
            }
            for (knower, forbidden) in KNOWLEDGE {
                if name == *knower {
                    assert!(
                        !forbidden.iter().any(|prefix| dependency.starts_with(prefix)),
                        "{name} must not depend on {dependency}"
                    );
                }
            }
        }
    }
}

/// The binary is its command line only: every module is the library's, so that benchmarks and tests wire the
/// server from the same code `ekslite serve` runs.
#[test]
fn the_binary_declares_no_module_of_its_own() {
    let main = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs");
    let text = std::fs::read_to_string(&main).expect("read main.rs");
    let declared: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("mod ") || line.starts_with("pub mod ") || line.starts_with("pub(crate) mod "))
        .collect();
    assert!(declared.is_empty(), "main.rs declares modules {declared:?}; they belong in lib.rs");
    assert!(text.contains("use ekslite::"), "main.rs calls the library");
}
