//! One module per subcommand. Each returns the process exit code, or an
//! error for a fatal failure (exit status 2).

pub mod dev;
pub mod import;
pub mod migrate;
pub mod rescore_all;
pub mod serve;
pub mod token;
pub mod work;

/// Exit status for fatal errors: database unreachable, bad arguments.
pub const EXIT_FATAL: u8 = 2;
