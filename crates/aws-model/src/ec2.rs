//! EC2 networking: VPCs, subnets, security groups, internet and NAT gateways, route tables, Elastic IPs, network
//! ACLs ([`network_acls`]), network interfaces ([`interfaces`]), VPC endpoints ([`vpc_endpoints`], the services they
//! reach and their prefix lists in [`endpoint_services`]), EBS volumes and snapshots ([`volumes`]), key pairs
//! ([`key_pairs`]) and tags, with regions and availability zones
//! ([`zones`]) and IPv4 blocks ([`cidr`]; a VPC's secondary blocks in [`vpc_cidrs`]).
//!
//! Every resource is its own record ([`storage`] says where, and how changes are written). [`Network`] is a
//! view of the records of one account and region that a change or a read loaded ([`Scope`], per operation in
//! [`scopes`]); its methods are the decision core: values in, values out, no IO. [`Ec2`] loads a view at one
//! store revision, applies a change and writes what changed in one transaction, so the rules that span
//! resources (a subnet inside its VPC and overlapping no other, a VPC deleted only without dependencies, a
//! private address handed out once) hold without locks. Every region starts with the default VPC a new account
//! has (`172.31.0.0/16`, a default subnet per zone, an attached internet gateway), made on first use. Every VPC
//! has a default network ACL, and every instance a primary network interface.
//!
//! What is launched into the network lives here too: [`instances`] (EC2 instances), [`templates`] (launch
//! templates), [`fleets`] (CreateFleet of type `instant`, launching from templates and overrides) and the Auto Scaling groups of managed node groups (`crate::autoscaling`), so that an instance,
//! its group and the private address it takes change together. [`instance_types`] is the table of instance
//! types; [`images`] the catalogue of EKS-optimized AMIs.

pub mod addresses;
pub mod cidr;
pub mod endpoint_services;
pub mod fleets;
mod gateways;
pub mod group_rules;
mod groups;
pub mod images;
pub mod instance_types;
pub mod instances;
pub mod interfaces;
pub mod key_pairs;
pub mod loaded;
mod migrate;
mod network;
pub mod network_acls;
pub mod scopes;
pub mod storage;
pub mod templates;
pub mod volumes;
pub mod vpc_cidrs;
pub mod vpc_endpoints;
pub mod zones;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::eks::Caller;
use crate::records::{RecordError, Records};
use storage::{Keys, Storage, View};

pub use addresses::AddressMap;
pub use gateways::{TagDescription, check_tags};
pub use groups::{CreateSecurityGroup, Direction};
pub use instances::{Instance, InstanceState, NodegroupMember, StateRequest, TemplateRef};
pub use interfaces::{CreateNetworkInterface, InterfaceAttachment, NetworkInterface};
pub use loaded::Loaded;
pub use network::{
    CreateSubnet, IdSource, check_filters, describe_availability_zones, describe_regions, glob, passes, resource_type,
};
pub use network_acls::{AclAssociation, AclEntry, NetworkAcl};
pub use storage::{Kind, Scope};
pub use volumes::{CreateVolume, ModifyVolume, Snapshot, Volume, VolumeAttachment, VolumeModification};
pub use vpc_cidrs::CidrAssociation;
pub use vpc_endpoints::VpcEndpoint;

/// Tags of one resource, by key.
pub type Tags = BTreeMap<String, String>;

/// A VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    /// The primary IPv4 block, chosen at creation; it never changes and is never disassociated.
    pub cidr_block: String,
    /// The id of the association of its primary CIDR block (`vpc-cidr-assoc-...`).
    pub cidr_association_id: String,
    /// The secondary IPv4 blocks, in the order they were associated, with those disassociated in the last hour
    /// ([`vpc_cidrs`]). Records of earlier versions have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_cidr_blocks: Vec<VpcCidrBlock>,
    pub is_default: bool,
    pub instance_tenancy: String,
    pub dhcp_options_id: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
}

/// A secondary IPv4 block of a VPC (AssociateVpcCidrBlock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcCidrBlock {
    /// `vpc-cidr-assoc-...`.
    pub association_id: String,
    pub cidr_block: String,
    /// When it was disassociated (Unix seconds); `None` while it is associated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disassociated_at: Option<u64>,
}

