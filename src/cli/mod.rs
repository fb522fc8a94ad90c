//! The command line's subcommands, one module each.

pub mod bench;
pub mod common;
pub mod data;
pub mod evaluate;
pub mod export;
pub mod forget;
pub mod forget_me;
pub mod judge;
pub mod report;
pub mod serve;
pub mod settings;
pub mod site;
pub mod train;
pub mod web_data;
