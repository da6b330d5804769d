//! Elastic Load Balancing (Classic) over the `query` protocol (`Version=2012-06-01`). It shares its signing name,
//! `elasticloadbalancing`, with ELBv2 (`elbv2.rs`); the registry tells them apart by version, so that a Classic
//! call is never read as an ELBv2 one. No Classic operation is served yet: each is refused with `InvalidAction`
//! naming it.

use crate::registry::{Service, Wire};

/// ELB Classic on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "elasticloadbalancing",
    title: "Elastic Load Balancing (Classic)",
    wire: Wire::Query { version: "2012-06-01", namespace: "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/" },
    operations: &[],
};