/// A subnet, with the private addresses handed out from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub default_for_az: bool,
    pub map_public_ip_on_launch: bool,
    /// Its network ACL association once replaced; `None` while it keeps the association with its VPC's default
    /// ACL that it was created with ([`Subnet::default_acl_association_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acl: Option<AclAssociation>,
    /// Private addresses in use: stored apart, loaded only when a change asks for them.
    #[serde(skip)]
    pub allocated: AddressMap,
}

impl Subnet {
    /// The addresses still free: the block's size less the five AWS reserves and those in use.
    pub fn available_ip_address_count(&self) -> u64 {
        let size = cidr::Cidr::parse(&self.cidr_block).map_or(0, cidr::Cidr::size);
        size.saturating_sub(5).saturating_sub(self.allocated.len() as u64)
    }
}

/// Where a security group rule lets traffic come from (ingress) or go to (egress).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Peer {
    /// An IPv4 block.
    Cidr(String),
    /// Another security group, by id, with its owner's account.
    Group { group_id: String, user_id: String },
}

/// One security group rule: a protocol, a port range and one peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `sgr-...`: given when the rule is added (`group_rules::rule_id`); empty only in a rule a request
    /// describes. Records written before rules had ids get theirs derived when they are read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// `tcp`, `udp`, `icmp` or `-1` for all traffic.
    pub protocol: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub peer: Peer,
    pub description: Option<String>,
    /// The rule's tags as its group's record stores them; in a [`Network`] they are in `Network::tags` under
    /// the rule's id, and this is empty.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl Rule {
    /// A rule of a request: no id yet, no tags.
    pub fn new(protocol: &str, from_port: Option<i64>, to_port: Option<i64>, peer: Peer) -> Rule {
        Rule {
            id: String::new(),
            protocol: protocol.to_owned(),
            from_port,
            to_port,
            peer,
            description: None,
            tags: Tags::new(),
        }
    }

    /// Whether two rules allow the same traffic (descriptions do not count).
    pub fn same_traffic(&self, other: &Rule) -> bool {
        self.protocol == other.protocol
            && self.from_port == other.from_port
            && self.to_port == other.to_port
            && self.peer == other.peer
    }
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    /// How many rule ids the group has given (`group_rules.rs`), so that a rule revoked and added again gets a new
    /// one. Records of earlier versions have 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rules_added: u32,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// An internet gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetGateway {
    pub id: String,
    pub attached_vpc: Option<String>,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteTarget {
    /// Inside the VPC (`gatewayId` `local`).
    Local,
    /// An internet gateway.
    Gateway(String),
    /// A NAT gateway.
    NatGateway(String),
    /// A gateway VPC endpoint; the route's destination is its service's prefix list (`pl-...`).
    VpcEndpoint(String),
}

/// A route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub destination: String,
    pub target: RouteTarget,
    /// `CreateRouteTable` for the local route, `CreateRoute` for the others.
    pub origin: String,
}

/// A subnet's association with a route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    /// `rtbassoc-...`.
    pub id: String,
    /// `None` for the main association of the VPC.
    pub subnet_id: Option<String>,
}

/// A route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub routes: Vec<Route>,
    pub associations: Vec<Association>,
}

impl RouteTable {
    /// Whether this is its VPC's main route table.
    pub fn is_main(&self) -> bool {
        self.associations.iter().any(|association| association.subnet_id.is_none())
    }
}

/// A NAT gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatGateway {
    pub id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub allocation_id: String,
    pub public_ip: String,
    pub private_ip: Ipv4Addr,
    /// `available` or `deleted`.
    pub state: String,
    /// Unix seconds.
    pub created_at: f64,
    pub deleted_at: Option<f64>,
}

/// An Elastic IP address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// `eipalloc-...`.
    pub allocation_id: String,
    pub public_ip: Ipv4Addr,
    /// The NAT gateway that uses it.
    pub nat_gateway_id: Option<String>,
}

/// A `Filter.N` of a Describe call: a name and the values any of which may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// Where a subnet is, for EKS's checks and `resourcesVpcConfig.vpcId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetPlacement {
    pub subnet_id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub cidr_block: String,
    /// Whether the subnet's route table sends `0.0.0.0/0` to an internet gateway.
    pub public: bool,
}

