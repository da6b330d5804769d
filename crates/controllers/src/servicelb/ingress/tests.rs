use super::*;

fn ingress(name: &str, value: Value) -> Ingress {
    let mut base = json!({
        "metadata": { "name": name, "namespace": "shop", "uid": format!("uid-{name}") },
        "spec": { "ingressClassName": "alb", "rules": [] }
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, value) {
        for (key, value) in extra {
            match (base.get_mut(&key), value) {
                (Some(Value::Object(inner)), Value::Object(more)) => inner.extend(more),
                (_, value) => {
                    base.insert(key, value);
                }
            }
        }
    }
    serde_json::from_value(base).unwrap()
}

fn service(name: &str, kind: &str) -> Service {
    serde_json::from_value(json!({
        "metadata": { "name": name, "namespace": "shop" },
        "spec": { "type": kind, "ports": [{ "name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080 }] }
    }))
    .unwrap()
}

fn class(name: &str, controller: &str) -> IngressClass {
    serde_json::from_value(json!({ "metadata": { "name": name }, "spec": { "controller": controller } })).unwrap()
}

fn rules(paths: Value) -> Value {
    json!({ "spec": { "rules": [{ "host": "shop.example.com", "http": { "paths": paths } }] } })
}

fn path(path: &str, kind: &str, service: &str) -> Value {
    json!({ "path": path, "pathType": kind, "backend": { "service": { "name": service, "port": { "number": 80 } } } })
}

const CONTROLLER: Provisioner = Provisioner::LoadBalancerController;

#[test]
fn the_class_or_the_old_annotation_says_who_serves_an_ingress() {
    let alb = class("alb", ALB_CONTROLLER);
    let auto = class("auto", "eks.amazonaws.com/alb");
    let nginx = class("nginx", "k8s.io/ingress-nginx");
    let classes = [&alb, &auto, &nginx];
    assert_eq!(controller_of(&ingress("a", json!({})), &classes), Some(CONTROLLER));
    let of_auto_mode = ingress("e", json!({ "spec": { "ingressClassName": "auto" } }));
    assert_eq!(controller_of(&of_auto_mode, &classes), Some(Provisioner::AutoMode));
    assert_eq!(controller_of(&ingress("b", json!({ "spec": { "ingressClassName": "nginx" } })), &classes), None);
    assert_eq!(controller_of(&ingress("c", json!({ "spec": { "ingressClassName": "missing" } })), &classes), None);
    let annotated: Ingress = serde_json::from_value(json!({
        "metadata": { "name": "d", "annotations": { "kubernetes.io/ingress.class": "alb" } }, "spec": {}
    }))
    .unwrap();
    assert_eq!(controller_of(&annotated, &classes), Some(CONTROLLER), "the older annotation is the controller's alone");
}

#[test]
fn groups_and_finalizers_follow_the_group_name() {
    let alone = ingress("a", json!({}));
    assert_eq!(
        group_of(&alone, CONTROLLER),
        IngressGroup { provisioner: CONTROLLER, id: "shop/a".into(), explicit: false }
    );
    assert_eq!(finalizer_of(&group_of(&alone, CONTROLLER)), "ingress.k8s.aws/resources");
    let grouped =
        ingress("b", json!({ "metadata": { "annotations": { "alb.ingress.kubernetes.io/group.name": "front" } } }));
    assert_eq!(finalizer_of(&group_of(&grouped, CONTROLLER)), "group.ingress.k8s.aws/front");
    // Auto Mode's finalizers are its own; each finalizer names its group back.
    let auto = Provisioner::AutoMode;
    assert_eq!(finalizer_of(&group_of(&alone, auto)), "ingress.eks.amazonaws.com/resources");
    assert_eq!(finalizer_of(&group_of(&grouped, auto)), "group.ingress.eks.amazonaws.com/front");
    for provisioner in [CONTROLLER, auto] {
        for member in [&alone, &grouped] {
            let group = group_of(member, provisioner);
            let mut finalized = (*member).clone();
            finalized.metadata.finalizers = Some(vec!["example.com/other".into(), finalizer_of(&group)]);
            assert_eq!(finalized_group(&finalized), Some((group.clone(), finalizer_of(&group))));
        }
    }
    assert_eq!(finalized_group(&alone), None);
    let first =
        ingress("z", json!({ "metadata": { "annotations": { "alb.ingress.kubernetes.io/group.order": "-1" } } }));
    let names: Vec<String> = ordered(vec![&alone, &grouped, &first]).unwrap().iter().map(|i| i.name_any()).collect();
    assert_eq!(names, ["z", "a", "b"]);
    let bad = ingress("y", json!({ "metadata": { "annotations": { "alb.ingress.kubernetes.io/group.order": "x" } } }));
    assert!(ordered(vec![&bad]).is_err());
}

#[test]
fn path_types_become_elbv2_patterns() {
    assert_eq!(path_patterns("/", "Prefix").unwrap(), ["/*"]);
    assert_eq!(path_patterns("/api/", "Prefix").unwrap(), ["/api", "/api/*"]);
    assert_eq!(path_patterns("/login", "Exact").unwrap(), ["/login"]);
    assert_eq!(path_patterns("/img/*.png", "ImplementationSpecific").unwrap(), ["/img/*.png"]);
    assert!(path_patterns("/a*", "Prefix").unwrap_err().contains("shouldn't contain wildcards"));
    assert!(path_patterns("/a", "Regex").unwrap_err().contains("unsupported pathType"));
}

#[test]
fn a_group_becomes_listeners_rules_and_target_groups() {
    let web = service("web", "NodePort");
    let api = service("api", "ClusterIP");
    let services: HashMap<(String, String), &Service> =
        [(("shop".into(), "web".into()), &web), (("shop".into(), "api".into()), &api)].into_iter().collect();
    let nodes = vec![NodeTarget { name: "n1".into(), instance_id: "i-1".into(), ready: true }];
    let front = ingress("front", rules(json!([path("/", "Prefix", "web")])));
    let group = group_of(&front, CONTROLLER);
    let spec = application_spec(
        &group,
        &[&front],
        &View { services: &services, nodes: &nodes, slices: &[], held: &HeldPods::new(), subnet_tags: &HashMap::new() },
    )
    .unwrap();
    assert!(spec.internal, "internal unless the scheme says otherwise");
    assert_eq!(spec.listeners.len(), 1);
    let listener = &spec.listeners[0];
    assert_eq!((listener.port, listener.protocol.as_str(), listener.default_backend), (80, "HTTP", None));
    assert_eq!(listener.rules[0].hosts, ["shop.example.com"]);
    assert_eq!(listener.rules[0].paths, ["/*"]);
    let backend = &spec.backends[listener.rules[0].backend];
    assert_eq!((backend.service.as_str(), backend.target_port), ("web", Some(30080)));
    assert_eq!(backend.targets, [Target { id: "i-1".into(), port: 30080, healthy: true }]);

    // Instance targets need a node port; ip targets do not.
    let to_api = ingress("api", rules(json!([path("/api", "Prefix", "api")])));
    let error = application_spec(
        &group_of(&to_api, CONTROLLER),
        &[&to_api],
        &View { services: &services, nodes: &nodes, slices: &[], held: &HeldPods::new(), subnet_tags: &HashMap::new() },
    )
    .unwrap_err();
    assert!(error.contains("must be either 'NodePort' or 'LoadBalancer'"), "{error}");
    let mut ip = to_api.clone();
    ip.metadata.annotations =
        Some([("alb.ingress.kubernetes.io/target-type".to_owned(), "ip".to_owned())].into_iter().collect());
    let spec = application_spec(
        &group_of(&ip, CONTROLLER),
        &[&ip],
        &View { services: &services, nodes: &nodes, slices: &[], held: &HeldPods::new(), subnet_tags: &HashMap::new() },
    )
    .unwrap();
    assert_eq!(spec.backends[0].target_type, TargetType::Ip);
    assert!(spec.backends[0].targets.is_empty(), "no endpoints yet");

    // HTTPS listeners need a certificate.
    let https = ingress(
        "tls",
        json!({ "metadata": { "annotations": {
            "alb.ingress.kubernetes.io/listen-ports": "[{\"HTTP\": 80}, {\"HTTPS\": 443}]",
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
        } } }),
    );
    let error = application_spec(
        &group_of(&https, CONTROLLER),
        &[&https],
        &View { services: &services, nodes: &nodes, slices: &[], held: &HeldPods::new(), subnet_tags: &HashMap::new() },
    )
    .unwrap_err();
    assert!(error.contains("no certificate"), "{error}");
}

#[test]
fn wrong_annotations_are_refused() {
    let services = HashMap::new();
    for (key, value, expected) in [
        ("listen-ports", "[{\"HTTP\": 80", "failed to parse json annotation"),
        ("listen-ports", "[{\"TCP\": 80}]", "must be within [HTTP, HTTPS]"),
        ("listen-ports", "[{\"HTTP\": 70000}]", "failed to parse json annotation"),
        ("scheme", "public", "unknown scheme"),
        ("target-type", "lambda", "unknown target type"),
        ("tags", "=x", "stringMap"),
        ("ip-address-type", "ipv6", "unknown IPAddressType: ipv6"),
        ("load-balancer-attributes", "idle_timeout.timeout_seconds=60,=true", "stringMap"),
    ] {
        let bad = ingress(
            "bad",
            json!({ "metadata": { "annotations": { format!("alb.ingress.kubernetes.io/{key}"): value } } }),
        );
        let error = application_spec(
            &group_of(&bad, CONTROLLER),
            &[&bad],
            &View {
                services: &services,
                nodes: &[],
                slices: &[],
                held: &HeldPods::new(),
                subnet_tags: &HashMap::new(),
            },
        )
        .unwrap_err();
        assert!(error.contains(expected), "{key}={value}: {error}");
    }
    let missing = ingress("m", rules(json!([path("/", "Prefix", "nowhere")])));
    let error = application_spec(
        &group_of(&missing, CONTROLLER),
        &[&missing],
        &View { services: &services, nodes: &[], slices: &[], held: &HeldPods::new(), subnet_tags: &HashMap::new() },
    )
    .unwrap_err();
    assert_eq!(error, "Service \"nowhere\" not found");
    // Members of one group that disagree on the scheme are refused.
    let a = ingress("a", json!({ "metadata": { "annotations": { "alb.ingress.kubernetes.io/scheme": "internal" } } }));
    let b = ingress(
        "b",
        json!({ "metadata": { "annotations": { "alb.ingress.kubernetes.io/scheme": "internet-facing" } } }),
    );
    let group = IngressGroup { provisioner: CONTROLLER, id: "g".into(), explicit: true };
    assert!(
        application_spec(
            &group,
            &[&a, &b],
            &View {
                services: &services,
                nodes: &[],
                slices: &[],
                held: &HeldPods::new(),
                subnet_tags: &HashMap::new()
            }
        )
        .unwrap_err()
        .contains("conflicting scheme")
    );
}

#[test]
fn auto_modes_ingresses_go_to_the_pods_and_group_only_through_their_class() {
    let web = service("web", "ClusterIP");
    let services: HashMap<(String, String), &Service> = [(("shop".into(), "web".into()), &web)].into_iter().collect();
    let annotated = ingress(
        "front",
        json!({
            "metadata": { "annotations": { "alb.ingress.kubernetes.io/group.name": "shared" } },
            "spec": { "rules": [{ "http": { "paths": [path("/", "Prefix", "web")] } }] },
        }),
    );
    let read = auto_mode_alb::as_read(&annotated);
    let group = group_of(&read, Provisioner::AutoMode);
    let alone = IngressGroup { provisioner: Provisioner::AutoMode, id: "shop/front".into(), explicit: false };
    assert_eq!(group, alone, "Auto Mode does not read the group annotation");
    let subnet_tags: HashMap<String, SubnetTags> =
        [("uid-front".to_owned(), vec![("tier".to_owned(), vec!["public".to_owned()])])].into_iter().collect();
    let held = HeldPods::new();
    let view = View { services: &services, nodes: &[], slices: &[], held: &held, subnet_tags: &subnet_tags };
    let spec = application_spec(&group, &[&read], &view).unwrap();
    assert_eq!(spec.backends[0].target_type, TargetType::Ip, "the pods, so a ClusterIP Service will do");
    assert_eq!(spec.subnet_tags, [("tier".to_owned(), vec!["public".to_owned()])]);
    // Told so, Auto Mode goes through the nodes, which needs a node port.
    let mut instance = read.clone();
    instance.metadata.annotations =
        Some([("alb.ingress.kubernetes.io/target-type".to_owned(), "instance".to_owned())].into_iter().collect());
    let error = application_spec(&group, &[&instance], &view).unwrap_err();
    assert!(error.contains("must be either 'NodePort' or 'LoadBalancer'"), "{error}");
}

#[test]
fn the_address_type_and_attributes_are_the_load_balancers_own() {
    let web = service("web", "NodePort");
    let services: HashMap<(String, String), &Service> = [(("shop".into(), "web".into()), &web)].into_iter().collect();
    let annotated = ingress(
        "front",
        json!({ "metadata": { "annotations": {
            "alb.ingress.kubernetes.io/ip-address-type": "dualstack",
            "alb.ingress.kubernetes.io/load-balancer-attributes":
                "idle_timeout.timeout_seconds=600, routing.http2.enabled=false",
        } } }),
    );
    let held = HeldPods::new();
    let subnet_tags = HashMap::new();
    let view = View { services: &services, nodes: &[], slices: &[], held: &held, subnet_tags: &subnet_tags };
    let spec = application_spec(&group_of(&annotated, CONTROLLER), &[&annotated], &view).unwrap();
    assert_eq!(spec.ip_address_type.as_deref(), Some("dualstack"));
    let attributes: Vec<(&str, &str)> = spec.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(attributes, [("idle_timeout.timeout_seconds", "600"), ("routing.http2.enabled", "false")]);
    let plain = ingress("plain", json!({}));
    let spec = application_spec(&group_of(&plain, CONTROLLER), &[&plain], &view).unwrap();
    assert_eq!((spec.ip_address_type, spec.attributes.len()), (None, 0), "ELBv2's defaults");
}
