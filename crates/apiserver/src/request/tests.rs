use super::*;

fn check_connect(path: &str, expect: Option<(&str, &str, &str, &str, &str)>) {
    let parsed = parse_connect(path);
    let got =
        parsed.as_ref().map(|c| (c.namespace.as_str(), c.resource, c.name.as_str(), c.subresource, c.rest.as_str()));
    assert_eq!(got, expect, "{path}");
}

#[test]
fn connect_paths_keep_what_follows_the_subresource() {
    check_connect("/api/v1/namespaces/default/pods/web/proxy", Some(("default", "pods", "web", "proxy", "")));
    check_connect("/api/v1/namespaces/default/pods/web/proxy/", Some(("default", "pods", "web", "proxy", "/")));
    check_connect(
        "/api/v1/namespaces/shop/services/https:web:443/proxy/a/b//c/",
        Some(("shop", "services", "https:web:443", "proxy", "/a/b//c/")),
    );
    check_connect(
        "/api/v1/namespaces/default/pods/web/portforward",
        Some(("default", "pods", "web", "portforward", "")),
    );
    check_connect(
        "/api/v1/namespaces/default/pods/web/portforward/",
        Some(("default", "pods", "web", "portforward", "")),
    );
    // Anything else is left to the resource parser.
    for other in [
        "/api/v1/namespaces/default/pods/web",
        "/api/v1/namespaces/default/pods/web/status",
        "/api/v1/namespaces/default/pods/web/portforward/x",
        "/api/v1/namespaces/default/services/web/portforward",
        "/api/v1/namespaces/default/deployments/web/proxy",
        "/api/v1/namespaces//pods/web/proxy",
        "/api/v1/namespaces/default/pods//proxy",
        "/apis/apps/v1/namespaces/default/pods/web/proxy",
        "/api/v1/nodes/n/proxy",
        "",
        "/",
    ] {
        check_connect(other, None);
    }
    // A huge path is parsed, not refused here: the server's limits apply before.
    let long = format!("/api/v1/namespaces/default/pods/web/proxy/{}", "x".repeat(100_000));
    assert_eq!(parse_connect(&long).map(|c| c.rest.len()), Some(100_001));
}

#[test]
fn proxy_names_split_as_kube_apiserver_splits_them() {
    assert_eq!(split_scheme_name_port("web"), Some(("", "web", "")));
    assert_eq!(split_scheme_name_port("web:80"), Some(("", "web", "80")));
    assert_eq!(split_scheme_name_port("web:http"), Some(("", "web", "http")));
    assert_eq!(split_scheme_name_port("https:web:443"), Some(("https", "web", "443")));
    assert_eq!(split_scheme_name_port("http:web:"), Some(("http", "web", "")));
    for bad in ["", ":80", "ftp:web:21", "a:b:c:d", "https::443"] {
        assert_eq!(split_scheme_name_port(bad), None, "{bad:?}");
    }
}