/// A view of the EC2 network of one account in one region: the records a change or a read loaded (see
/// [`storage`]). [`Network::new`] makes a whole, empty one in memory, as the decision core's tests use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub account: String,
    pub region: String,
    pub vpcs: Loaded<Vpc>,
    pub subnets: Loaded<Subnet>,
    pub security_groups: Loaded<SecurityGroup>,
    pub internet_gateways: Loaded<InternetGateway>,
    pub route_tables: Loaded<RouteTable>,
    pub nat_gateways: Loaded<NatGateway>,
    /// Elastic IPs by allocation id.
    pub addresses: Loaded<Address>,
    /// Network ACLs by id.
    pub network_acls: Loaded<NetworkAcl>,
    /// Network interfaces by id.
    pub network_interfaces: Loaded<NetworkInterface>,
    /// EBS volumes by id.
    pub volumes: Loaded<Volume>,
    /// EBS snapshots by id.
    pub snapshots: Loaded<Snapshot>,
    /// Key pairs by id.
    pub key_pairs: Loaded<key_pairs::KeyPair>,
    /// VPC endpoints by id.
    pub vpc_endpoints: Loaded<VpcEndpoint>,
    /// Tags of the loaded resources, by resource id.
    pub tags: BTreeMap<String, Tags>,
    /// Instances by id, terminated ones for an hour.
    pub instances: Loaded<Instance>,
    /// Launch templates by id.
    pub launch_templates: Loaded<templates::LaunchTemplate>,
    /// Auto Scaling groups by name.
    pub auto_scaling_groups: Loaded<crate::autoscaling::AutoScalingGroup>,
    /// Kinds whose generation a change moves although it creates or deletes none of them: a change that other
    /// changes reading the whole kind must not miss (a rule naming another group).
    pub(crate) moved: BTreeSet<Kind>,
}

