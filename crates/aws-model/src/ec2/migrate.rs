//! Moves a region stored by earlier versions to the current layout. Runs on the region's first use after an
//! upgrade; safe to run again after a crash and from several servers at once.
//!
//! - [`migrate`]: the whole network in one record (`ec2/network/state`) to one record per resource. Every record
//!   is written as the old one describes it, and only the last step, one transaction, removes the old record and
//!   marks the region done.
//! - [`upgrade`]: records from before network interfaces and network ACLs had records of their own (layout 0) to
//!   the current layout: every VPC gets its default ACL, every instance that is not terminated its primary
//!   interface holding its address, and the secondary addresses it kept move to that interface and to VPC CNI
//!   interfaces ([`upgrade_network`]). Ids are derived from the VPC's and the instance's, so every server that
//!   runs it writes the same records; each write holds only while the region's marker is unchanged, and the last
//!   one moves the marker to the current layout.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;
use store::{Compare, KeyValue, TxnOp};

use super::addresses::AddressMap;
use super::cidr::Cidr;
use super::instance_types::{DEFAULT_INSTANCE_TYPE, instance_type};
use super::interfaces::{CNI_CLUSTER_TAG, CNI_DESCRIPTION_PREFIX, CNI_INSTANCE_TAG, mac_address};
use super::storage::{Kind, LAYOUT, RegionRecord, Scope, Storage};
use super::{Ec2Error, InstanceState, InterfaceAttachment, Network, NetworkInterface, Subnet, Tags};
use crate::records::RecordError;

/// Writes per transaction while copying records over.
const BATCH: usize = 100;

/// Moves the region's old record, if there is one; `Ok(true)` when there was (the caller reads the region
/// again).
pub(super) async fn migrate(storage: &Storage<'_>, account: &str, region: &str) -> Result<bool, Ec2Error> {
    let legacy_key = storage.keys.legacy();
    let Some(legacy) = storage.records.get_raw_at(&legacy_key, None).await? else { return Ok(false) };
    let old: Value = serde_json::from_slice(&legacy.value)
        .map_err(|error| Ec2Error::Server(format!("record {legacy_key} is damaged: {error}")))?;
    let network = from_legacy(&old, account, region)?;
    let records = storage.records_of(&network);
    let mut counts: BTreeMap<Kind, u64> = BTreeMap::new();
    for (kind, _, _) in &records {
        if let Some(kind) = kind {
            *counts.entry(*kind).or_default() += 1;
        }
    }
    let puts: Vec<TxnOp> = records.into_iter().map(|(_, key, value)| TxnOp::Put { key, value }).collect();
    for batch in puts.chunks(BATCH) {
        storage.records.txn(Vec::new(), batch.to_vec()).await?;
    }
    // Layout 0: the next pass upgrades it.
    let marker = RegionRecord { account: account.to_owned(), region: region.to_owned(), layout: 0 };
    let mut last = vec![
        TxnOp::Put { key: storage.keys.region(), value: serde_json::to_vec(&marker).expect("serializes").into() },
        TxnOp::Delete { key: legacy_key.clone() },
    ];
    for kind in counts.keys() {
        last.push(TxnOp::Put { key: storage.keys.generation(*kind), value: b"1".to_vec().into() });
    }
    let compares = vec![
        Compare { key: legacy_key, mod_revision: legacy.mod_revision },
        Compare { key: storage.keys.region(), mod_revision: 0 },
    ];
    match storage.records.txn(compares, last).await {
        // Another server may have finished the move first.
        Ok(_) | Err(RecordError::Conflict(_)) => Ok(true),
        Err(error) => Err(error.into()),
    }
}

