//! Code generated from proto/redraft.proto.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

tonic::include_proto!("redraft.v1");