/// EC2's errors, each one of its wire error codes; the messages are EC2's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ec2Error {
    /// `InvalidVpcID.NotFound`.
    #[error("The vpc ID '{0}' does not exist")]
    VpcNotFound(String),
    /// `InvalidSubnetID.NotFound`.
    #[error("The subnet ID '{0}' does not exist")]
    SubnetNotFound(String),
    /// `InvalidGroup.NotFound`, with its whole message.
    #[error("{0}")]
    GroupNotFound(String),
    /// `InvalidInternetGatewayID.NotFound`.
    #[error("The internetGateway ID '{0}' does not exist")]
    InternetGatewayNotFound(String),
    /// `InvalidRouteTableID.NotFound`.
    #[error("The routeTable ID '{0}' does not exist")]
    RouteTableNotFound(String),
    /// `InvalidAssociationID.NotFound`.
    #[error("The association ID '{0}' does not exist")]
    AssociationNotFound(String),
    /// `NatGatewayNotFound`.
    #[error("The Nat Gateway {0} was not found")]
    NatGatewayNotFound(String),
    /// `InvalidAllocationID.NotFound`.
    #[error("The allocation ID '{0}' does not exist")]
    AllocationNotFound(String),
    /// `InvalidIPAddress.InUse`.
    #[error("The address with allocation id [{0}] is in use")]
    AddressInUse(String),
    /// `InvalidSubnet.Conflict`.
    #[error("The CIDR '{0}' conflicts with another subnet")]
    SubnetConflict(String),
    /// `InvalidSubnet.Range`.
    #[error("The CIDR '{0}' is invalid.")]
    SubnetRange(String),
    /// `InvalidVpc.Range`.
    #[error("The CIDR '{0}' is invalid.")]
    VpcRange(String),
    /// `InvalidVpc.Range`, with its whole message: a block that overlaps the VPC's others or is restricted.
    #[error("{0}")]
    VpcCidrRefused(String),
    /// `CidrLimitExceeded`: the VPC already has its quota of IPv4 blocks.
    #[error("This network '{0}' has met its maximum number of allowed CIDRs: {max}", max = vpc_cidrs::MAX_BLOCKS)]
    CidrLimitExceeded(String),
    /// `InvalidVpcCidrBlockAssociationID.NotFound`.
    #[error("The vpc CIDR block association ID '{0}' does not exist")]
    VpcCidrAssociationNotFound(String),
    /// `InvalidCidrBlock.InUse`, with its whole message.
    #[error("{0}")]
    CidrBlockInUse(String),
    /// `OperationNotPermitted`, with its whole message.
    #[error("{0}")]
    OperationNotPermitted(String),
    /// `InvalidParameterValue`.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `InvalidParameterCombination`.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// `MissingParameter`.
    #[error("{0}")]
    MissingParameter(String),
    /// `InvalidGroup.Duplicate`.
    #[error("The security group '{name}' already exists for VPC '{vpc_id}'")]
    GroupDuplicate { name: String, vpc_id: String },
    /// `CannotDelete`.
    #[error("{0}")]
    CannotDelete(String),
    /// `DependencyViolation`.
    #[error("{0}")]
    DependencyViolation(String),
    /// `InvalidPermission.Duplicate`.
    #[error("the specified rule \"{0}\" already exists")]
    PermissionDuplicate(String),
    /// `InvalidPermission.NotFound`.
    #[error("The specified rule does not exist in this security group.")]
    PermissionNotFound,
    /// `InvalidSecurityGroupRuleId.NotFound`.
    #[error("The security group rule ID '{0}' does not exist")]
    SecurityGroupRuleNotFound(String),
    /// `InvalidSecurityGroupRuleId.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"sgr-...\")")]
    SecurityGroupRuleIdMalformed(String),
    /// `InvalidFilter`.
    #[error("The filter '{0}' is invalid")]
    InvalidFilter(String),
    /// `InvalidAvailabilityZone`.
    #[error("{0}")]
    InvalidAvailabilityZone(String),
    /// `Resource.AlreadyAssociated`.
    #[error("{0}")]
    AlreadyAssociated(String),
    /// `Gateway.NotAttached`.
    #[error("resource {gateway} is not attached to network {vpc_id}")]
    GatewayNotAttached { gateway: String, vpc_id: String },
    /// `RouteAlreadyExists`.
    #[error("The route identified by {0} already exists.")]
    RouteAlreadyExists(String),
    /// `InvalidRoute.NotFound`.
    #[error("no route with destination-cidr-block {destination} in route table {table}")]
    RouteNotFound { destination: String, table: String },
    /// `AddressLimitExceeded`.
    #[error("{0}")]
    AddressLimitExceeded(String),
    /// `AuthFailure`: EC2's answer for a public address the caller does not own.
    #[error("{0}")]
    AuthFailure(String),
    /// `InvalidAddress.NotFound`.
    #[error("{0}")]
    AddressNotFound(String),
    /// `TagLimitExceeded`.
    #[error("{0}")]
    TagLimitExceeded(String),
    /// `InvalidID`: an id of no kind that can be tagged.
    #[error("The ID '{0}' is not valid")]
    InvalidId(String),
    /// `InsufficientFreeAddressesInSubnet`.
    #[error("The specified subnet {0} does not have enough free addresses to satisfy the request.")]
    NoFreeAddress(String),
    /// `PrivateIpAddressLimitExceeded`: an instance's or an interface's addresses would exceed its limit, with
    /// the whole message.
    #[error("{0}")]
    PrivateIpAddressLimitExceeded(String),
    /// `InvalidNetworkInterfaceID.NotFound`.
    #[error("The networkInterface ID '{0}' does not exist")]
    NetworkInterfaceNotFound(String),
    /// `InvalidNetworkInterfaceId.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"eni-...\")")]
    NetworkInterfaceIdMalformed(String),
    /// `InvalidNetworkInterface.InUse`, with its whole message.
    #[error("{0}")]
    NetworkInterfaceInUse(String),
    /// `InvalidAttachmentID.NotFound`.
    #[error("The attachment ID '{0}' does not exist")]
    AttachmentNotFound(String),
    /// `InvalidNetworkInterfaceAttachmentId.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"eni-attach-...\")")]
    AttachmentIdMalformed(String),
    /// `AttachmentLimitExceeded`, with its whole message.
    #[error("{0}")]
    AttachmentLimitExceeded(String),
    /// `InvalidNetworkAclID.NotFound`.
    #[error("The networkAcl ID '{0}' does not exist")]
    NetworkAclNotFound(String),
    /// `InvalidNetworkAclId.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"acl-...\")")]
    NetworkAclIdMalformed(String),
    /// `NetworkAclEntryAlreadyExists`.
    #[error("The network acl entry identified by {0} already exists.")]
    NetworkAclEntryExists(u32),
    /// `InvalidNetworkAclEntry.NotFound`.
    #[error("The network acl entry identified by {0} does not exist.")]
    NetworkAclEntryNotFound(u32),
    /// `NetworkAclEntryLimitExceeded`: over [`network_acls::ENTRIES_PER_DIRECTION`] rules in one direction.
    #[error("The maximum number of network acl entries has been reached.")]
    NetworkAclEntryLimitExceeded,
    /// `InvalidInstanceID.NotFound`, with its whole message.
    #[error("{0}")]
    InstanceNotFound(String),
    /// `InvalidInstanceID.Malformed`.
    #[error("Invalid id: \"{0}\"")]
    InstanceIdMalformed(String),
    /// `IncorrectInstanceState`.
    #[error("{0}")]
    IncorrectInstanceState(String),
    /// `InvalidLaunchTemplateId.NotFound`.
    #[error("{0}")]
    LaunchTemplateIdNotFound(String),
    /// `InvalidLaunchTemplateName.NotFoundException`.
    #[error("{0}")]
    LaunchTemplateNameNotFound(String),
    /// `InvalidLaunchTemplateName.AlreadyExistsException`.
    #[error("{0}")]
    LaunchTemplateNameExists(String),
    /// `InvalidLaunchTemplateName.MalformedException`.
    #[error("{0}")]
    LaunchTemplateNameMalformed(String),
    /// `InvalidLaunchTemplateId.VersionNotFound`.
    #[error("{0}")]
    LaunchTemplateVersionNotFound(String),
    /// `InvalidUserData.Malformed`: user data that is not base64, or over 16 KB.
    #[error("{0}")]
    UserDataMalformed(String),
    /// `InvalidVolume.NotFound`.
    #[error("The volume '{0}' does not exist.")]
    VolumeNotFound(String),
    /// `InvalidVolumeID.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"vol-...\")")]
    VolumeIdMalformed(String),
    /// `VolumeInUse`, with its whole message.
    #[error("{0}")]
    VolumeInUse(String),
    /// `IncorrectState`, with its whole message.
    #[error("{0}")]
    IncorrectState(String),
    /// `InvalidVolume.ZoneMismatch`.
    #[error("The volume '{volume}' is not in the same availability zone as instance '{instance}'")]
    VolumeZoneMismatch { volume: String, instance: String },
    /// `InvalidAttachment.NotFound`, with its whole message.
    #[error("{0}")]
    VolumeAttachmentNotFound(String),
    /// `InvalidVolumeModification.NotFound`.
    #[error("Modification for volume '{0}' does not exist.")]
    ModificationNotFound(String),
    /// `InvalidSnapshot.NotFound`.
    #[error("The snapshot '{0}' does not exist.")]
    SnapshotNotFound(String),
    /// `InvalidSnapshotID.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"snap-...\")")]
    SnapshotIdMalformed(String),
    /// `InvalidZone.NotFound`.
    #[error("The zone '{0}' does not exist.")]
    ZoneNotFound(String),
    /// `InvalidKeyPair.NotFound`, with its whole message.
    #[error("{0}")]
    KeyPairNotFound(String),
    /// `InvalidKeyPair.Duplicate`.
    #[error("The keypair '{0}' already exists.")]
    KeyPairDuplicate(String),
    /// `InvalidKey.Format`, with its whole message.
    #[error("{0}")]
    KeyFormat(String),
    /// `UnsupportedOperation`, with its whole message.
    #[error("{0}")]
    Unsupported(String),
    /// `InvalidParameterDependency`.
    #[error("{0}")]
    InvalidParameterDependency(String),
    /// `InvalidVpcEndpointId.NotFound`.
    #[error("The Vpc Endpoint Id '{0}' does not exist")]
    VpcEndpointNotFound(String),
    /// `InvalidVpcEndpointId.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"vpce-...\")")]
    VpcEndpointIdMalformed(String),
    /// `InvalidServiceName`: no VPC endpoint service has this name in the region.
    #[error("The Vpc Endpoint Service '{0}' does not exist")]
    InvalidServiceName(String),
    /// `InvalidPrefixListID.NotFound`.
    #[error("The prefix list ID '{0}' does not exist")]
    PrefixListNotFound(String),
    /// `InvalidParameter`, with its whole message: what VPC endpoint operations answer for a parameter that does
    /// not fit the endpoint.
    #[error("{0}")]
    InvalidParameter(String),
    /// `InvalidPolicyDocument`, with its whole message.
    #[error("{0}")]
    InvalidPolicyDocument(String),
    /// `IdempotentParameterMismatch`: a client token used again with other parameters.
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// `RulesPerSecurityGroupLimitExceeded`: over 60 rules in one direction of a group.
    #[error("The maximum number of rules per security group has been reached.")]
    RulesPerGroupExceeded,
    /// The store failed (`InternalError`).
    #[error("{0}")]
    Server(String),
}

