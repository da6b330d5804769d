//! Moves a region stored by earlier versions, the whole network in one record (`ec2/network/state`), to one
//! record per resource. Runs on the region's first use after an upgrade; safe to run again after a crash and
//! from several servers at once: every record is written as the old one describes it, and only the last step,
//! one transaction, removes the old record and marks the region done.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;
use store::{Compare, TxnOp};

use super::addresses::AddressMap;
use super::cidr::Cidr;
use super::storage::{Kind, RegionRecord, Storage};
use super::{Ec2Error, Network, Subnet};

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
    let marker = RegionRecord { account: account.to_owned(), region: region.to_owned() };
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
        Ok(_) | Err(crate::records::RecordError::Conflict(_)) => Ok(true),
        Err(error) => Err(error.into()),
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
