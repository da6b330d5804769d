//! The state and rules of the AWS services ekslite re-implements. For now it holds the IAM policy language:
//! parsing and validating policy documents as IAM does, and deciding whether a request is allowed
//! ([`policy`]). Everything here is a decision core: values in, values out, no IO.

pub mod policy;
