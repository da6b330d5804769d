//! Tests of the Vertical Pod Autoscaler.
