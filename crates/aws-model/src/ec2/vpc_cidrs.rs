//! A VPC's secondary IPv4 blocks: AssociateVpcCidrBlock and DisassociateVpcCidrBlock with EC2's rules (a `/16`
//! to `/28` block overlapping none of the VPC's others, at most [`MAX_BLOCKS`] blocks, the restricted ranges of
//! the VPC user guide's association table), the local route every block gets in every route table of its VPC,
//! and the association set DescribeVpcs shows.
//!
//! A disassociated block stays in its VPC's record, shown as `disassociated`, for [`DISASSOCIATED_VISIBLE_SECONDS`];
//! the next association change of the VPC forgets older ones, so a record holds at most a few blocks.

use super::cidr::Cidr;
use super::network::local_route;
use super::{Ec2Error, IdSource, Network, RouteTarget, Vpc, VpcCidrBlock};

/// The most IPv4 blocks a VPC may have, its primary block included (EC2's default quota).
pub const MAX_BLOCKS: usize = 5;

/// How long a disassociated block is still shown in DescribeVpcs.
pub const DISASSOCIATED_VISIBLE_SECONDS: u64 = 3600;

/// One entry of a VPC's `cidrBlockAssociationSet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidrAssociation<'a> {
    pub association_id: &'a str,
    pub cidr_block: &'a str,
    /// `associated` or `disassociated`.
    pub state: &'static str,
}

fn block(text: &str) -> Cidr {
    Cidr::parse(text).expect("stored VPC blocks parse")
}

fn range(text: &str) -> Cidr {
    Cidr::parse(text).expect("the restricted ranges parse")
}

impl Vpc {
    /// The blocks associated now, the primary first: where its subnets may be.
    pub fn associated_blocks(&self) -> Vec<Cidr> {
        std::iter::once(block(&self.cidr_block))
            .chain(
                self.secondary_cidr_blocks
                    .iter()
                    .filter(|b| b.disassociated_at.is_none())
                    .map(|b| block(&b.cidr_block)),
            )
            .collect()
    }

    /// The association set DescribeVpcs shows at `now` (Unix seconds): the primary block, then the secondary ones,
    /// those disassociated in the last hour included.
    pub fn cidr_associations(&self, now: f64) -> Vec<CidrAssociation<'_>> {
        let primary = CidrAssociation {
            association_id: &self.cidr_association_id,
            cidr_block: &self.cidr_block,
            state: "associated",
        };
        let secondary = self.secondary_cidr_blocks.iter().filter(|b| visible(b, now)).map(|b| CidrAssociation {
            association_id: &b.association_id,
            cidr_block: &b.cidr_block,
            state: if b.disassociated_at.is_some() { "disassociated" } else { "associated" },
        });
        std::iter::once(primary).chain(secondary).collect()
    }

    /// Forgets the blocks disassociated more than an hour before `now`.
    fn forget_disassociated(&mut self, now: f64) {
        self.secondary_cidr_blocks.retain(|b| visible(b, now));
    }
}

fn visible(block: &VpcCidrBlock, now: f64) -> bool {
    block.disassociated_at.is_none_or(|at| (now.max(0.0) as u64).saturating_sub(at) < DISASSOCIATED_VISIBLE_SECONDS)
}

/// Whether EC2 refuses `new` as another block of a VPC whose primary block is `primary` and whose associated
/// blocks are `blocks`: the VPC user guide's "IPv4 CIDR block association restrictions". Every range named there
/// is a `/16` or larger and a VPC block at most a `/16`, so a block is "from" a range when the range contains it.
fn restricted(primary: Cidr, blocks: &[Cidr], new: Cidr) -> bool {
    let (ten, one72, one92) = (range("10.0.0.0/8"), range("172.16.0.0/12"), range("192.168.0.0/16"));
    let benchmark = range("198.19.0.0/16");
    let private = |cidr: Cidr| ten.contains(cidr) || one72.contains(cidr) || one92.contains(cidr);
    if ten.contains(primary) {
        let low = range("10.0.0.0/15");
        one72.contains(new)
            || one92.contains(new)
            || benchmark.contains(new)
            || (range("10.0.0.0/16").contains(new) && blocks.iter().any(|b| low.contains(*b)))
    } else if one72.contains(primary) {
        ten.contains(new) || one92.contains(new) || range("172.31.0.0/16").contains(new) || benchmark.contains(new)
    } else if one92.contains(primary) {
        ten.contains(new) || one72.contains(new) || benchmark.contains(new)
    } else if benchmark.contains(primary) {
        private(new)
    } else {
        // A publicly routable primary block, or one from 100.64.0.0/10.
        private(new) || benchmark.contains(new)
    }
}

