//! Service cluster IPs and node ports: what kube-apiserver's service REST storage allocates on create and
//! update and releases on delete.
//!
//! Each allocation is one key under `/clusters/<uid>/allocations/`, created with the store's create-if-absent,
//! so two servers sharing a store never hand out the same IP or port. A request that fails after allocating
//! gives back what it took; a crash in between leaks an allocation, as it can upstream until its repair loop
//! runs.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use bytes::Bytes;
use serde_json::{Value, json};
use store::{DynStore, ListOptions, StoreError};

use crate::status::{ApiError, Cause};

/// The service CIDR an EKS cluster gets when none is configured (EKS picks it unless the VPC uses 10.0.0.0/8).
pub const DEFAULT_SERVICE_CIDR: &str = "10.100.0.0/16";

/// The node port range kube-apiserver allocates from by default (`--service-node-port-range`).
pub const NODE_PORTS: RangeInclusive<u16> = 30000..=32767;

/// How many random picks to try before scanning for a free value.
const RANDOM_TRIES: usize = 32;

/// An IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    base: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    pub fn parse(text: &str) -> Option<Ipv4Cidr> {
        let (address, prefix) = text.split_once('/')?;
        let address: Ipv4Addr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok().filter(|p| (8..=30).contains(p))?;
        let mask = u32::MAX << (32 - prefix);
        Some(Ipv4Cidr { base: u32::from(address) & mask, prefix })
    }

    fn size(&self) -> u32 {
        1 << (32 - self.prefix)
    }

    fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & (u32::MAX << (32 - self.prefix)) == self.base
    }

    /// The first usable address: the `kubernetes` service's.
    pub fn first(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base + 1)
    }

    /// Offsets handed out dynamically. As upstream, the lowest part of the range is left for addresses users
    /// ask for explicitly (the first 16 to 256 addresses, a sixteenth of the range).
    fn dynamic_offsets(&self) -> RangeInclusive<u32> {
        let reserved = (self.size() / 16).clamp(16, 256);
        reserved..=self.size() - 2
    }
}

impl std::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

/// What one create or update took and what it gives back once it has succeeded.
#[derive(Debug, Default)]
pub struct Allocation {
    taken: Vec<String>,
    freed: Vec<String>,
}

/// The allocator of one cluster.
#[derive(Debug, Clone)]
pub struct ServiceAllocator {
    store: DynStore,
    prefix: String,
    cidr: Ipv4Cidr,
}

impl ServiceAllocator {
    pub fn new(store: DynStore, cluster_uid: &str, cidr: Ipv4Cidr) -> ServiceAllocator {
        ServiceAllocator { store, prefix: format!("/clusters/{cluster_uid}/allocations/"), cidr }
    }

    pub fn cidr(&self) -> Ipv4Cidr {
        self.cidr
    }

    fn ip_key(&self, address: Ipv4Addr) -> String {
        format!("{}serviceips/{address}", self.prefix)
    }

    fn port_key(&self, port: u16) -> String {
        format!("{}nodeports/{port}", self.prefix)
    }

