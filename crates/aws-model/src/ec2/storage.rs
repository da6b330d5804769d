//! How a [`Network`] view is read from and written to the store: one record per resource, changed in
//! optimistic transactions.
//!
//! Keys, under `/aws/<account>/<region>/`:
//! - `ec2/<kind>/<id>` for each resource ([`Kind`]: `vpc`, `subnet`, `security-group`, `internet-gateway`,
//!   `route-table`, `nat-gateway`, `elastic-ip`, `network-acl`, `network-interface`, `launch-template`,
//!   `instance`, `volume`, `snapshot`, `key-pair`, `vpc-endpoint`) and `autoscaling/group/<name>`; a resource's tags are stored in its record;
//! - `ec2/subnet-addresses/<subnet>/<chunk>` for the addresses in use in a subnet ([`AddressMap`]);
//! - `ec2/generation/<kind>`: a counter every create and delete of a record of that kind moves;
//! - `ec2/region`: present once the region's default VPC has been made.
//!
//! A change names what it reads in a [`Scope`]: whole kinds, records by id (checked at commit), records by id as
//! context (not checked unless written), and subnets whose addresses it hands out. Everything is read at one
//! store revision, so the view is consistent; the change then runs on it, and what it changed is written in one
//! store transaction that holds only if nothing the change relied on moved since that revision:
//! - every record it loaded by id (present or absent), every record it writes, and every address chunk it read
//!   keep the revision they were read at;
//! - for every kind it read whole, and every kind it creates or deletes records of, the kind's generation keeps
//!   its revision (and moves, when it creates or deletes).
//!
//! Records of a kind read whole are not checked one by one: a change that reads a whole kind may rely only on
//! which records exist and on fields that never change (ids, blocks, names, VPCs), or must load by id (or write)
//! the records whose changing fields it relies on. This keeps a transaction within etcd's limit of 128 compares
//! and 128 writes ([`MAX_COMPARES`], [`MAX_WRITES`]) whatever the size of the region.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use store::{Compare, KeyValue, Revision, TxnOp};

use super::addresses::{AddressChunk, AddressMap};
use super::cidr::Cidr;
use super::loaded::Loaded;
use super::templates::LaunchTemplateVersion;
use super::{Ec2Error, Network, SecurityGroup, Tags};
use crate::records::{DecodeCache, RecordError, Records};

/// The most keys one transaction may compare.
pub const MAX_COMPARES: usize = 128;
/// The most keys one transaction may write.
pub const MAX_WRITES: usize = 128;

/// A kind of record of the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    SecurityGroup,
    InternetGateway,
    RouteTable,
    NatGateway,
    ElasticIp,
    NetworkAcl,
    NetworkInterface,
    LaunchTemplate,
    Instance,
    AutoScalingGroup,
    Volume,
    Snapshot,
    KeyPair,
    VpcEndpoint,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 16] = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::SecurityGroup,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::NatGateway,
        Kind::ElasticIp,
        Kind::NetworkAcl,
        Kind::NetworkInterface,
        Kind::LaunchTemplate,
        Kind::Instance,
        Kind::AutoScalingGroup,
        Kind::Volume,
        Kind::Snapshot,
        Kind::KeyPair,
        Kind::VpcEndpoint,
    ];

    /// The networking kinds: what most EC2 calls look through.
    pub const FABRIC: [Kind; 8] = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::SecurityGroup,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::NatGateway,
        Kind::ElasticIp,
        Kind::NetworkAcl,
    ];

    /// The key segment of the kind: `<service>/<kind>`.
    fn path(self) -> &'static str {
        match self {
            Kind::Vpc => "ec2/vpc",
            Kind::Subnet => "ec2/subnet",
            Kind::SecurityGroup => "ec2/security-group",
            Kind::InternetGateway => "ec2/internet-gateway",
            Kind::RouteTable => "ec2/route-table",
            Kind::NatGateway => "ec2/nat-gateway",
            Kind::ElasticIp => "ec2/elastic-ip",
            Kind::NetworkAcl => "ec2/network-acl",
            Kind::NetworkInterface => "ec2/network-interface",
            Kind::LaunchTemplate => "ec2/launch-template",
            Kind::Instance => "ec2/instance",
            Kind::AutoScalingGroup => "autoscaling/group",
            Kind::Volume => "ec2/volume",
            Kind::Snapshot => "ec2/snapshot",
            Kind::KeyPair => "ec2/key-pair",
            Kind::VpcEndpoint => "ec2/vpc-endpoint",
        }
    }

    /// The kind of a taggable EC2 id, from its prefix.
    pub fn of_id(id: &str) -> Option<Kind> {
        let (prefix, _) = id.split_once('-')?;
        Some(match prefix {
            "vpc" => Kind::Vpc,
            "subnet" => Kind::Subnet,
            "sg" => Kind::SecurityGroup,
            "igw" => Kind::InternetGateway,
            "rtb" => Kind::RouteTable,
            "nat" => Kind::NatGateway,
            "eipalloc" => Kind::ElasticIp,
            "acl" => Kind::NetworkAcl,
            "eni" => Kind::NetworkInterface,
            "lt" => Kind::LaunchTemplate,
            "i" => Kind::Instance,
            "vol" => Kind::Volume,
            "snap" => Kind::Snapshot,
            "key" => Kind::KeyPair,
            "vpce" => Kind::VpcEndpoint,
            _ => return None,
        })
    }
}

