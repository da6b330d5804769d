use serde_json::{Value, json};

use super::*;

const FRESH: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: demo\n  cluster: {server: 'https://127.0.0.1:4000', certificate-authority-data: Q0E=}\nusers:\n- name: demo-admin\n  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}\ncontexts:\n- name: demo\n  context: {cluster: demo, user: demo-admin}\ncurrent-context: demo\n";

fn read(path: &Path) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(path).expect("read")).expect("YAML")
}

fn names(config: &Value, list: &str) -> Vec<String> {
    config[list].as_array().expect("a list").iter().map(|item| item["name"].as_str().unwrap_or("").to_owned()).collect()
}

#[test]
fn a_context_is_merged_into_a_new_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("nested").join("config");
    merge_kubeconfig(&path, FRESH, "ekslite-demo").expect("merge");
    let config = read(&path);
    assert_eq!(config["current-context"], "ekslite-demo");
    assert_eq!(names(&config, "contexts"), ["ekslite-demo"]);
    assert_eq!(config["clusters"][0]["cluster"]["server"], "https://127.0.0.1:4000");
    assert_eq!(config["users"][0]["user"]["client-key-data"], "S0VZ");
    assert_eq!(config["contexts"][0]["context"], json!({ "cluster": "ekslite-demo", "user": "ekslite-demo" }));
    let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "credentials are readable by their owner only");
}

#[test]
fn merging_keeps_other_contexts_and_replaces_its_own() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("config");
    let other = "apiVersion: v1\nkind: Config\nclusters: [{name: prod, cluster: {server: 'https://prod'}}]\nusers: [{name: prod, user: {token: t}}]\ncontexts: [{name: prod, context: {cluster: prod, user: prod}}]\ncurrent-context: prod\n";
    std::fs::write(&path, other).expect("write");
    merge_kubeconfig(&path, FRESH, "ekslite-demo").expect("merge");
    merge_kubeconfig(&path, &FRESH.replace("4000", "4001"), "ekslite-demo").expect("merge again");
    let config = read(&path);
    assert_eq!(names(&config, "contexts"), ["prod", "ekslite-demo"], "one entry per name");
    assert_eq!(config["clusters"][1]["cluster"]["server"], "https://127.0.0.1:4001", "the newest wins");
    assert_eq!(config["users"][0]["user"]["token"], "t");
    assert!(remove_from_kubeconfig(&path, "ekslite-demo").expect("remove"));
    let config = read(&path);
    assert_eq!(names(&config, "contexts"), ["prod"]);
    assert_eq!(config["current-context"], "");
    assert!(!remove_from_kubeconfig(&path, "ekslite-demo").expect("remove again"), "nothing left to remove");
}

#[test]
fn garbage_kubeconfigs_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("config");
    for garbage in ["- just\n- a list\n", "{{{ not yaml", "42"] {
        std::fs::write(&path, garbage).expect("write");
        assert!(merge_kubeconfig(&path, FRESH, "ekslite-demo").is_err(), "{garbage:?}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), garbage, "the file is untouched");
    }
    assert!(merge_kubeconfig(&dir.path().join("new"), "not: [a kubeconfig", "x").is_err());
}