    async fn claim(&self, key: String, owner: &str, allocation: &mut Allocation) -> Result<bool, ApiError> {
        match self.store.create(&key, Bytes::copy_from_slice(owner.as_bytes())).await {
            Ok(_) => {
                allocation.taken.push(key);
                Ok(true)
            }
            Err(StoreError::AlreadyExists { .. }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Fills in a service's cluster IP and node ports, copying them from `old` on updates as kube-apiserver
    /// does when a client leaves them out. Errors are field causes for an `Invalid` status; whatever was taken
    /// before an error is given back.
    pub async fn allocate(
        &self,
        service: &mut Value,
        owner: &str,
        old: Option<&Value>,
    ) -> Result<Result<Allocation, Vec<Cause>>, ApiError> {
        let mut allocation = Allocation::default();
        let outcome = self.allocate_into(service, owner, old, &mut allocation).await;
        match outcome {
            Ok(causes) if causes.is_empty() => Ok(Ok(allocation)),
            Ok(causes) => {
                self.undo(allocation).await;
                Ok(Err(causes))
            }
            Err(error) => {
                self.undo(allocation).await;
                Err(error)
            }
        }
    }

    async fn allocate_into(
        &self,
        service: &mut Value,
        owner: &str,
        old: Option<&Value>,
        allocation: &mut Allocation,
    ) -> Result<Vec<Cause>, ApiError> {
        let mut causes = Vec::new();
        if !service.get("spec").is_some_and(Value::is_object) {
            return Ok(causes);
        }
        let kind = service["spec"]["type"].as_str().unwrap_or("ClusterIP").to_owned();
        let old_spec = old.map(|old| &old["spec"]);
        if kind != "ExternalName" {
            self.cluster_ip(service, owner, old_spec, allocation, &mut causes).await?;
        }
        self.node_ports(service, &kind, owner, old_spec, allocation, &mut causes).await?;
        // What the old object held and the new one no longer does is given back after the write.
        if let Some(old_spec) = old_spec {
            let kept: Vec<u16> = node_ports_of(&service["spec"]);
            for port in node_ports_of(old_spec) {
                if !kept.contains(&port) {
                    allocation.freed.push(self.port_key(port));
                }
            }
        }
        Ok(causes)
    }

    async fn cluster_ip(
        &self,
        service: &mut Value,
        owner: &str,
        old_spec: Option<&Value>,
        allocation: &mut Allocation,
        causes: &mut Vec<Cause>,
    ) -> Result<(), ApiError> {
        let spec = &mut service["spec"];
        let asked = spec["clusterIP"]
            .as_str()
            .filter(|ip| !ip.is_empty())
            .or_else(|| spec["clusterIPs"].get(0).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        if old_spec.is_some() {
            // An update keeps its address: `k8s_model::service_keep_allocated` carried it over and
            // `validate_update` refused a change before the allocator runs.
            return Ok(());
        }
        let address = if asked == "None" {
            "None".to_owned()
        } else if asked.is_empty() {
            self.random_ip(owner, allocation).await?.to_string()
        } else {
            let invalid = |message: String| Cause {
                reason: "FieldValueInvalid",
                message: format!("Invalid value: \"{asked}\": {message}"),
                field: "spec.clusterIPs[0]".into(),
            };
            let Ok(address) = asked.parse::<Ipv4Addr>() else {
                causes.push(invalid("must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)".into()));
                return Ok(());
            };
            if !self.cidr.contains(address) || address == Ipv4Addr::from(self.cidr.base) {
                causes.push(invalid(format!(
                    "failed to allocate IP {asked}: the provided IP ({asked}) is not in the valid range. The range of valid IPs is {}",
                    self.cidr
                )));
                return Ok(());
            }
            if !self.claim(self.ip_key(address), owner, allocation).await? {
                causes.push(invalid(format!("failed to allocate IP {asked}: provided IP is already allocated")));
                return Ok(());
            }
            address.to_string()
        };
        spec["clusterIP"] = json!(address);
        spec["clusterIPs"] = json!([address]);
        if address != "None" || spec.get("ipFamilies").is_none() {
            spec["ipFamilies"] = json!(["IPv4"]);
        }
        if spec.get("ipFamilyPolicy").is_none_or(Value::is_null) {
            spec["ipFamilyPolicy"] = json!("SingleStack");
        }
        Ok(())
    }

    async fn random_ip(&self, owner: &str, allocation: &mut Allocation) -> Result<Ipv4Addr, ApiError> {
        let offsets = self.cidr.dynamic_offsets();
        let span = offsets.end() - offsets.start() + 1;
        for _ in 0..RANDOM_TRIES {
            let offset = offsets.start() + random_u32() % span;
            let address = Ipv4Addr::from(self.cidr.base + offset);
            if self.claim(self.ip_key(address), owner, allocation).await? {
                return Ok(address);
            }
        }
        // The range is crowded: walk it from the bottom of the dynamic part, then the reserved part.
        let taken = self.taken("serviceips/").await?;
        let all = offsets.clone().chain(1..*offsets.start());
        for offset in all {
            let address = Ipv4Addr::from(self.cidr.base + offset);
            if !taken.contains(&address.to_string()) && self.claim(self.ip_key(address), owner, allocation).await? {
                return Ok(address);
            }
        }
        Err(ApiError::internal("failed to allocate a serviceIP: range is full"))
    }

    async fn node_ports(
        &self,
        service: &mut Value,
        kind: &str,
        owner: &str,
        old_spec: Option<&Value>,
        allocation: &mut Allocation,
        causes: &mut Vec<Cause>,
    ) -> Result<(), ApiError> {
        let wants_ports = matches!(kind, "NodePort" | "LoadBalancer");
        let old_ports: Vec<(i64, String, u16)> = old_spec
            .and_then(|spec| spec["ports"].as_array())
            .map(|ports| {
                ports
                    .iter()
                    .filter_map(|p| {
                        let node_port = u16::try_from(p["nodePort"].as_i64()?).ok()?;
                        Some((p["port"].as_i64()?, protocol(p), node_port))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let Some(ports) = service["spec"]["ports"].as_array_mut() else { return Ok(()) };
        for (index, port) in ports.iter_mut().enumerate() {
            if !port.is_object() {
                continue;
            }
            let field = format!("spec.ports[{index}].nodePort");
            let given = port.get("nodePort").and_then(Value::as_i64).filter(|p| *p != 0);
            if !wants_ports {
                if given.is_some() {
                    causes.push(Cause {
                        reason: "FieldValueForbidden",
                        message: format!("Forbidden: may not be used when `type` is '{kind}'"),
                        field,
                    });
                }
                continue;
            }
            let previous = old_ports
                .iter()
                .find(|(number, proto, _)| Some(*number) == port["port"].as_i64() && *proto == protocol(port))
                .map(|(_, _, node_port)| *node_port);
            let node_port = match given {
                Some(given) if old_ports.iter().any(|(_, _, p)| i64::from(*p) == given) => given as u16,
                Some(given) => {
                    let in_range = u16::try_from(given).ok().filter(|p| NODE_PORTS.contains(p));
                    let Some(wanted) = in_range else {
                        causes.push(Cause {
                            reason: "FieldValueInvalid",
                            message: format!(
                                "Invalid value: {given}: provided port is not in the valid range. The range of valid ports is {}-{}",
                                NODE_PORTS.start(),
                                NODE_PORTS.end()
                            ),
                            field,
                        });
                        continue;
                    };
                    if !self.claim(self.port_key(wanted), owner, allocation).await? {
                        causes.push(Cause {
                            reason: "FieldValueInvalid",
                            message: format!("Invalid value: {given}: provided port is already allocated"),
                            field,
                        });
                        continue;
                    }
                    wanted
                }
                None => match previous {
                    Some(previous) => previous,
                    None => self.random_port(owner, allocation).await?,
                },
            };
            port["nodePort"] = json!(node_port);
        }
        Ok(())
    }

    async fn random_port(&self, owner: &str, allocation: &mut Allocation) -> Result<u16, ApiError> {
        let span = u32::from(NODE_PORTS.end() - NODE_PORTS.start()) + 1;
        for _ in 0..RANDOM_TRIES {
            let port = NODE_PORTS.start() + (random_u32() % span) as u16;
            if self.claim(self.port_key(port), owner, allocation).await? {
                return Ok(port);
            }
        }
        let taken = self.taken("nodeports/").await?;
        for port in NODE_PORTS {
            if !taken.contains(&port.to_string()) && self.claim(self.port_key(port), owner, allocation).await? {
                return Ok(port);
            }
        }
        Err(ApiError::internal("failed to allocate a nodePort: range is full"))
    }

    async fn taken(&self, kind: &str) -> Result<std::collections::HashSet<String>, ApiError> {
        let prefix = format!("{}{kind}", self.prefix);
        let page = self.store.list(&prefix, ListOptions::default()).await?;
        Ok(page.items.into_iter().filter_map(|kv| kv.key.strip_prefix(&prefix).map(str::to_owned)).collect())
    }

    /// Gives back what a failed request took.
    pub async fn undo(&self, allocation: Allocation) {
        for key in allocation.taken {
            let _ = self.store.delete(&key, None).await;
        }
    }

    /// Gives back what an update no longer uses, once the update is stored.
    pub async fn commit(&self, allocation: Allocation) {
        for key in allocation.freed {
            let _ = self.store.delete(&key, None).await;
        }
    }

    /// Gives back a deleted service's IP and ports.
    pub async fn release(&self, service: &Value) {
        let spec = &service["spec"];
        if let Some(address) = spec["clusterIP"].as_str().and_then(|ip| ip.parse::<Ipv4Addr>().ok()) {
            let _ = self.store.delete(&self.ip_key(address), None).await;
        }
        for port in node_ports_of(spec) {
            let _ = self.store.delete(&self.port_key(port), None).await;
        }
    }

    /// Takes a fixed address for a service the cluster creates itself (`default/kubernetes`).
    pub async fn reserve(&self, address: Ipv4Addr, owner: &str) -> Result<(), StoreError> {
        match self.store.create(&self.ip_key(address), Bytes::copy_from_slice(owner.as_bytes())).await {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

fn protocol(port: &Value) -> String {
    port["protocol"].as_str().unwrap_or("TCP").to_owned()
}

fn node_ports_of(spec: &Value) -> Vec<u16> {
    spec["ports"]
        .as_array()
        .map(|ports| ports.iter().filter_map(|p| u16::try_from(p["nodePort"].as_i64()?).ok()).collect())
        .unwrap_or_default()
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    u32::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_and_reserve_the_bottom_of_the_range() {
        let cidr = Ipv4Cidr::parse("10.100.0.0/16").unwrap();
        assert_eq!(cidr.to_string(), "10.100.0.0/16");
        assert_eq!(cidr.first(), Ipv4Addr::new(10, 100, 0, 1));
        assert_eq!(cidr.dynamic_offsets(), 256..=65534);
        assert!(cidr.contains(Ipv4Addr::new(10, 100, 255, 254)) && !cidr.contains(Ipv4Addr::new(10, 101, 0, 1)));
        assert_eq!(Ipv4Cidr::parse("172.20.7.9/24").unwrap().to_string(), "172.20.7.0/24");
        assert_eq!(Ipv4Cidr::parse("172.20.0.0/24").unwrap().dynamic_offsets(), 16..=254);
        for garbage in ["", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/4", "x/16", "10.0.0/16", "10.0.0.0/-1"] {
            assert_eq!(Ipv4Cidr::parse(garbage), None, "{garbage:?}");
        }
    }
}