/// Where a region's records are.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    base: String,
}

impl Keys {
    pub fn new(account: &str, region: &str) -> Keys {
        Keys { base: format!("/aws/{account}/{region}/") }
    }

    pub fn prefix(&self, kind: Kind) -> String {
        format!("{}{}/", self.base, kind.path())
    }

    pub fn record(&self, kind: Kind, id: &str) -> String {
        format!("{}{}/{id}", self.base, kind.path())
    }

    pub fn generation(&self, kind: Kind) -> String {
        format!("{}ec2/generation/{}", self.base, kind.path().rsplit('/').next().unwrap_or_default())
    }

    /// The versions of a launch template (all templates' versions when `None`).
    pub fn versions(&self, template: Option<&str>) -> String {
        match template {
            Some(id) => format!("{}ec2/launch-template-version/{id}/", self.base),
            None => format!("{}ec2/launch-template-version/", self.base),
        }
    }

    pub fn version(&self, template: &str, number: u64) -> String {
        format!("{}{number:08}", self.versions(Some(template)))
    }

    pub fn chunk(&self, subnet: &str, index: u64) -> String {
        format!("{}ec2/subnet-addresses/{subnet}/{index:02}", self.base)
    }

    pub fn region(&self) -> String {
        format!("{}ec2/region", self.base)
    }

    /// The record of the one-record network this layout replaced.
    pub fn legacy(&self) -> String {
        format!("{}ec2/network/state", self.base)
    }
}

/// What the region marker holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RegionRecord {
    pub account: String,
    pub region: String,
    /// The layout the region's records are in: 0 before network interfaces and network ACLs had records of their
    /// own, [`LAYOUT`] since (`migrate.rs` moves a region from one to the next).
    #[serde(default)]
    pub layout: u32,
}

/// The layout of the records this version writes.
pub(crate) const LAYOUT: u32 = 1;

/// How much of a kind a scope reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Selection {
    all: bool,
    /// Read by id and checked at commit.
    ids: BTreeSet<String>,
    /// Read by id, checked only if written.
    context: BTreeSet<String>,
}

impl Selection {
    fn covers(&self, other: &Selection) -> bool {
        self.all || (!other.all && other.ids.is_subset(&self.ids) && other.context.iter().all(|id| self.has(id)))
    }

    fn has(&self, id: &str) -> bool {
        self.all || self.ids.contains(id) || self.context.contains(id)
    }
}

/// What a change or a read loads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    kinds: BTreeMap<Kind, Selection>,
    /// Subnets whose addresses load.
    addresses: BTreeSet<String>,
    /// Whether every loaded subnet's addresses load.
    all_addresses: bool,
}

impl Scope {
    /// Nothing.
    pub fn new() -> Scope {
        Scope::default()
    }

    /// Every networking record (VPCs, subnets, security groups, gateways, route tables, Elastic IPs).
    pub fn fabric() -> Scope {
        Kind::FABRIC.into_iter().fold(Scope::new(), Scope::all)
    }

    /// Every record of the region, with every subnet's addresses.
    pub fn everything() -> Scope {
        Scope { all_addresses: true, ..Kind::ALL.into_iter().fold(Scope::new(), Scope::all) }
    }

