use super::*;
use crate::ec2::endpoint_services::{describe_prefix_lists, describe_vpc_endpoint_services, prefix_list_of};
use crate::ec2::{CreateSubnet, RouteTable};

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

/// A VPC `10.0.0.0/16` with DNS hostnames on, subnets in `us-east-1a` and `us-east-1b` and a route table.
struct Fixture {
    network: Network,
    ids: IdSource,
    vpc: String,
    subnets: Vec<String>,
    table: String,
}

fn fixture() -> Fixture {
    let mut ids = IdSource::Sequence(0);
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut ids);
    let vpc = network.create_vpc(&mut ids, Some("10.0.0.0/16"), None, &Tags::new()).unwrap().id;
    network.modify_vpc_attribute(&vpc, None, Some(true)).unwrap();
    let subnets = [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")]
        .into_iter()
        .map(|(cidr, zone)| {
            let request = CreateSubnet {
                vpc_id: vpc.clone(),
                cidr_block: Some(cidr.into()),
                availability_zone: Some(zone.into()),
                ..CreateSubnet::default()
            };
            network.create_subnet(&mut ids, &request).unwrap().id
        })
        .collect();
    let table = network.create_route_table(&mut ids, &vpc, &Tags::new()).unwrap().id;
    Fixture { network, ids, vpc, subnets, table }
}

impl Fixture {
    fn create(&mut self, request: CreateVpcEndpoint) -> Result<VpcEndpoint, Ec2Error> {
        self.network.create_vpc_endpoint(&mut self.ids, &request, 1_700_000_000.0).map(|(endpoint, _)| endpoint)
    }

    fn gateway(&self, service: &str, tables: &[&str]) -> CreateVpcEndpoint {
        CreateVpcEndpoint {
            vpc_id: Some(self.vpc.clone()),
            service_name: Some(format!("com.amazonaws.us-east-1.{service}")),
            route_table_ids: tables.iter().map(|t| t.to_string()).collect(),
            ..CreateVpcEndpoint::default()
        }
    }

    fn interface(&self, service: &str, subnets: &[&str]) -> CreateVpcEndpoint {
        CreateVpcEndpoint {
            vpc_id: Some(self.vpc.clone()),
            service_name: Some(format!("com.amazonaws.us-east-1.{service}")),
            endpoint_type: Some("Interface".into()),
            subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
            ..CreateVpcEndpoint::default()
        }
    }

    fn table(&self, id: &str) -> &RouteTable {
        &self.network.route_tables[id]
    }

    fn modify(&mut self, id: &str, request: ModifyVpcEndpoint) -> Result<(), Ec2Error> {
        self.network.modify_vpc_endpoint(&mut self.ids, id, &request)
    }
}