/// Upgrades a region whose marker (read as `marker`) names an earlier layout; `Ok(true)` when it did or another
/// server did meanwhile (the caller reads the region again), `Ok(false)` when the region is current.
pub(super) async fn upgrade(
    storage: &Storage<'_>,
    account: &str,
    region: &str,
    marker: &KeyValue,
) -> Result<bool, Ec2Error> {
    let record: RegionRecord = serde_json::from_slice(&marker.value)
        .map_err(|error| Ec2Error::Server(format!("record {} is damaged: {error}", marker.key)))?;
    if record.layout >= LAYOUT {
        return Ok(false);
    }
    let revision = storage.records.revision().await?;
    let mut view = storage.empty(account, region, revision);
    storage.load(&mut view, &Scope::new().all(Kind::Vpc).all(Kind::NetworkAcl).all(Kind::Instance)).await?;
    let before = storage.snapshot(&view);
    upgrade_network(&mut view.network);
    let puts = storage.puts(&view.network, &before);
    let guard = Compare { key: marker.key.clone(), mod_revision: marker.mod_revision };
    for batch in puts.chunks(BATCH) {
        match storage.records.txn(vec![guard.clone()], batch.to_vec()).await {
            Ok(_) => {}
            // Another server finished first.
            Err(RecordError::Conflict(_)) => return Ok(true),
            Err(error) => return Err(error.into()),
        }
    }
    let current = RegionRecord { layout: LAYOUT, ..record };
    let mut compares = vec![guard];
    let mut last =
        vec![TxnOp::Put { key: marker.key.clone(), value: serde_json::to_vec(&current).expect("serializes").into() }];
    for kind in [Kind::NetworkAcl, Kind::NetworkInterface, Kind::Instance] {
        let key = storage.keys.generation(kind);
        let found = storage.records.get_raw_at(&key, None).await?;
        let generation: u64 = found.as_ref().and_then(|kv| serde_json::from_slice(&kv.value).ok()).unwrap_or(0);
        compares.push(Compare { key: key.clone(), mod_revision: found.map_or(0, |kv| kv.mod_revision) });
        last.push(TxnOp::Put { key, value: serde_json::to_vec(&(generation + 1)).expect("serializes").into() });
    }
    match storage.records.txn(compares, last).await {
        Ok(_) | Err(RecordError::Conflict(_)) => Ok(true),
        Err(error) => Err(error.into()),
    }
}

/// The digits of an id (what follows its prefix).
fn digits(id: &str) -> &str {
    id.rsplit('-').next().unwrap_or_default()
}

/// The id of the `index`th interface derived from an instance's digits: the digits themselves for the primary
/// one (the id DescribeInstances showed for it before), with the first digit changed for the others.
fn derived_interface_digits(instance_id: &str, index: u32) -> String {
    let digits = digits(instance_id);
    let mut chars = digits.chars();
    let first = chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
    let changed = char::from_digit(first ^ (index % 16), 16).unwrap_or('0');
    std::iter::once(changed).chain(chars).collect()
}

