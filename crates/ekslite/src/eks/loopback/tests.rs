use super::*;

fn rule(hosts: &[&str], paths: &[&str], backend: usize) -> ApplicationRule {
    ApplicationRule {
        hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        backend,
    }
}

fn routes(rules: Vec<ApplicationRule>, default_pool: Option<usize>) -> HttpRoutes {
    HttpRoutes { protocol: "HTTP".into(), rules, default_pool, pools: Vec::new() }
}

#[test]
fn requests_take_the_first_rule_whose_host_and_path_match() {
    let routes = routes(
        vec![
            rule(&["api.example.com"], &["/v1", "/v1/*"], 0),
            rule(&["*.example.com"], &[], 1),
            rule(&[], &["/static/*"], 2),
            rule(&[], &["/img/???.png"], 3),
        ],
        None,
    );
    assert_eq!(route_of(&routes, Some("api.example.com"), "/v1"), Some(0));
    assert_eq!(route_of(&routes, Some("API.Example.com:8080"), "/v1/users"), Some(0), "host without port, any case");
    assert_eq!(route_of(&routes, Some("api.example.com"), "/v2"), Some(1), "the wildcard host rule comes next");
    assert_eq!(route_of(&routes, Some("www.example.com"), "/static/a.css"), Some(1));
    assert_eq!(route_of(&routes, Some("other.org"), "/static/a.css"), Some(2));
    assert_eq!(route_of(&routes, None, "/static/a.css"), Some(2), "no host header meets only host-less rules");
    assert_eq!(route_of(&routes, Some("other.org"), "/Static/a.css"), None, "paths are case-sensitive");
    assert_eq!(route_of(&routes, Some("other.org"), "/img/abc.png"), Some(3));
    assert_eq!(route_of(&routes, Some("other.org"), "/img/abcd.png"), None, "? is one character");
}

#[test]
fn requests_no_rule_takes_go_to_the_default_action() {
    let with_default = routes(vec![rule(&[], &["/api/*"], 0)], Some(1));
    assert_eq!(route_of(&with_default, Some("x"), "/"), Some(1));
    assert_eq!(route_of(&with_default, Some("x"), "/api/z"), Some(0));
    let fixed_404 = routes(vec![rule(&[], &["/api/*"], 0)], None);
    assert_eq!(route_of(&fixed_404, Some("x"), "/"), None);
}

#[test]
fn a_service_load_balancers_listeners_route_streams_to_their_healthy_targets() {
    use controllers::load_balancers::Target;
    let listener = Listener {
        name: "http".into(),
        port: 80,
        protocol: "TCP".into(),
        target_protocol: "TCP".into(),
        target_port: Some(8080),
        certificate: None,
        targets: vec![
            Target { id: "10.0.0.1".into(), port: 8080, healthy: true },
            Target { id: "10.0.0.2".into(), port: 8080, healthy: false },
        ],
    };
    let routes = stream_routes("ns", "web", TargetType::Ip, &[listener]);
    let expected = Pool {
        namespace: "ns".into(),
        service: "web".into(),
        port_name: "http".into(),
        target_type: TargetType::Ip,
        healthy: vec!["10.0.0.1".into()],
    };
    assert_eq!(routes, vec![(80, Routing::Stream(expected))]);
}

#[test]
fn the_load_balancers_own_errors_are_its_html_pages() {
    let page = error_page(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()[header::CONTENT_TYPE], "text/html");
    assert_eq!(page.headers()[header::SERVER], "awselb/2.0");
}