impl From<RecordError> for Ec2Error {
    fn from(error: RecordError) -> Self {
        Ec2Error::Server(error.to_string())
    }
}

/// The EC2 service of one server.
#[derive(Debug, Clone)]
pub struct Ec2 {
    records: Records,
    clock: Arc<dyn Clock>,
}

/// How many times a change is retried when another one wins the compare-and-swap.
const ATTEMPTS: usize = 64;

impl Ec2 {
    pub fn new(records: Records, clock: Arc<dyn Clock>) -> Ec2 {
        Ec2 { records, clock }
    }

    fn storage(&self, caller: &Caller) -> Storage<'_> {
        Storage { records: &self.records, keys: Keys::new(&caller.account, &caller.region) }
    }

    /// The records of this service, for watching them.
    pub(crate) fn records(&self) -> &Records {
        &self.records
    }

    /// The current time, for changes that record one (NAT gateways).
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// Makes the region's default VPC on its first use (whoever asks first makes it, once), after moving a
    /// region stored in the one-record layout of earlier versions to one record per resource, and a region whose
    /// records predate network interfaces and network ACLs to the current layout.
    async fn ensure_region(&self, caller: &Caller) -> Result<(), Ec2Error> {
        let storage = self.storage(caller);
        let marker = storage.keys.region();
        for _ in 0..ATTEMPTS {
            if let Some(found) = self.records.get_raw_at(&marker, None).await? {
                if migrate::upgrade(&storage, &caller.account, &caller.region, &found).await? {
                    continue;
                }
                return Ok(());
            }
            if migrate::migrate(&storage, &caller.account, &caller.region).await? {
                continue;
            }
            let revision = self.records.revision().await?;
            let mut view = storage.empty(&caller.account, &caller.region, revision);
            view.network = Network::new(&caller.account, &caller.region);
            let before = storage.snapshot(&view);
            view.network.initialize(&mut IdSource::Random);
            let record = storage::RegionRecord {
                account: caller.account.clone(),
                region: caller.region.clone(),
                layout: storage::LAYOUT,
            };
            view.create(marker.clone(), &record);
            if storage.commit(view, &before).await?.is_some() {
                return Ok(());
            }
        }
        Err(Ec2Error::Server("the region's default VPC could not be made".into()))
    }

    /// Reads `scope`, widened until `widen` asks for nothing more, at the store's current revision.
    async fn read(
        &self,
        caller: &Caller,
        storage: &Storage<'_>,
        scope: &Scope,
        widen: &impl Fn(&Network) -> Scope,
    ) -> Result<View, Ec2Error> {
        let revision = self.records.revision().await?;
        let mut view = storage.empty(&caller.account, &caller.region, revision);
        storage.load(&mut view, scope).await?;
        for _ in 0..8 {
            let more = widen(&view.network);
            if view.covers(&more) {
                return Ok(view);
            }
            storage.load(&mut view, &more).await?;
        }
        Err(Ec2Error::Server("a change kept asking for more records".into()))
    }

    /// Applies `change` to the records `scope` names and stores what it changed; the change runs again on a
    /// fresh view when another writer changed what it read, so it must depend only on the view it is given.
    /// Nothing is stored when it fails.
    pub async fn change<T>(
        &self,
        caller: &Caller,
        scope: &Scope,
        change: impl FnMut(&mut Network, &mut IdSource) -> Result<T, Ec2Error>,
    ) -> Result<T, Ec2Error> {
        self.change_widening(caller, scope, |_| Scope::new(), change).await
    }

    /// [`Ec2::change`] for a change whose records depend on what it reads (an instance's subnet, a group's
    /// members): `widen` names what else to load from the view, until it names nothing new.
    pub async fn change_widening<T>(
        &self,
        caller: &Caller,
        scope: &Scope,
        widen: impl Fn(&Network) -> Scope,
        mut change: impl FnMut(&mut Network, &mut IdSource) -> Result<T, Ec2Error>,
    ) -> Result<T, Ec2Error> {
        self.ensure_region(caller).await?;
        let storage = self.storage(caller);
        for _ in 0..ATTEMPTS {
            let mut view = self.read(caller, &storage, scope, &widen).await?;
            let before = storage.snapshot(&view);
            let result = change(&mut view.network, &mut IdSource::Random)?;
            if let Some(leftover) = storage.commit(view, &before).await? {
                storage.sweep(leftover).await?;
                return Ok(result);
            }
        }
        Err(Ec2Error::Server("too many concurrent changes to the network".into()))
    }

    /// Runs `change` on the records `scope` names, widened as [`Ec2::change_widening`] widens, and stores nothing:
    /// whether the change would succeed now, as a `DryRun` asks.
    pub async fn rehearse<T>(
        &self,
        caller: &Caller,
        scope: &Scope,
        widen: impl Fn(&Network) -> Scope,
        change: impl FnOnce(&mut Network, &mut IdSource) -> Result<T, Ec2Error>,
    ) -> Result<T, Ec2Error> {
        self.ensure_region(caller).await?;
        let storage = self.storage(caller);
        let mut view = self.read(caller, &storage, scope, &widen).await?;
        change(&mut view.network, &mut IdSource::Random)
    }

    /// Reads the records `scope` names, as they are at one revision.
    pub async fn view<T>(
        &self,
        caller: &Caller,
        scope: &Scope,
        read: impl FnOnce(&Network) -> T,
    ) -> Result<T, Ec2Error> {
        self.view_widening(caller, scope, |_| Scope::new(), read).await
    }

    /// The records `scope` names, as they are at one revision: [`Ec2::view`] handing over the view's network
    /// rather than a look at it, for a reader that keeps it.
    pub async fn network(&self, caller: &Caller, scope: &Scope) -> Result<Network, Ec2Error> {
        self.ensure_region(caller).await?;
        let storage = self.storage(caller);
        Ok(self.read(caller, &storage, scope, &|_| Scope::new()).await?.network)
    }

    /// [`Ec2::view`] widened as [`Ec2::change_widening`] is.
    pub async fn view_widening<T>(
        &self,
        caller: &Caller,
        scope: &Scope,
        widen: impl Fn(&Network) -> Scope,
        read: impl FnOnce(&Network) -> T,
    ) -> Result<T, Ec2Error> {
        self.ensure_region(caller).await?;
        let storage = self.storage(caller);
        let view = self.read(caller, &storage, scope, &widen).await?;
        Ok(read(&view.network))
    }

    /// Hands out a free private address of a subnet, recorded so that no other caller gets it.
    pub async fn allocate_private_ip(&self, caller: &Caller, subnet_id: &str) -> Result<Ipv4Addr, Ec2Error> {
        self.change(caller, &Scope::new().addresses(subnet_id), |network, _| network.allocate_private_ip(subnet_id))
            .await
    }

    /// Assigns up to `count` more secondary addresses to an instance's interfaces, as the VPC CNI does (see
    /// [`Network::assign_pod_ips`]).
    pub async fn assign_private_ips(
        &self,
        caller: &Caller,
        instance_id: &str,
        count: usize,
    ) -> Result<Vec<Ipv4Addr>, Ec2Error> {
        let now = self.now();
        self.change_widening(
            caller,
            &Scope::new().id(Kind::Instance, instance_id),
            |network| instance_subnet(network, instance_id),
            |network, ids| network.assign_pod_ips(ids, instance_id, count, now),
        )
        .await
    }

    /// Returns a private address to its subnet; releasing a free address succeeds.
    pub async fn release_private_ip(&self, caller: &Caller, subnet_id: &str, ip: Ipv4Addr) -> Result<(), Ec2Error> {
        self.change(caller, &Scope::new().addresses(subnet_id), |network, _| network.release_private_ip(subnet_id, ip))
            .await
    }

    /// Where each subnet is, in the order asked; `InvalidSubnetID.NotFound` for the first unknown one.
    pub async fn subnet_placements(
        &self,
        caller: &Caller,
        subnet_ids: &[String],
    ) -> Result<Vec<SubnetPlacement>, Ec2Error> {
        let scope = Scope::new().ids(Kind::Subnet, subnet_ids.iter().cloned()).all(Kind::RouteTable);
        self.view(caller, &scope, |network| subnet_ids.iter().map(|id| network.subnet_placement(id)).collect()).await?
    }
}

/// A loaded instance's interfaces and the addresses of its and their subnets, for changes that give it addresses
/// or take them back.
pub fn instance_subnet(network: &Network, instance_id: &str) -> Scope {
    scopes::instance_interfaces(network, network.instances.loaded().get(instance_id).into_iter())
}

#[cfg(test)]
mod tests;