/// The pure half of [`upgrade`]: the records a network of layout 0 needs (its VPCs, network ACLs and instances
/// loaded whole). A VPC's default ACL is `acl-` and the VPC's digits. An instance's primary interface holds its
/// address and as many of the secondary addresses it kept as an interface of its type holds; the rest go to
/// further interfaces as the VPC CNI makes them (each an address of them as its own primary), and what still
/// does not fit (instances kept up to their max pods) to the last of them.
pub(super) fn upgrade_network(network: &mut Network) {
    let vpcs: Vec<String> = network.vpcs.keys().cloned().collect();
    for vpc in vpcs {
        if network.default_acl(&vpc).is_none() {
            network.add_default_acl_with_id(format!("acl-{}", digits(&vpc)), &vpc);
        }
    }
    let ids: Vec<String> = network.instances.keys().cloned().collect();
    for id in ids {
        let instance = network.instances.get_mut(&id).expect("listed above");
        let secondary = std::mem::take(&mut instance.legacy_secondary_ips);
        if !instance.network_interfaces.is_empty() || instance.state == InstanceState::Terminated {
            continue;
        }
        let instance = instance.clone();
        let kind = instance_type(&instance.instance_type)
            .or_else(|| instance_type(DEFAULT_INSTANCE_TYPE))
            .expect("the default instance type is in the table");
        let room = (kind.ipv4_per_eni as usize).saturating_sub(1).max(1);
        let (first, mut rest) = secondary.split_at(room.min(secondary.len()));
        let mut interfaces = vec![(instance.private_ip, first.to_vec())];
        while !rest.is_empty() {
            if interfaces.len() >= kind.max_enis as usize {
                interfaces.last_mut().expect("one at least").1.extend_from_slice(rest);
                break;
            }
            let (chunk, left) = rest.split_at((room + 1).min(rest.len()));
            interfaces.push((chunk[0], chunk[1..].to_vec()));
            rest = left;
        }
        let mut attached = Vec::new();
        for (index, (private_ip, secondary_ips)) in interfaces.into_iter().enumerate() {
            let index = index as u32;
            let digits = derived_interface_digits(&instance.id, index);
            let eni_id = format!("eni-{digits}");
            let description =
                if index == 0 { String::new() } else { format!("{CNI_DESCRIPTION_PREFIX}{}", instance.id) };
            let eni = NetworkInterface {
                mac_address: mac_address(&eni_id),
                id: eni_id.clone(),
                subnet_id: instance.subnet_id.clone(),
                vpc_id: instance.vpc_id.clone(),
                availability_zone: instance.availability_zone.clone(),
                description,
                private_ip,
                secondary_ips,
                security_groups: instance.security_groups.clone(),
                source_dest_check: true,
                attachment: Some(InterfaceAttachment {
                    id: format!("eni-attach-{digits}"),
                    instance_id: instance.id.clone(),
                    device_index: index,
                    attached_at: instance.launched_at,
                    delete_on_termination: true,
                }),
                interface_type: None,
                requester_managed: false,
            };
            if index > 0 {
                let mut tags = Tags::new();
                tags.insert(CNI_INSTANCE_TAG.into(), instance.id.clone());
                if let Some(member) = &instance.nodegroup {
                    tags.insert(CNI_CLUSTER_TAG.into(), member.cluster.clone());
                }
                network.tag(&eni_id, &tags);
            }
            network.network_interfaces.insert(eni_id.clone(), eni);
            attached.push(eni_id);
        }
        network.instances.get_mut(&id).expect("listed above").network_interfaces = attached;
    }
}

/// The whole network an old record describes.
fn from_legacy(old: &Value, account: &str, region: &str) -> Result<Network, Ec2Error> {
    fn each<T: DeserializeOwned>(old: &Value, field: &str) -> Result<BTreeMap<String, T>, Ec2Error> {
        match old.get(field) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|error| Ec2Error::Server(format!("the old network's {field} are damaged: {error}"))),
        }
    }
    let mut network = Network::new(account, region);
    for (id, vpc) in each(old, "vpcs")? {
        network.vpcs.insert(id, vpc);
    }
    let allocated: BTreeMap<String, Vec<std::net::Ipv4Addr>> = old
        .get("subnets")
        .and_then(Value::as_object)
        .map(|subnets| {
            subnets
                .iter()
                .map(|(id, subnet)| {
                    let ips = subnet.get("allocated").cloned().and_then(|v| serde_json::from_value(v).ok());
                    (id.clone(), ips.unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    for (id, mut subnet) in each::<Subnet>(old, "subnets")? {
        let block = Cidr::parse(&subnet.cidr_block)
            .ok_or_else(|| Ec2Error::Server(format!("the old network's subnet {id} has a damaged block")))?;
        subnet.allocated = AddressMap::empty(block);
        subnet.allocated.extend(allocated.get(&id).into_iter().flatten().copied());
        network.subnets.insert(id, subnet);
    }
    for (id, group) in each(old, "security_groups")? {
        network.security_groups.insert(id, group);
    }
    for (id, gateway) in each(old, "internet_gateways")? {
        network.internet_gateways.insert(id, gateway);
    }
    for (id, table) in each(old, "route_tables")? {
        network.route_tables.insert(id, table);
    }
    for (id, nat) in each(old, "nat_gateways")? {
        network.nat_gateways.insert(id, nat);
    }
    for (id, address) in each(old, "addresses")? {
        network.addresses.insert(id, address);
    }
    for (id, instance) in each(old, "instances")? {
        network.instances.insert(id, instance);
    }
    for (id, template) in each(old, "launch_templates")? {
        network.launch_templates.insert(id, template);
    }
    for (id, group) in each(old, "auto_scaling_groups")? {
        network.auto_scaling_groups.insert(id, group);
    }
    network.tags = each(old, "tags")?;
    Ok(network)
}