    /// Every record of a kind.
    pub fn all(mut self, kind: Kind) -> Scope {
        self.kinds.entry(kind).or_default().all = true;
        self
    }

    /// Records of a kind by id, checked at commit.
    pub fn ids<I: Into<String>>(mut self, kind: Kind, ids: impl IntoIterator<Item = I>) -> Scope {
        self.kinds.entry(kind).or_default().ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// One record by id, checked at commit.
    pub fn id(self, kind: Kind, id: impl Into<String>) -> Scope {
        self.ids(kind, [id.into()])
    }

    /// Records of a kind by id as context: read at the same revision but not checked unless written.
    pub fn context<I: Into<String>>(mut self, kind: Kind, ids: impl IntoIterator<Item = I>) -> Scope {
        self.kinds.entry(kind).or_default().context.extend(ids.into_iter().map(Into::into));
        self
    }

    /// The addresses of a subnet (and the subnet, by id).
    pub fn addresses(mut self, subnet: impl Into<String>) -> Scope {
        let subnet = subnet.into();
        self.addresses.insert(subnet.clone());
        self.id(Kind::Subnet, subnet)
    }

    /// The addresses of every subnet loaded.
    pub fn all_addresses(mut self) -> Scope {
        self.all_addresses = true;
        self
    }

    /// The id of a taggable resource (with the not-found checks of tags).
    pub fn resource(self, id: &str) -> Scope {
        if id.starts_with("sgr-") {
            // A rule lives in its group's record, and its id does not say which group that is.
            return self.all(Kind::SecurityGroup);
        }
        match Kind::of_id(id) {
            Some(kind) => self.id(kind, id),
            None => self,
        }
    }

    /// Both scopes.
    pub fn and(mut self, other: Scope) -> Scope {
        for (kind, selection) in other.kinds {
            let mine = self.kinds.entry(kind).or_default();
            mine.all |= selection.all;
            mine.ids.extend(selection.ids);
            mine.context.extend(selection.context);
        }
        self.addresses.extend(other.addresses);
        self.all_addresses |= other.all_addresses;
        self
    }

    /// Whether this scope reads everything `other` reads.
    pub fn covers(&self, other: &Scope) -> bool {
        other.kinds.iter().all(|(kind, wanted)| self.kinds.get(kind).is_some_and(|have| have.covers(wanted)))
            && (self.all_addresses || (!other.all_addresses && other.addresses.is_subset(&self.addresses)))
    }
}

/// A record as stored: the resource and its tags.
#[derive(Deserialize)]
struct Stored<T> {
    #[serde(flatten)]
    value: T,
    /// Named so that no resource's own field (an Auto Scaling group's `tags`) can take its place.
    #[serde(default, rename = "$tags")]
    tags: Tags,
}

/// A record to store.
#[derive(Serialize)]
struct StoredRef<'a, T> {
    #[serde(flatten)]
    value: &'a T,
    #[serde(rename = "$tags", skip_serializing_if = "Tags::is_empty")]
    tags: &'a Tags,
}

/// A stored record and its tags, decoded once per revision through the records' [`DecodeCache`] (so that a change
/// that reads many records, a region's instances, decodes only those written since it last read them) and cloned
/// into each view that reads it.
fn decode_cached<T: DeserializeOwned + Clone + Send + Sync + 'static>(
    cache: &DecodeCache,
    key: &str,
    revision: Revision,
    bytes: &[u8],
) -> Result<(T, Tags), Ec2Error> {
    let shared =
        cache.decode(key, revision, || decode::<Stored<T>>(key, bytes).map(|stored| (stored.value, stored.tags)))?;
    Ok((*shared).clone())
}

/// How a key was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Read {
    /// Its `mod_revision` then; 0 when it did not exist.
    revision: Revision,
    /// Whether the commit checks it even when it is not written.
    check: bool,
}

/// A network view read at one revision, with what it was read from.
#[derive(Debug)]
pub(crate) struct View {
    pub network: Network,
    pub revision: Revision,
    scope: Scope,
    reads: BTreeMap<String, Read>,
    /// Generations of the kinds read whole or changed: key to (revision, value).
    generations: BTreeMap<Kind, (Revision, u64)>,
    /// Records outside the network to create with the change (the region marker).
    creates: BTreeMap<String, Bytes>,
    /// The stored bytes of every record loaded, as [`Storage::snapshot`] gives them.
    raw: BTreeMap<String, (Option<Kind>, Bytes)>,
}

