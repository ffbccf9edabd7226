//! `newsgraph rescore-all`: queue batch recomputes covering every article
//! (after a change of scoring weights). Workers do the work.

use std::process::ExitCode;

use newsgraph_shared::{db, jobs, rescore};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Articles per batch job.
    #[arg(long, default_value_t = 1_000)]
    batch_size: i64,
}

/// Batch jobs queued per transaction.
const JOBS_PER_TRANSACTION: usize = 500;

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    let pool = db::connect(database_url, 2).await?;
    let batches = rescore::id_ranges(&mut *pool.acquire().await?, args.batch_size, None).await?;
    let mut queued = 0;
    for chunk in batches.chunks(JOBS_PER_TRANSACTION) {
        let mut tx = pool.begin().await?;
        queued += jobs::enqueue_batches(&mut tx, chunk).await?;
        tx.commit().await?;
        eprintln!("rescore-all: {queued}/{} batch jobs queued", batches.len());
    }
    println!(
        "queued {queued} batch jobs of up to {} articles; `newsgraph work` processes them",
        args.batch_size
    );
    Ok(ExitCode::SUCCESS)
}