impl Network {
    /// AssociateVpcCidrBlock (IPv4): a `/16` to `/28` block overlapping none of the VPC's blocks, outside the
    /// ranges its primary block restricts, within the quota; every route table of the VPC gets its local route.
    /// The change reads the VPC and its route tables.
    pub fn associate_vpc_cidr_block(
        &mut self,
        ids: &mut IdSource,
        vpc_id: &str,
        cidr_block: Option<&str>,
        now: f64,
    ) -> Result<VpcCidrBlock, Ec2Error> {
        let vpc = self.vpc(vpc_id)?;
        let text = cidr_block.ok_or_else(|| {
            Ec2Error::MissingParameter(
                "Either 'cidrBlock', 'ipv4IpamPoolId', 'amazonProvidedIpv6CidrBlock', 'ipv6Pool' or \
                 'ipv6IpamPoolId' should be provided."
                    .into(),
            )
        })?;
        let new = Cidr::parse(text).ok_or_else(|| {
            Ec2Error::InvalidParameterValue(format!(
                "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        if !(16..=28).contains(&new.prefix()) {
            return Err(Ec2Error::VpcRange(text.to_owned()));
        }
        let blocks = vpc.associated_blocks();
        if let Some(other) = blocks.iter().find(|b| b.overlaps(new)) {
            return Err(Ec2Error::VpcCidrRefused(format!(
                "The CIDR '{new}' conflicts with the CIDR '{other}' associated with the VPC '{vpc_id}'."
            )));
        }
        if restricted(blocks[0], &blocks, new) {
            return Err(Ec2Error::VpcCidrRefused(format!(
                "The CIDR '{new}' is restricted. Use a CIDR from the same private address range as the current VPC \
                 CIDR, or use a publicly-routable CIDR."
            )));
        }
        if blocks.len() >= MAX_BLOCKS {
            return Err(Ec2Error::CidrLimitExceeded(vpc_id.to_owned()));
        }
        let tables = self.route_tables.values().filter(|table| table.vpc_id == vpc_id);
        for table in tables {
            let wider =
                table.routes.iter().find(|route| Cidr::parse(&route.destination).is_some_and(|d| new.contains(d)));
            if let Some(route) = wider {
                return Err(Ec2Error::VpcCidrRefused(format!(
                    "The CIDR '{new}' is the same as or larger than the destination '{}' of a route in the route \
                     table '{}'.",
                    route.destination, table.id
                )));
            }
        }
        let association = VpcCidrBlock {
            association_id: ids.id("vpc-cidr-assoc"),
            cidr_block: new.to_string(),
            disassociated_at: None,
        };
        let vpc = self.vpcs.get_mut(vpc_id).expect("checked above");
        vpc.forget_disassociated(now);
        vpc.secondary_cidr_blocks.push(association.clone());
        for table in self.route_tables.values_mut().filter(|table| table.vpc_id == vpc_id) {
            table.routes.push(local_route(&association.cidr_block));
        }
        Ok(association)
    }

    /// The VPC holding an association (primary or secondary, associated or not): what DisassociateVpcCidrBlock
    /// changes. Reads every VPC.
    pub fn vpc_of_association(&self, association_id: &str) -> Option<&Vpc> {
        self.vpcs.values().find(|vpc| {
            vpc.cidr_association_id == association_id
                || vpc.secondary_cidr_blocks.iter().any(|b| b.association_id == association_id)
        })
    }

    /// DisassociateVpcCidrBlock (IPv4): not the primary block, nor a block that holds a subnet; its local routes
    /// go from the VPC's route tables. Returns the VPC's id and the block. The change reads every VPC, then the
    /// one holding the association by id, every subnet and every route table.
    pub fn disassociate_vpc_cidr_block(
        &mut self,
        association_id: &str,
        now: f64,
    ) -> Result<(String, VpcCidrBlock), Ec2Error> {
        let not_found = || Ec2Error::VpcCidrAssociationNotFound(association_id.to_owned());
        let vpc = self.vpc_of_association(association_id).ok_or_else(not_found)?;
        if vpc.cidr_association_id == association_id {
            return Err(Ec2Error::OperationNotPermitted(format!(
                "The vpc CIDR block with association ID {association_id} may not be disassociated. It is the primary \
                 IPv4 CIDR block of the VPC"
            )));
        }
        let vpc_id = vpc.id.clone();
        let index = vpc
            .secondary_cidr_blocks
            .iter()
            .position(|b| b.association_id == association_id && b.disassociated_at.is_none())
            .ok_or_else(not_found)?;
        let cidr = block(&vpc.secondary_cidr_blocks[index].cidr_block);
        let in_use = self.subnets.values().any(|subnet| {
            subnet.vpc_id == vpc_id && Cidr::parse(&subnet.cidr_block).is_some_and(|inside| cidr.contains(inside))
        });
        if in_use {
            return Err(Ec2Error::CidrBlockInUse(format!(
                "The vpc {vpc_id} currently has a subnet within CIDR block {cidr}"
            )));
        }
        let destination = cidr.to_string();
        for table in self.route_tables.values_mut().filter(|table| table.vpc_id == vpc_id) {
            table.routes.retain(|route| !(route.target == RouteTarget::Local && route.destination == destination));
        }
        let vpc = self.vpcs.get_mut(&vpc_id).expect("found above");
        vpc.secondary_cidr_blocks[index].disassociated_at = Some(now.max(0.0) as u64);
        let association = vpc.secondary_cidr_blocks[index].clone();
        vpc.forget_disassociated(now);
        Ok((vpc_id, association))
    }
}

#[cfg(test)]
mod tests;