fn invalid_parameter(error: Result<impl std::fmt::Debug, Ec2Error>) -> String {
    match error {
        Err(Ec2Error::InvalidParameter(message)) => message,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn a_gateway_endpoint_routes_its_prefix_list_through_itself_and_takes_the_routes_with_it() {
    let mut f = fixture();
    let table = f.table.clone();
    let endpoint = f.create(f.gateway("s3", &[&table, &table])).unwrap();
    assert_eq!(endpoint.endpoint_type, EndpointType::Gateway);
    assert_eq!(endpoint.route_table_ids, vec![table.clone()], "each table once");
    assert_eq!(endpoint.policy(), DEFAULT_POLICY);
    assert!(!endpoint.private_dns_enabled);
    assert!(endpoint.dns_entries("us-east-1").is_empty());
    let prefix_list = prefix_list_of("us-east-1", "com.amazonaws.us-east-1.s3").unwrap();
    let route = f.table(&table).routes.last().unwrap().clone();
    assert_eq!(route.destination, prefix_list.id);
    assert_eq!(route.target, RouteTarget::VpcEndpoint(endpoint.id.clone()));
    assert_eq!(f.network.route_state(f.table(&table), &route), "active");
    assert_eq!(
        f.network.delete_route(&table, &prefix_list.id),
        Err(Ec2Error::InvalidParameterValue(format!(
            "cannot remove route {} in route table {table}: it belongs to VPC endpoint {}",
            prefix_list.id, endpoint.id
        )))
    );

    // A second S3 gateway on the same table would route the same prefix list twice.
    assert_eq!(f.create(f.gateway("s3", &[&table])), Err(Ec2Error::RouteAlreadyExists(prefix_list.id.clone())));
    // A VPC holding an endpoint cannot go.
    assert!(matches!(f.network.delete_vpc(&f.vpc.clone()), Err(Ec2Error::DependencyViolation(_))));

    assert_eq!(f.network.delete_vpc_endpoints(std::slice::from_ref(&endpoint.id)).unwrap(), vec![]);
    assert!(f.table(&table).routes.iter().all(|route| route.target != RouteTarget::VpcEndpoint(endpoint.id.clone())));
    let unsuccessful = f.network.delete_vpc_endpoints(&[endpoint.id.clone(), "bogus".into()]).unwrap();
    assert_eq!(
        unsuccessful,
        vec![
            (endpoint.id.clone(), Ec2Error::VpcEndpointNotFound(endpoint.id.clone())),
            ("bogus".into(), Ec2Error::VpcEndpointIdMalformed("bogus".into())),
        ]
    );
}

#[test]
fn a_gateway_endpoint_refuses_what_only_interfaces_take_and_tables_it_cannot_use() {
    let mut f = fixture();
    let subnet = f.subnets[0].clone();
    let request = CreateVpcEndpoint { subnet_ids: vec![subnet], ..f.gateway("dynamodb", &[]) };
    assert_eq!(
        invalid_parameter(f.create(request)),
        "Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints."
    );
    assert_eq!(
        f.create(f.gateway("dynamodb", &["rtb-0123456789abcdef0"])),
        Err(Ec2Error::RouteTableNotFound("rtb-0123456789abcdef0".into()))
    );
    let other_vpc = f.network.create_vpc(&mut f.ids, Some("10.1.0.0/16"), None, &Tags::new()).unwrap().id;
    let foreign = f.network.create_route_table(&mut f.ids, &other_vpc, &Tags::new()).unwrap().id;
    let message = invalid_parameter(f.create(f.gateway("dynamodb", &[&foreign])));
    assert!(message.contains(&foreign), "{message}");
    assert_eq!(
        invalid_parameter(f.create(f.gateway("ec2", &[]))),
        "Endpoint type (Gateway) does not match available service types ([Interface])."
    );
    assert_eq!(
        f.create(f.gateway("bogus", &[])),
        Err(Ec2Error::InvalidServiceName("com.amazonaws.us-east-1.bogus".into()))
    );
    let request = CreateVpcEndpoint { vpc_id: Some("vpc-0123456789abcdef0".into()), ..f.gateway("s3", &[]) };
    assert_eq!(f.create(request), Err(Ec2Error::VpcNotFound("vpc-0123456789abcdef0".into())));
    let request = CreateVpcEndpoint { endpoint_type: Some("Resource".into()), ..f.gateway("s3", &[]) };
    assert!(invalid_parameter(f.create(request)).contains("VpcEndpointType"));
    let request = CreateVpcEndpoint { service_name: None, ..f.gateway("s3", &[]) };
    assert_eq!(
        f.create(request),
        Err(Ec2Error::MissingParameter("The request must contain the parameter ServiceName".into()))
    );
    assert!(f.network.vpc_endpoints.is_empty(), "nothing was made");
}

#[test]
fn an_interface_endpoint_holds_a_managed_interface_per_subnet_and_names_them_in_dns() {
    let mut f = fixture();
    let subnets = f.subnets.clone();
    let endpoint = f.create(f.interface("ecr.api", &[&subnets[0], &subnets[1]])).unwrap();
    let default_group = f.network.security_groups.values().find(|g| g.vpc_id == f.vpc && g.name == "default");
    assert_eq!(endpoint.security_groups, vec![default_group.unwrap().id.clone()]);
    assert!(endpoint.private_dns_enabled, "on by default for an interface endpoint");
    assert_eq!(endpoint.subnet_ids(), subnets);
    for (eni_id, subnet) in endpoint.network_interface_ids().iter().zip(&subnets) {
        let eni = &f.network.network_interfaces[eni_id];
        assert_eq!(&eni.subnet_id, subnet);
        assert_eq!(eni.interface_type(), "vpc_endpoint");
        assert_eq!(eni.description, format!("VPC Endpoint Interface {}", endpoint.id));
        assert!(eni.requester_managed);
        assert_eq!(eni.security_groups, endpoint.security_groups);
        assert!(f.network.subnets[subnet].allocated.contains(&eni.private_ip));
    }
    let names: Vec<String> = endpoint.dns_entries("us-east-1").into_iter().map(|entry| entry.dns_name).collect();
    let label = format!("{}-{}", endpoint.id, derived_chars(&endpoint.id, 8, false));
    assert_eq!(
        names,
        vec![
            format!("{label}.api.ecr.us-east-1.vpce.amazonaws.com"),
            format!("{label}-us-east-1a.api.ecr.us-east-1.vpce.amazonaws.com"),
            format!("{label}-us-east-1b.api.ecr.us-east-1.vpce.amazonaws.com"),
            "api.ecr.us-east-1.amazonaws.com".to_owned(),
        ]
    );
    assert_eq!(endpoint.dns_entries("us-east-1")[0].hosted_zone_id, "Z7HUB22UULQXV");

    // The subnets hold the interfaces' addresses; the interfaces belong to the endpoint.
    assert!(matches!(f.network.delete_subnet(&subnets[0]), Err(Ec2Error::DependencyViolation(_))));
    let eni = endpoint.network_interface_ids()[0].clone();
    assert!(matches!(f.network.delete_network_interface(&eni), Err(Ec2Error::NetworkInterfaceInUse(_))));

    f.network.delete_vpc_endpoints(std::slice::from_ref(&endpoint.id)).unwrap();
    assert!(endpoint.network_interface_ids().iter().all(|id| !f.network.network_interfaces.contains_key(id)));
    f.network.delete_subnet(&subnets[0]).unwrap();
}

#[test]
fn an_interface_endpoint_refuses_two_subnets_of_a_zone_route_tables_and_private_dns_without_vpc_dns() {
    let mut f = fixture();
    let request =
        CreateSubnet { vpc_id: f.vpc.clone(), cidr_block: Some("10.0.3.0/24".into()), ..CreateSubnet::default() };
    let request = CreateSubnet { availability_zone: Some("us-east-1a".into()), ..request };
    let same_zone = f.network.create_subnet(&mut f.ids, &request).unwrap().id;
    let first = f.subnets[0].clone();
    let message = invalid_parameter(f.create(f.interface("sts", &[&first, &same_zone])));
    assert!(message.starts_with(&format!("Found another VPC endpoint subnet in the availability zone of {same_zone}")));
    assert!(f.network.subnets[&first].allocated.is_empty(), "nothing is half-made");

    let table = f.table.clone();
    let request = CreateVpcEndpoint { route_table_ids: vec![table], ..f.interface("sts", &[]) };
    assert_eq!(
        invalid_parameter(f.create(request)),
        "Route table IDs are only supported for Gateway type VPC Endpoint."
    );

    let vpc = f.vpc.clone();
    f.network.modify_vpc_attribute(&vpc, None, Some(false)).unwrap();
    assert_eq!(
        invalid_parameter(f.create(f.interface("sts", &[&first]))),
        format!(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true \
             for {vpc}"
        )
    );
    let request = CreateVpcEndpoint { private_dns_enabled: Some(false), ..f.interface("sts", &[&first]) };
    let endpoint = f.create(request).unwrap();
    assert_eq!(endpoint.dns_entries("us-east-1").len(), 2, "regional and zonal names, no private one");
    assert_eq!(
        invalid_parameter(
            f.modify(&endpoint.id, ModifyVpcEndpoint { private_dns_enabled: Some(true), ..Default::default() })
        ),
        format!(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true \
             for {vpc}"
        )
    );

    let other_vpc = f.network.create_vpc(&mut f.ids, Some("10.1.0.0/16"), None, &Tags::new()).unwrap().id;
    let foreign_group = f.network.security_groups.values().find(|g| g.vpc_id == other_vpc).unwrap().id.clone();
    let request = CreateVpcEndpoint {
        security_group_ids: vec![foreign_group],
        private_dns_enabled: Some(false),
        ..f.interface("sts", &[])
    };
    assert!(matches!(f.create(request), Err(Ec2Error::InvalidParameterValue(_))));
    let request =
        CreateVpcEndpoint { private_dns_enabled: Some(false), ..f.interface("sts", &["subnet-0123456789abcdef0"]) };
    assert_eq!(f.create(request), Err(Ec2Error::SubnetNotFound("subnet-0123456789abcdef0".into())));
}

#[test]
fn s3s_interface_endpoint_with_private_dns_needs_its_gateway_endpoint() {
    let mut f = fixture();
    let vpc = f.vpc.clone();
    let first = f.subnets[0].clone();
    assert_eq!(
        invalid_parameter(f.create(f.interface("s3", &[&first]))),
        format!(
            "To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC {vpc} must have a Gateway endpoint for \
             the service."
        )
    );
    let request = CreateVpcEndpoint {
        private_dns_only_for_inbound_resolver_endpoint: Some(false),
        ..f.interface("s3", &[&first])
    };
    let endpoint = f.create(request).unwrap();
    assert_eq!(endpoint.private_dns_only_for_inbound_resolver_endpoint, Some(false));
    assert!(endpoint.dns_entries("us-east-1")[0].dns_name.starts_with("*.vpce-"), "S3's names are wildcards");
    f.create(f.gateway("s3", &[])).unwrap();
    let second = f.subnets[1].clone();
    let endpoint = f.create(f.interface("s3", &[&second])).unwrap();
    assert_eq!(endpoint.private_dns_only_for_inbound_resolver_endpoint, Some(true));
    let request = CreateVpcEndpoint {
        private_dns_only_for_inbound_resolver_endpoint: Some(true),
        private_dns_enabled: Some(false),
        ..f.interface("sts", &[])
    };
    assert!(invalid_parameter(f.create(request)).starts_with("DnsOptions PrivateDnsOnlyForInboundResolverEndpoint"));
}

#[test]
fn a_client_token_answers_the_endpoint_it_made() {
    let mut f = fixture();
    let request = CreateVpcEndpoint { client_token: Some("token-1".into()), ..f.gateway("s3", &[]) };
    let (first, again) = f.network.create_vpc_endpoint(&mut f.ids, &request, 1.0).unwrap();
    assert!(!again);
    let (second, again) = f.network.create_vpc_endpoint(&mut f.ids, &request, 2.0).unwrap();
    assert!(again);
    assert_eq!(first, second);
    assert_eq!(f.network.vpc_endpoints.len(), 1);
    let other = CreateVpcEndpoint { client_token: Some("token-1".into()), ..f.gateway("dynamodb", &[]) };
    assert!(matches!(f.create(other), Err(Ec2Error::IdempotentParameterMismatch(_))));
    let long = CreateVpcEndpoint { client_token: Some("x".repeat(65)), ..f.gateway("s3", &[]) };
    assert!(matches!(f.create(long), Err(Ec2Error::InvalidParameterValue(_))));
}

#[test]
fn policies_are_checked_set_and_reset() {
    let mut f = fixture();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    let request = CreateVpcEndpoint { policy_document: Some("{not json".into()), ..f.gateway("s3", &[]) };
    assert!(matches!(f.create(request), Err(Ec2Error::InvalidPolicyDocument(_))));
    let huge = format!(r#"{{"Statement":[{{"Sid":"{}"}}]}}"#, "x".repeat(POLICY_MAX));
    let request = CreateVpcEndpoint { policy_document: Some(huge), ..f.gateway("s3", &[]) };
    assert!(matches!(f.create(request), Err(Ec2Error::InvalidPolicyDocument(_))));
    let request = CreateVpcEndpoint { policy_document: Some(policy.into()), ..f.gateway("s3", &[]) };
    let endpoint = f.create(request).unwrap();
    assert_eq!(endpoint.policy(), policy);
    let both = ModifyVpcEndpoint { reset_policy: true, policy_document: Some(policy.into()), ..Default::default() };
    assert!(matches!(f.modify(&endpoint.id, both), Err(Ec2Error::InvalidParameterCombination(_))));
    f.modify(&endpoint.id, ModifyVpcEndpoint { reset_policy: true, ..Default::default() }).unwrap();
    assert_eq!(f.network.vpc_endpoints[&endpoint.id].policy(), DEFAULT_POLICY);
}

#[test]
fn modify_moves_route_tables_subnets_and_groups() {
    let mut f = fixture();
    let (vpc, table) = (f.vpc.clone(), f.table.clone());
    let main = f.network.route_tables.values().find(|t| t.vpc_id == vpc && t.is_main()).unwrap().id.clone();
    let gateway = f.create(f.gateway("dynamodb", &[&table])).unwrap();
    let change = ModifyVpcEndpoint {
        add_route_table_ids: vec![main.clone()],
        remove_route_table_ids: vec![table.clone()],
        ..Default::default()
    };
    f.modify(&gateway.id, change).unwrap();
    assert_eq!(f.network.vpc_endpoints[&gateway.id].route_table_ids, vec![main.clone()]);
    let through =
        |table: &RouteTable| table.routes.iter().any(|r| r.target == RouteTarget::VpcEndpoint(gateway.id.clone()));
    assert!(through(f.table(&main)) && !through(f.table(&table)));
    let wrong = ModifyVpcEndpoint { remove_route_table_ids: vec![table.clone()], ..Default::default() };
    assert!(invalid_parameter(f.modify(&gateway.id, wrong)).contains("is not associated"));
    let wrong = ModifyVpcEndpoint { add_subnet_ids: vec![f.subnets[0].clone()], ..Default::default() };
    assert!(invalid_parameter(f.modify(&gateway.id, wrong)).starts_with("Subnet IDs are only supported"));

    let subnets = f.subnets.clone();
    let endpoint = f.create(f.interface("logs", &[&subnets[0]])).unwrap();
    let group = f
        .network
        .create_security_group(
            &mut f.ids,
            &crate::ec2::CreateSecurityGroup {
                name: Some("endpoints".into()),
                description: Some("endpoints".into()),
                vpc_id: Some(vpc.clone()),
                tags: Tags::new(),
            },
        )
        .unwrap()
        .id;
    let default = endpoint.security_groups[0].clone();
    let change = ModifyVpcEndpoint {
        add_subnet_ids: vec![subnets[1].clone()],
        remove_subnet_ids: vec![subnets[0].clone()],
        add_security_group_ids: vec![group.clone()],
        remove_security_group_ids: vec![default.clone()],
        ..Default::default()
    };
    f.modify(&endpoint.id, change).unwrap();
    let stored = f.network.vpc_endpoints[&endpoint.id].clone();
    assert_eq!(stored.subnet_ids(), vec![subnets[1].clone()]);
    assert_eq!(stored.security_groups, vec![group.clone()]);
    assert!(!f.network.network_interfaces.contains_key(&endpoint.network_interface_ids()[0]), "its interface went");
    let eni = &f.network.network_interfaces[&stored.network_interface_ids()[0]];
    assert_eq!(eni.security_groups, vec![group.clone()]);
    assert!(f.network.subnets[&subnets[0]].allocated.is_empty());
    let none_left = ModifyVpcEndpoint { remove_security_group_ids: vec![group], ..Default::default() };
    assert!(invalid_parameter(f.modify(&endpoint.id, none_left)).contains("at least one security group"));
    assert_eq!(
        f.modify("vpce-0123456789abcdef0", ModifyVpcEndpoint::default()),
        Err(Ec2Error::VpcEndpointNotFound("vpce-0123456789abcdef0".into()))
    );
}

#[test]
fn describe_filters_by_vpc_service_type_state_and_tags() {
    let mut f = fixture();
    let mut tags = Tags::new();
    tags.insert("Name".into(), "s3".into());
    let request = CreateVpcEndpoint { tags, ..f.gateway("s3", &[]) };
    let s3 = f.create(request).unwrap();
    let first = f.subnets[0].clone();
    let sts = f.create(f.interface("sts", &[&first])).unwrap();
    let found = |filters: &[Filter]| -> Vec<String> {
        f.network.describe_vpc_endpoints(&[], filters).unwrap().iter().map(|e| e.id.clone()).collect()
    };
    assert_eq!(found(&[]), vec![s3.id.clone(), sts.id.clone()]);
    assert_eq!(found(&[filter("vpc-endpoint-type", &["Interface"])]), vec![sts.id.clone()]);
    assert_eq!(found(&[filter("service-name", &["com.amazonaws.us-east-1.s3"])]), vec![s3.id.clone()]);
    assert_eq!(found(&[filter("tag:Name", &["s3"])]), vec![s3.id.clone()]);
    assert_eq!(found(&[filter("tag-key", &["Name"])]), vec![s3.id.clone()]);
    assert_eq!(found(&[filter("vpc-endpoint-state", &["available"]), filter("vpc-id", &[&f.vpc])]).len(), 2);
    assert_eq!(found(&[filter("vpc-endpoint-id", &[&sts.id])]), vec![sts.id.clone()]);
    assert_eq!(
        f.network.describe_vpc_endpoints(&[], &[filter("colour", &[])]),
        Err(Ec2Error::InvalidFilter("colour".into()))
    );
    assert_eq!(
        f.network.describe_vpc_endpoints(&["vpce-0123456789abcdef0".into()], &[]),
        Err(Ec2Error::VpcEndpointNotFound("vpce-0123456789abcdef0".into()))
    );
    assert_eq!(
        f.network.describe_vpc_endpoints(&["garbage\0".into()], &[]),
        Err(Ec2Error::VpcEndpointIdMalformed("garbage\0".into()))
    );
    assert_eq!(crate::ec2::resource_type(&s3.id), Some("vpc-endpoint"));
    f.network.check_resource(&s3.id).unwrap();
}

#[test]
fn the_catalogue_names_the_services_a_private_cluster_needs_and_the_gateway_prefix_lists() {
    let all = describe_vpc_endpoint_services("eu-west-1", &[], &[]).unwrap();
    for service in ["ec2", "ecr.api", "ecr.dkr", "sts", "logs", "eks", "eks-auth", "ssm", "elasticfilesystem"] {
        let name = format!("com.amazonaws.eu-west-1.{service}");
        assert!(all.iter().any(|s| s.name == name && s.endpoint_type == EndpointType::Interface), "{service}");
    }
    let s3: Vec<_> = all.iter().filter(|s| s.name == "com.amazonaws.eu-west-1.s3").collect();
    assert_eq!(s3.len(), 2, "S3 has a gateway and an interface service");
    let dkr = all.iter().find(|s| s.name == "com.amazonaws.eu-west-1.ecr.dkr").unwrap();
    assert_eq!(dkr.base_endpoint_dns_name, "dkr.ecr.eu-west-1.vpce.amazonaws.com");
    assert_eq!(dkr.private_dns_name.as_deref(), Some("*.dkr.ecr.eu-west-1.amazonaws.com"));
    assert_eq!(dkr.availability_zones, vec!["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    let gateways = describe_vpc_endpoint_services("eu-west-1", &[], &[filter("service-type", &["Gateway"])]).unwrap();
    let names: Vec<&str> = gateways.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["com.amazonaws.eu-west-1.dynamodb", "com.amazonaws.eu-west-1.s3"]);
    assert_eq!(
        describe_vpc_endpoint_services("eu-west-1", &["com.amazonaws.eu-west-1.bogus".into()], &[]),
        Err(Ec2Error::InvalidServiceName("com.amazonaws.eu-west-1.bogus".into()))
    );

    let lists = describe_prefix_lists("eu-west-1", &[], &[]).unwrap();
    assert_eq!(lists.len(), 2);
    assert!(lists.iter().all(|list| list.id.starts_with("pl-") && list.id.len() == 11 && !list.cidrs.is_empty()));
    let s3_list = prefix_list_of("eu-west-1", "com.amazonaws.eu-west-1.s3").unwrap();
    assert_ne!(Some(s3_list.id.clone()), prefix_list_of("us-east-1", "com.amazonaws.us-east-1.s3").map(|l| l.id));
    let by_name =
        describe_prefix_lists("eu-west-1", &[], &[filter("prefix-list-name", &["com.amazonaws.eu-west-1.s3"])])
            .unwrap();
    assert_eq!(by_name, vec![s3_list.clone()]);
    assert_eq!(describe_prefix_lists("eu-west-1", std::slice::from_ref(&s3_list.id), &[]).unwrap(), vec![s3_list]);
    assert_eq!(
        describe_prefix_lists("eu-west-1", &["pl-00000000".into()], &[]),
        Err(Ec2Error::PrefixListNotFound("pl-00000000".into()))
    );
}