impl View {
    /// Whether the view holds everything `scope` reads.
    pub fn covers(&self, scope: &Scope) -> bool {
        self.scope.covers(scope)
    }

    /// Creates a record outside the network with the change; it must not exist.
    pub fn create<T: Serialize>(&mut self, key: String, value: &T) {
        self.creates.insert(key, encode(value));
    }
}

/// Reads and writes views of one region.
#[derive(Debug, Clone)]
pub(crate) struct Storage<'a> {
    pub records: &'a Records,
    pub keys: Keys,
}

/// Whether an id can name a record: not empty, at most 256 bytes, without a NUL or a slash (ids come from requests).
fn is_record_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && !id.contains(['\0', '/'])
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, Ec2Error> {
    serde_json::from_slice(bytes).map_err(|error| Ec2Error::Server(format!("record {key} is damaged: {error}")))
}

fn encode<T: Serialize>(value: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("records serialize"))
}

impl Storage<'_> {
    /// An empty view of the region at `revision`, to load into.
    pub fn empty(&self, account: &str, region: &str, revision: Revision) -> View {
        View {
            network: Network::unloaded(account, region),
            revision,
            scope: Scope::new(),
            reads: BTreeMap::new(),
            generations: BTreeMap::new(),
            creates: BTreeMap::new(),
            raw: BTreeMap::new(),
        }
    }

    /// Loads what `scope` reads and the view does not have yet, at the view's revision.
    pub async fn load(&self, view: &mut View, scope: &Scope) -> Result<(), Ec2Error> {
        for (kind, wanted) in &scope.kinds {
            let have = view.scope.kinds.get(kind).cloned().unwrap_or_default();
            if wanted.all && !have.all {
                self.load_all(view, *kind).await?;
            }
            let all = wanted.all || have.all;
            for (ids, check) in [(&wanted.ids, true), (&wanted.context, false)] {
                for id in ids {
                    let key = self.keys.record(*kind, id);
                    match view.reads.get_mut(&key) {
                        // Loaded before: only its checking may change.
                        Some(read) => read.check |= check,
                        None if all => {
                            // Read with the whole kind: absent then, so absent now; checked from now on.
                            view.reads.insert(key, Read { revision: 0, check });
                        }
                        None => self.load_one(view, *kind, id, check).await?,
                    }
                }
            }
            let entry = view.scope.kinds.entry(*kind).or_default();
            entry.all |= wanted.all;
            entry.ids.extend(wanted.ids.iter().cloned());
            entry.context.extend(wanted.context.iter().cloned());
            view.network.mark_loaded(*kind, entry.all, entry.ids.iter().chain(&entry.context));
        }
        let subnets: Vec<String> = if scope.all_addresses {
            view.network.subnets.loaded().keys().cloned().collect()
        } else {
            scope.addresses.iter().cloned().collect()
        };
        for subnet in subnets {
            self.load_addresses(view, &subnet).await?;
        }
        view.scope.addresses.extend(scope.addresses.iter().cloned());
        view.scope.all_addresses |= scope.all_addresses;
        Ok(())
    }

    async fn load_all(&self, view: &mut View, kind: Kind) -> Result<(), Ec2Error> {
        let items = self.records.list_raw_at(&self.keys.prefix(kind), view.revision).await?;
        for kv in items {
            let id = kv.key.rsplit('/').next().unwrap_or_default().to_owned();
            if view.reads.contains_key(&kv.key) {
                continue;
            }
            view.reads.insert(kv.key.clone(), Read { revision: kv.mod_revision, check: false });
            view.network.put_record(self.records.cache(), kind, &id, &kv)?;
            view.raw.insert(kv.key.clone(), (Some(kind), kv.value.clone()));
        }
        if kind == Kind::LaunchTemplate {
            self.load_versions(view, None).await?;
        }
        self.read_generation(view, kind).await
    }

    async fn load_one(&self, view: &mut View, kind: Kind, id: &str, check: bool) -> Result<(), Ec2Error> {
        let key = self.keys.record(kind, id);
        if !is_record_id(id) {
            // No record has such an id (a request's garbage: a NUL, a slash, a megabyte): absent, without asking
            // the store, whose keys could not hold it.
            view.reads.insert(key, Read { revision: 0, check: false });
            return Ok(());
        }
        let found = self.records.get_raw_at(&key, Some(view.revision)).await?;
        let revision = found.as_ref().map_or(0, |kv| kv.mod_revision);
        view.reads.insert(key.clone(), Read { revision, check });
        if let Some(kv) = found {
            view.network.put_record(self.records.cache(), kind, id, &kv)?;
            view.raw.insert(key, (Some(kind), kv.value));
            if kind == Kind::LaunchTemplate {
                self.load_versions(view, Some(id)).await?;
            }
        }
        Ok(())
    }

    /// The versions of one loaded template, or of every loaded template, in number order. Versions never change
    /// once written; a new one is a new key, so two changes adding the same number conflict.
    async fn load_versions(&self, view: &mut View, template: Option<&str>) -> Result<(), Ec2Error> {
        let items = self.records.list_raw_at(&self.keys.versions(template), view.revision).await?;
        for kv in items {
            let Some(owner) = kv.key.rsplit('/').nth(1).map(str::to_owned) else { continue };
            let Some(loaded) = view.network.launch_templates.get_loaded_mut(&owner) else {
                // The version of a template deleted since (left for the sweep): not part of anything.
                continue;
            };
            let version =
                decode_cached::<LaunchTemplateVersion>(self.records.cache(), &kv.key, kv.mod_revision, &kv.value)?.0;
            if !loaded.versions.iter().any(|known| known.number == version.number) {
                loaded.versions.push(version);
            }
            view.reads.entry(kv.key.clone()).or_insert(Read { revision: kv.mod_revision, check: false });
            view.raw.insert(kv.key, (None, kv.value));
        }
        for template in view.network.launch_templates.loaded_values_mut() {
            template.versions.sort_by_key(|version| version.number);
        }
        Ok(())
    }

    async fn load_addresses(&self, view: &mut View, subnet_id: &str) -> Result<(), Ec2Error> {
        let Some(subnet) = view.network.subnets.loaded().get(subnet_id) else { return Ok(()) };
        if subnet.allocated.is_loaded() {
            return Ok(());
        }
        let block =
            Cidr::parse(&subnet.cidr_block).ok_or_else(|| Ec2Error::Server("a stored block is damaged".into()))?;
        let mut chunks = Vec::new();
        for index in 0..AddressMap::chunk_count(block) {
            let key = self.keys.chunk(subnet_id, index);
            let found = self.records.get_raw_at(&key, Some(view.revision)).await?;
            view.reads
                .insert(key.clone(), Read { revision: found.as_ref().map_or(0, |kv| kv.mod_revision), check: true });
            chunks.push(match found {
                Some(kv) => {
                    let chunk = decode::<AddressChunk>(&key, &kv.value)?;
                    view.raw.insert(key, (None, kv.value));
                    Some(chunk)
                }
                None => None,
            });
        }
        let map = AddressMap::from_chunks(block, &chunks);
        if let Some(subnet) = view.network.subnets.get_loaded_mut(subnet_id) {
            subnet.allocated = map;
        }
        Ok(())
    }

    async fn read_generation(&self, view: &mut View, kind: Kind) -> Result<(), Ec2Error> {
        if view.generations.contains_key(&kind) {
            return Ok(());
        }
        let key = self.keys.generation(kind);
        let found = self.records.get_raw_at(&key, Some(view.revision)).await?;
        let generation = match &found {
            Some(kv) => decode::<u64>(&key, &kv.value)?,
            None => 0,
        };
        view.generations.insert(kind, (found.map_or(0, |kv| kv.mod_revision), generation));
        Ok(())
    }

    /// Every record a view holds, encoded: what it would store. Launch template versions never change, so those
    /// in `stored` keep their stored bytes.
    fn encoded(
        &self,
        network: &Network,
        stored: &BTreeMap<String, (Option<Kind>, Bytes)>,
    ) -> BTreeMap<String, (Option<Kind>, Bytes)> {
        let mut out = BTreeMap::new();
        for kind in Kind::ALL {
            for (id, bytes) in network.encode_kind(kind) {
                out.insert(self.keys.record(kind, &id), (Some(kind), bytes));
            }
        }
        for template in network.launch_templates.loaded().values() {
            for version in &template.versions {
                let key = self.keys.version(&template.id, version.number);
                let bytes = match stored.get(&key) {
                    Some((_, bytes)) => bytes.clone(),
                    None => encode(&StoredRef { value: version, tags: &Tags::new() }),
                };
                out.insert(key, (None, bytes));
            }
        }
        for subnet in network.subnets.loaded().values() {
            for (index, chunk) in subnet.allocated.chunks() {
                if let Some(chunk) = chunk {
                    out.insert(self.keys.chunk(&subnet.id, index), (None, encode(&chunk)));
                }
            }
        }
        out
    }

    /// The records a view holds that differ from `before` (from [`Storage::snapshot`]), as puts: what a migration
    /// writes. Records gone from the view are not deleted.
    pub fn puts(&self, network: &Network, before: &BTreeMap<String, (Option<Kind>, Bytes)>) -> Vec<TxnOp> {
        self.encoded(network, before)
            .into_iter()
            .filter(|(key, (_, bytes))| before.get(key).map(|(_, old)| old) != Some(bytes))
            .map(|(key, (_, value))| TxnOp::Put { key, value })
            .collect()
    }

    /// Every record of a whole network, with its kind (none for address chunks), key and encoding.
    pub fn records_of(&self, network: &Network) -> Vec<(Option<Kind>, String, Bytes)> {
        self.encoded(network, &BTreeMap::new()).into_iter().map(|(key, (kind, bytes))| (kind, key, bytes)).collect()
    }

    /// What a view holds as loaded, before a change runs on it: to compare the changed view with. The records
    /// as they were stored (every record is written as this module encodes it, so an unchanged record encodes
    /// to the same bytes).
    pub fn snapshot(&self, view: &View) -> BTreeMap<String, (Option<Kind>, Bytes)> {
        view.raw.clone()
    }

    /// Stores what changed between `before` (from [`Storage::snapshot`]) and the view, if nothing it relied on
    /// moved since it was read. `Ok(None)` when something did: the change must run again on a fresh view. Else
    /// the keys left to [`Storage::sweep`]: versions of a deleted launch template past what one transaction
    /// writes, which nothing reads once their template is gone.
    pub async fn commit(
        &self,
        mut view: View,
        before: &BTreeMap<String, (Option<Kind>, Bytes)>,
    ) -> Result<Option<Vec<String>>, Ec2Error> {
        let after = self.encoded(&view.network, before);
        // Address chunks of loaded maps that are no longer in use: deleted (they were read, so `before` or
        // the reads know them).
        let mut ops = Vec::new();
        let mut written = BTreeSet::new();
        let mut counted: BTreeSet<Kind> = BTreeSet::new();
        for (key, (kind, bytes)) in &after {
            if before.get(key).map(|(_, old)| old) != Some(bytes) {
                if !before.contains_key(key)
                    && let Some(kind) = kind
                {
                    counted.insert(*kind);
                }
                ops.push(TxnOp::Put { key: key.clone(), value: bytes.clone() });
                written.insert(key.clone());
            }
        }
        counted.extend(view.network.moved.iter().copied());
        for (key, bytes) in &view.creates {
            ops.push(TxnOp::Put { key: key.clone(), value: bytes.clone() });
            written.insert(key.clone());
        }
        let orphan_room = MAX_WRITES / 2;
        let mut orphans = Vec::new();
        for (key, (kind, _)) in before {
            if !after.contains_key(key) {
                if let Some(kind) = kind {
                    counted.insert(*kind);
                }
                if self.is_orphaned_version(key, &after) {
                    orphans.push(key.clone());
                    continue;
                }
                ops.push(TxnOp::Delete { key: key.clone() });
                written.insert(key.clone());
            }
        }
        // Versions of deleted templates go with their template while they fit; the rest are swept after.
        let fit = orphan_room.min(orphans.len());
        for key in orphans.drain(..fit) {
            ops.push(TxnOp::Delete { key: key.clone() });
            written.insert(key);
        }
        if ops.is_empty() {
            return Ok(Some(orphans));
        }
        let mut compares = Vec::new();
        for (key, read) in &view.reads {
            if read.check || written.contains(key) {
                compares.push(Compare { key: key.clone(), mod_revision: read.revision });
            }
        }
        for key in &written {
            if !view.reads.contains_key(key) {
                // A new record: it must not exist.
                compares.push(Compare { key: key.clone(), mod_revision: 0 });
            }
        }
        for kind in &counted {
            self.read_generation(&mut view, *kind).await?;
        }
        for (kind, (revision, generation)) in &view.generations {
            let key = self.keys.generation(*kind);
            compares.push(Compare { key: key.clone(), mod_revision: *revision });
            if counted.contains(kind) {
                ops.push(TxnOp::Put { key, value: encode(&(generation + 1)) });
            }
        }
        if compares.len() > MAX_COMPARES || ops.len() > MAX_WRITES {
            return Err(Ec2Error::Server(format!(
                "a change of {} records relying on {} is too large for one transaction",
                ops.len(),
                compares.len()
            )));
        }
        match self.records.txn(compares, ops).await {
            Ok(_) => Ok(Some(orphans)),
            Err(RecordError::Conflict(_)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Whether a key is a launch template version whose template is not in `after`.
    fn is_orphaned_version(&self, key: &str, after: &BTreeMap<String, (Option<Kind>, Bytes)>) -> bool {
        let Some(rest) = key.strip_prefix(&self.keys.versions(None)) else { return false };
        let Some((template, _)) = rest.split_once('/') else { return false };
        !after.contains_key(&self.keys.record(Kind::LaunchTemplate, template))
    }

    /// Deletes records nothing reads any more, a transaction's worth at a time.
    pub async fn sweep(&self, keys: Vec<String>) -> Result<(), Ec2Error> {
        for batch in keys.chunks(MAX_WRITES) {
            let ops = batch.iter().map(|key| TxnOp::Delete { key: key.clone() }).collect();
            self.records.txn(Vec::new(), ops).await?;
        }
        Ok(())
    }
}

impl Network {
    /// A view with nothing loaded.
    pub(crate) fn unloaded(account: &str, region: &str) -> Network {
        Network {
            account: account.to_owned(),
            region: region.to_owned(),
            vpcs: Loaded::default(),
            subnets: Loaded::default(),
            security_groups: Loaded::default(),
            internet_gateways: Loaded::default(),
            route_tables: Loaded::default(),
            nat_gateways: Loaded::default(),
            addresses: Loaded::default(),
            network_acls: Loaded::default(),
            network_interfaces: Loaded::default(),
            volumes: Loaded::default(),
            snapshots: Loaded::default(),
            key_pairs: Loaded::default(),
            vpc_endpoints: Loaded::default(),
            tags: BTreeMap::new(),
            instances: Loaded::default(),
            launch_templates: Loaded::default(),
            auto_scaling_groups: Loaded::default(),
            moved: BTreeSet::new(),
        }
    }

    /// Puts a stored record into the view.
    fn put_record(&mut self, cache: &DecodeCache, kind: Kind, id: &str, kv: &KeyValue) -> Result<(), Ec2Error> {
        fn put<T: DeserializeOwned + Clone + Send + Sync + 'static>(
            cache: &DecodeCache,
            loaded: &mut Loaded<T>,
            tags: &mut BTreeMap<String, Tags>,
            id: &str,
            kv: &KeyValue,
        ) -> Result<(), Ec2Error> {
            let (value, own_tags) = decode_cached::<T>(cache, &kv.key, kv.mod_revision, &kv.value)?;
            if !own_tags.is_empty() {
                tags.insert(id.to_owned(), own_tags);
            }
            loaded.insert_loaded(id.to_owned(), value);
            Ok(())
        }
        let tags = &mut self.tags;
        match kind {
            Kind::Vpc => put(cache, &mut self.vpcs, tags, id, kv),
            Kind::Subnet => put(cache, &mut self.subnets, tags, id, kv),
            Kind::SecurityGroup => {
                let (mut group, own_tags) = decode_cached::<SecurityGroup>(cache, &kv.key, kv.mod_revision, &kv.value)?;
                if !own_tags.is_empty() {
                    tags.insert(id.to_owned(), own_tags);
                }
                super::group_rules::settle_read_group(tags, &mut group);
                self.security_groups.insert_loaded(id.to_owned(), group);
                Ok(())
            }
            Kind::InternetGateway => put(cache, &mut self.internet_gateways, tags, id, kv),
            Kind::RouteTable => put(cache, &mut self.route_tables, tags, id, kv),
            Kind::NatGateway => put(cache, &mut self.nat_gateways, tags, id, kv),
            Kind::ElasticIp => put(cache, &mut self.addresses, tags, id, kv),
            Kind::NetworkAcl => put(cache, &mut self.network_acls, tags, id, kv),
            Kind::NetworkInterface => put(cache, &mut self.network_interfaces, tags, id, kv),
            Kind::LaunchTemplate => put(cache, &mut self.launch_templates, tags, id, kv),
            Kind::Instance => put(cache, &mut self.instances, tags, id, kv),
            Kind::AutoScalingGroup => put(cache, &mut self.auto_scaling_groups, tags, id, kv),
            Kind::Volume => put(cache, &mut self.volumes, tags, id, kv),
            Kind::Snapshot => put(cache, &mut self.snapshots, tags, id, kv),
            Kind::KeyPair => put(cache, &mut self.key_pairs, tags, id, kv),
            Kind::VpcEndpoint => put(cache, &mut self.vpc_endpoints, tags, id, kv),
        }
    }

    /// Records what of a kind the view holds.
    pub(crate) fn mark_loaded<'i>(&mut self, kind: Kind, all: bool, ids: impl Iterator<Item = &'i String>) {
        let ids: BTreeSet<String> = ids.cloned().collect();
        match kind {
            Kind::Vpc => self.vpcs.mark(all, ids),
            Kind::Subnet => self.subnets.mark(all, ids),
            Kind::SecurityGroup => self.security_groups.mark(all, ids),
            Kind::InternetGateway => self.internet_gateways.mark(all, ids),
            Kind::RouteTable => self.route_tables.mark(all, ids),
            Kind::NatGateway => self.nat_gateways.mark(all, ids),
            Kind::ElasticIp => self.addresses.mark(all, ids),
            Kind::NetworkAcl => self.network_acls.mark(all, ids),
            Kind::NetworkInterface => self.network_interfaces.mark(all, ids),
            Kind::LaunchTemplate => self.launch_templates.mark(all, ids),
            Kind::Instance => self.instances.mark(all, ids),
            Kind::AutoScalingGroup => self.auto_scaling_groups.mark(all, ids),
            Kind::Volume => self.volumes.mark(all, ids),
            Kind::Snapshot => self.snapshots.mark(all, ids),
            Kind::KeyPair => self.key_pairs.mark(all, ids),
            Kind::VpcEndpoint => self.vpc_endpoints.mark(all, ids),
        }
    }

    /// The loaded records of a kind, encoded with their tags.
    fn encode_kind(&self, kind: Kind) -> Vec<(String, Bytes)> {
        fn each<T: Serialize>(loaded: &Loaded<T>, tags: &BTreeMap<String, Tags>) -> Vec<(String, Bytes)> {
            let none = Tags::new();
            loaded
                .loaded()
                .iter()
                .map(|(id, value)| {
                    let tags = tags.get(id).unwrap_or(&none);
                    (id.clone(), encode(&StoredRef { value, tags }))
                })
                .collect()
        }
        match kind {
            Kind::Vpc => each(&self.vpcs, &self.tags),
            Kind::Subnet => each(&self.subnets, &self.tags),
            Kind::SecurityGroup => {
                let none = Tags::new();
                let groups = self.security_groups.loaded().iter();
                groups
                    .map(|(id, group)| {
                        let tags = self.tags.get(id).unwrap_or(&none);
                        (id.clone(), encode(&StoredRef { value: &self.group_to_store(group), tags }))
                    })
                    .collect()
            }
            Kind::InternetGateway => each(&self.internet_gateways, &self.tags),
            Kind::RouteTable => each(&self.route_tables, &self.tags),
            Kind::NatGateway => each(&self.nat_gateways, &self.tags),
            Kind::ElasticIp => each(&self.addresses, &self.tags),
            Kind::NetworkAcl => each(&self.network_acls, &self.tags),
            Kind::NetworkInterface => each(&self.network_interfaces, &self.tags),
            Kind::LaunchTemplate => each(&self.launch_templates, &self.tags),
            Kind::Instance => each(&self.instances, &self.tags),
            Kind::AutoScalingGroup => each(&self.auto_scaling_groups, &self.tags),
            Kind::Volume => each(&self.volumes, &self.tags),
            Kind::Snapshot => each(&self.snapshots, &self.tags),
            Kind::KeyPair => each(&self.key_pairs, &self.tags),
            Kind::VpcEndpoint => each(&self.vpc_endpoints, &self.tags),
        }
    }
}

#[cfg(test)]
mod tests;
