use super::*;

#[test]
fn verbs_follow_the_method_as_kube_apiserver_names_them() {
    let verb = |method: &str| connect_verb(&method.parse::<Method>().unwrap());
    assert_eq!(verb("GET"), Some("get"));
    assert_eq!(verb("HEAD"), Some("get"));
    assert_eq!(verb("POST"), Some("create"));
    assert_eq!(verb("PUT"), Some("update"));
    assert_eq!(verb("PATCH"), Some("patch"));
    assert_eq!(verb("DELETE"), Some("delete"));
    assert_eq!(verb("OPTIONS"), Some(""));
    assert_eq!(verb("TRACE"), None);
    assert_eq!(verb("BREW"), None);
}

#[test]
fn pod_ports_are_numbers_or_well_known_names() {
    assert_eq!(named_port("8080"), Ok(8080));
    assert_eq!(named_port("http"), Ok(80));
    assert_eq!(named_port("https"), Ok(443));
    let message = |port| named_port(port).unwrap_err().message;
    assert_eq!(message("metrics"), "error trying to reach service: dial tcp: lookup tcp/metrics: unknown port");
    assert_eq!(message("0"), "error trying to reach service: dial tcp: address 0: invalid port");
    assert_eq!(message("65536"), "error trying to reach service: dial tcp: address 65536: invalid port");
    assert_eq!(
        message("99999999999999999999"),
        "error trying to reach service: dial tcp: address 99999999999999999999: invalid port"
    );
    assert_eq!(named_port("65536").unwrap_err().code, 503);
}

#[test]
fn only_global_unicast_pod_addresses_are_reached() {
    let global = |ip: &str| is_global_unicast(ip.parse().unwrap());
    assert!(global("10.0.1.5") && global("192.168.0.1") && global("fd00::5") && global("2001:db8::1"));
    for ip in ["0.0.0.0", "127.0.0.1", "169.254.1.1", "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "ff02::1"]
    {
        assert!(!global(ip), "{ip}");
    }
    assert_eq!(
        pod_ip(&serde_json::json!({ "status": { "podIPs": [{ "ip": "10.0.0.2" }], "podIP": "10.0.0.3" } })).as_deref(),
        Some("10.0.0.2")
    );
    assert_eq!(pod_ip(&serde_json::json!({ "status": { "podIP": "10.0.0.3" } })).as_deref(), Some("10.0.0.3"));
    assert_eq!(pod_ip(&serde_json::json!({ "status": { "podIP": "" } })), None);
    assert_eq!(pod_ip(&serde_json::json!({})), None);
}

#[test]
fn hop_by_hop_and_credential_headers_stay_behind() {
    let mut from = HeaderMap::new();
    for (name, value) in [
        ("accept", "application/json"),
        ("x-custom", "1"),
        ("x-dropped", "2"),
        ("connection", "keep-alive, X-Dropped"),
        ("keep-alive", "timeout=5"),
        ("authorization", "Bearer secret"),
        ("impersonate-user", "admin"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "websocket"),
        ("host", "127.0.0.1:6443"),
    ] {
        from.append(name, HeaderValue::from_static(value));
    }
    let mut to = HeaderMap::new();
    copy_headers(&from, &mut to);
    let mut names: Vec<&str> = to.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["accept", "x-custom"]);
}
