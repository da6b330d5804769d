//! Pod IPs. [`PodNetwork`] is what the agent asks for an address when a pod's sandbox starts and gives it back when
//! the pod is gone; [`SubnetPool`] hands out the addresses of each node's pod subnet in memory, as the VPC CNI hands
//! out secondary addresses of the node's subnet, for clusters without EC2 behind them.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;

use async_trait::async_trait;

/// Where pod IPs come from.
#[async_trait]
pub trait PodNetwork: Send + Sync + Debug {
    /// An address for a new pod on `node`, or why there is none.
    async fn allocate(&self, node: &str) -> Result<IpAddr, String>;
    /// Gives back an address `allocate` handed out for `node`.
    async fn release(&self, node: &str, ip: IpAddr);
    /// A pod on `node` holds `ip` from an earlier run of the agent: it is not handed out again until released.
    fn claim(&self, node: &str, ip: IpAddr);
    /// The agent registers `node` with this pod subnet (CIDR) and these addresses of its own (which are never
    /// handed to pods), or forgets it (`None`). Networks that know nodes some other way ignore it.
    fn node_changed(&self, node: &str, pod_subnet: Option<&str>, own_addresses: &[IpAddr]) {
        let _ = (node, pod_subnet, own_addresses);
    }
}

/// A CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    /// The first address.
    pub network: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Reads `10.0.1.0/24` or `2600:1f18::/64`; host bits are cleared.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        if prefix > bits {
            return None;
        }
        let value = to_u128(address) & mask(prefix, bits);
        Some(Cidr { network: from_u128(value, address.is_ipv4()), prefix })
    }

    /// How many addresses it holds (saturating).
    pub fn size(&self) -> u128 {
        let bits = if self.network.is_ipv4() { 32 } else { 128 };
        1u128.checked_shl(u32::from(bits - self.prefix)).unwrap_or(u128::MAX)
    }

    /// The address at `offset` from the first.
    pub fn nth(&self, offset: u128) -> IpAddr {
        from_u128(to_u128(self.network) + offset, self.network.is_ipv4())
    }

    /// Whether `ip` lies inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = if self.network.is_ipv4() { 32 } else { 128 };
        ip.is_ipv4() == self.network.is_ipv4() && to_u128(ip) & mask(self.prefix, bits) == to_u128(self.network)
    }
}

fn mask(prefix: u8, bits: u8) -> u128 {
    let all = if bits == 32 { u128::from(u32::MAX) } else { u128::MAX };
    let host = 1u128.checked_shl(u32::from(bits - prefix)).map_or(u128::MAX, |size| size - 1);
    all & !host
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_u128(value: u128, v4: bool) -> IpAddr {
    if v4 { IpAddr::V4(Ipv4Addr::from(value as u32)) } else { IpAddr::V6(Ipv6Addr::from(value)) }
}

/// AWS keeps the first four addresses and the last of every subnet.
const RESERVED_AT_START: u128 = 4;

#[derive(Debug, Default)]
struct Pool {
    used: BTreeSet<IpAddr>,
    /// Where the next search starts, so that a released address is not handed out again at once.
    cursor: u128,
}

#[derive(Debug, Default)]
struct Pools {
    subnets: HashMap<String, Cidr>,
    pools: HashMap<Cidr, Pool>,
}

/// Pod IPs from each node's pod subnet, in memory. Nodes sharing a subnet share its addresses; the nodes' own
/// addresses and AWS's reserved ones are never handed out.
#[derive(Debug, Default)]
pub struct SubnetPool {
    state: Mutex<Pools>,
}

impl SubnetPool {
    /// An empty pool; the agent registers nodes as it starts them.
    pub fn new() -> SubnetPool {
        SubnetPool::default()
    }

    fn take(&self, node: &str) -> Result<IpAddr, String> {
        let mut state = self.state.lock().expect("the pool lock is never poisoned");
        let cidr = *state.subnets.get(node).ok_or_else(|| format!("node {node} has no pod subnet"))?;
        let pool = state.pools.entry(cidr).or_default();
        let size = cidr.size();
        let usable = size.saturating_sub(RESERVED_AT_START + 1);
        for step in 0..usable.min(1 << 20) {
            let offset = RESERVED_AT_START + (pool.cursor + step) % usable;
            let ip = cidr.nth(offset);
            if pool.used.insert(ip) {
                pool.cursor = (pool.cursor + step + 1) % usable;
                return Ok(ip);
            }
        }
        Err(format!("no free address in subnet {}/{} for node {node}", cidr.network, cidr.prefix))
    }
}

#[async_trait]
impl PodNetwork for SubnetPool {
    async fn allocate(&self, node: &str) -> Result<IpAddr, String> {
        self.take(node)
    }

    async fn release(&self, node: &str, ip: IpAddr) {
        let mut state = self.state.lock().expect("the pool lock is never poisoned");
        // A node that left no longer names its subnet: any pool holding the address gives it back.
        match state.subnets.get(node).copied() {
            Some(cidr) => {
                if let Some(pool) = state.pools.get_mut(&cidr) {
                    pool.used.remove(&ip);
                }
            }
            None => {
                for (cidr, pool) in state.pools.iter_mut() {
                    if cidr.contains(ip) {
                        pool.used.remove(&ip);
                    }
                }
            }
        }
    }

    fn claim(&self, node: &str, ip: IpAddr) {
        let mut state = self.state.lock().expect("the pool lock is never poisoned");
        if let Some(cidr) = state.subnets.get(node).copied().filter(|cidr| cidr.contains(ip)) {
            state.pools.entry(cidr).or_default().used.insert(ip);
        }
    }

    fn node_changed(&self, node: &str, pod_subnet: Option<&str>, own_addresses: &[IpAddr]) {
        let mut state = self.state.lock().expect("the pool lock is never poisoned");
        match pod_subnet.and_then(Cidr::parse) {
            Some(cidr) => {
                state.subnets.insert(node.to_owned(), cidr);
                let pool = state.pools.entry(cidr).or_default();
                pool.used.extend(own_addresses.iter().copied().filter(|ip| cidr.contains(*ip)));
            }
            None => {
                state.subnets.remove(node);
            }
        }
    }
}

#[cfg(test)]
mod tests;
