use super::*;

fn check_cidr(text: &str, expect: Option<(&str, u8, u128)>) {
    let parsed = Cidr::parse(text).map(|cidr| (cidr.network.to_string(), cidr.prefix, cidr.size()));
    assert_eq!(parsed, expect.map(|(network, prefix, size)| (network.to_owned(), prefix, size)), "{text:?}");
}

#[test]
fn cidrs() {
    check_cidr("10.0.1.0/24", Some(("10.0.1.0", 24, 256)));
    check_cidr("10.0.1.77/24", Some(("10.0.1.0", 24, 256)));
    check_cidr("10.0.0.0/16", Some(("10.0.0.0", 16, 65536)));
    check_cidr("0.0.0.0/0", Some(("0.0.0.0", 0, 1 << 32)));
    check_cidr("2600:1f18::/64", Some(("2600:1f18::", 64, 1 << 64)));
    for garbage in ["", "10.0.1.0", "10.0.1.0/33", "10.0.1/24", "x/8", "10.0.1.0/-1", "::/129"] {
        check_cidr(garbage, None);
    }
    let cidr = Cidr::parse("10.0.1.0/24").unwrap();
    assert!(cidr.contains("10.0.1.255".parse().unwrap()));
    assert!(!cidr.contains("10.0.2.0".parse().unwrap()));
    assert!(!cidr.contains("::1".parse().unwrap()));
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[tokio::test]
async fn the_pool_hands_out_each_address_once_skipping_reserved_and_node_addresses() {
    let pool = SubnetPool::new();
    pool.node_changed("a", Some("10.0.1.0/28"), &[ip("10.0.1.5")]);
    pool.node_changed("b", Some("10.0.1.0/28"), &[ip("10.0.1.6")]);
    let mut handed = Vec::new();
    for node in ["a", "b", "a", "b", "a", "b", "a", "b"] {
        handed.push(pool.allocate(node).await.unwrap().to_string());
    }
    // A /28 holds 16 addresses: .0-.3 and .15 are AWS's, .5 and .6 the nodes'.
    assert_eq!(
        handed,
        ["10.0.1.4", "10.0.1.7", "10.0.1.8", "10.0.1.9", "10.0.1.10", "10.0.1.11", "10.0.1.12", "10.0.1.13"]
    );
    assert_eq!(pool.allocate("a").await.unwrap(), ip("10.0.1.14"));
    let error = pool.allocate("b").await.unwrap_err();
    assert!(error.contains("no free address"), "{error}");
    pool.release("a", ip("10.0.1.9")).await;
    assert_eq!(pool.allocate("b").await.unwrap(), ip("10.0.1.9"));
}

#[tokio::test]
async fn nodes_without_a_subnet_get_no_address_and_forgotten_nodes_give_addresses_back() {
    let pool = SubnetPool::new();
    assert!(pool.allocate("nobody").await.is_err());
    pool.node_changed("bad", Some("not a cidr"), &[]);
    assert!(pool.allocate("bad").await.is_err());
    pool.node_changed("a", Some("10.0.2.0/29"), &[]);
    let first = pool.allocate("a").await.unwrap();
    let second = pool.allocate("a").await.unwrap();
    assert_eq!((first, second), (ip("10.0.2.4"), ip("10.0.2.5")));
    assert!(pool.allocate("a").await.unwrap() == ip("10.0.2.6"));
    pool.node_changed("a", None, &[]);
    pool.release("a", first).await;
    pool.node_changed("c", Some("10.0.2.0/29"), &[]);
    assert_eq!(pool.allocate("c").await.unwrap(), first);
}

#[tokio::test]
async fn an_address_claimed_after_a_restart_is_not_handed_out_until_released() {
    let pool = SubnetPool::new();
    pool.node_changed("a", Some("10.0.3.0/29"), &[]);
    // A pod from before the restart holds .4; an address outside the node's subnet is ignored.
    pool.claim("a", ip("10.0.3.4"));
    pool.claim("a", ip("192.168.0.9"));
    pool.claim("nobody", ip("10.0.3.5"));
    assert_eq!(pool.allocate("a").await.unwrap(), ip("10.0.3.5"));
    assert_eq!(pool.allocate("a").await.unwrap(), ip("10.0.3.6"));
    assert!(pool.allocate("a").await.is_err(), "a /29 has three addresses for pods");
    pool.release("a", ip("10.0.3.4")).await;
    assert_eq!(pool.allocate("a").await.unwrap(), ip("10.0.3.4"));
}
