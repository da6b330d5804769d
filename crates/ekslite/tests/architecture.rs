//! The dependency arrows of ARCHITECTURE.md, checked against `cargo metadata`: which workspace crates each crate
//! may depend on, and which outside crates no layer below the binary may know.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// For each workspace crate, the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("store", &["bench-report"]),
    ("bench-report", &[]),
    ("test-support", &["apiserver", "store"]),
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
    ("scheduler", &["k8s-events", "k8s-model", "apiserver", "store", "bench-report", "test-support"]),
    ("node-agent", &["k8s-events", "k8s-model", "apiserver", "store", "test-support"]),
    // scheduler: the cluster autoscaler simulates scheduling with the scheduler's pure decision.
    ("controllers", &["k8s-events", "k8s-model", "scheduler", "apiserver", "store", "test-support"]),
    (
        "ekslite",
        &[
            "apiserver",
            "aws-api",
            "aws-model",
            "aws-protocol",
            "bench-report",
            "controllers",
            "k8s-model",
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
    ("scheduler", "test-support"),
    ("node-agent", "test-support"),
    ("controllers", "test-support"),
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
    // Pure rules over JSON: no Kubernetes client types, no IO, no HTTP.
    ("k8s-model", &["k8s-openapi", "kube", "axum", "hyper", "tokio", "rusqlite", "etcd-client"]),
    // The Kubernetes side knows nothing of AWS.
    ("apiserver", &["aws-sdk-", "aws-smithy-", "aws-sigv4", "aws-config"]),
    ("scheduler", &["axum", "hyper", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
    // The node agent speaks HTTP only inside its pods' in-memory connections (hyper over `tokio::io::duplex`,
    // `traffic.rs`): no web framework, no listener.
    ("node-agent", &["axum", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
    ("controllers", &["axum", "hyper", "aws-sdk-", "aws-smithy-", "rusqlite", "etcd-client"]),
];

/// Outside crates a crate's tests may use although its code must not: k8s-model's tests play the API server's part
/// in validation with the workspace's label selector matcher (kube-core's, which brings k8s-openapi).
const TEST_ONLY_KNOWLEDGE: &[(&str, &str)] = &[("k8s-model", "kube-core"), ("k8s-model", "k8s-openapi")];

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
            if TEST_ONLY_KNOWLEDGE.contains(&(name, dependency)) {
                assert_eq!(kind, "dev", "{name} may depend on {dependency} only in its tests");
                continue;
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

/// Modules of the API server crate that import nothing of the crate: the types every layer above shares.
const APISERVER_LEAVES: &[&str] = &["identity", "pki", "registry", "request", "spdy", "websocket"];

/// Which of the API server crate's top-level modules each of its modules names through a `crate::` path, read
/// from the sources: `src/x.rs` and `src/x/...` are module `x`; `lib.rs` (the re-exports) is left out.
///
/// What it does not see: test code (files named `tests.rs` and the inline `#[cfg(test)] mod tests` that closes
/// a file), which may reach any layer; paths written through `super::` or a `use` alias; and method calls on
/// `ClusterApi`, whose verbs are `impl` blocks in the handler modules above `api`, so a lower module calling one
/// is a dependency this check misses.
fn apiserver_module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../apiserver/src");
    let mut files = Vec::new();
    let mut pending = vec![source.clone()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).expect("read the apiserver sources") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let module_of = |path: &std::path::Path| -> Option<String> {
        let relative = path.strip_prefix(&source).ok()?;
        let first = relative.components().next()?.as_os_str().to_str()?;
        let module = first.strip_suffix(".rs").unwrap_or(first);
        (module != "lib" && relative.file_name()? != "tests.rs").then(|| module.to_owned())
    };
    let modules: BTreeSet<String> = files.iter().filter_map(|path| module_of(path)).collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let Some(module) = module_of(path) else { continue };
        let text = std::fs::read_to_string(path).expect("read a source file");
        let named = imports.entry(module.clone()).or_default();
        let mut lines = text.lines().map(str::trim).peekable();
        while let Some(line) = lines.next() {
            if line == "#[cfg(test)]" && lines.peek().is_some_and(|next| next.starts_with("mod tests")) {
                break;
            }
            if line.starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                // `crate::{a, b::c}` names every module at the top level of the braces.
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or_default().trim_end_matches('}'))
                        .collect(),
                    None => vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default()],
                };
                for name in names {
                    if modules.contains(name) && name != module {
                        named.insert(name.to_owned());
                    }
                }
            }
        }
    }
    imports
}

/// The API server's modules form layers (see its `lib.rs`): no module reaches, through any chain of imports, a
/// module that reaches it back, and the leaves import nothing of the crate.
#[test]
fn apiserver_modules_have_no_cycles() {
    let imports = apiserver_module_imports();
    assert!(imports.len() > 10, "the apiserver sources were found: {imports:?}");
    for leaf in APISERVER_LEAVES {
        let named = imports.get(*leaf).unwrap_or_else(|| panic!("apiserver has no module {leaf}"));
        assert!(named.is_empty(), "apiserver's leaf module {leaf} imports {named:?}");
    }
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        module: &'a str,
        imports: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(start) = path.iter().position(|m| *m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module);
            panic!("apiserver modules import each other in a cycle: {}", cycle.join(" -> "));
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in imports.get(module).into_iter().flatten() {
            visit(next, imports, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in imports.keys() {
        visit(module, &imports, &mut Vec::new(), &mut done);
    }
}
