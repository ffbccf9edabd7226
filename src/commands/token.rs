//! `newsgraph token create|list|revoke`: API tokens for editors, ingest
//! pipelines and admins. A new token is printed once, alone on stdout (so a
//! script can capture it); only its SHA-256 is stored.

use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use newsgraph_shared::auth::{self, AuthError, Role, TokenInfo};
use newsgraph_shared::db;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token and print it once on stdout (it cannot be shown again).
    Create {
        /// The token's name: recorded in the audit log for every action taken with it; never reused.
        #[arg(long)]
        name: String,
        /// What the token may do: editor (publication), ingest (article pushes), admin (everything).
        #[arg(long, value_parser = PossibleValuesParser::new(["editor", "ingest", "admin"])
            .map(|role| role.parse::<Role>().expect("a listed role")))]
        role: Role,
    },
    /// List tokens: name, role, created, last used, revoked (never the tokens themselves).
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// How times are shown (UTC).
const TIME: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Exit status when the name is unknown, taken or invalid.
const EXIT_REFUSED: u8 = 1;

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    let pool = db::connect(database_url, 1).await?;
    let result = match args.command {
        TokenCommand::Create { name, role } => create(&pool, &name, role).await,
        TokenCommand::List { json } => list(&pool, json).await,
        TokenCommand::Revoke { name } => revoke(&pool, &name).await,
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(
            error @ (AuthError::InvalidInput(_)
            | AuthError::NameTaken(_)
            | AuthError::UnknownName(_)
            | AuthError::Forbidden { .. }
            | AuthError::Unauthenticated),
        ) => {
            eprintln!("newsgraph: {error}");
            Ok(ExitCode::from(EXIT_REFUSED))
        }
        Err(error) => Err(error.into()),
    }
}

async fn create(pool: &sqlx::PgPool, name: &str, role: Role) -> Result<(), AuthError> {
    let (token, info) = auth::create_token(pool, name, role).await?;
    println!("{}", token.expose());
    eprintln!(
        "created {} token {:?}. It is shown only this once and cannot be recovered: store it now. \
         Send it as `Authorization: Bearer <token>`; `newsgraph token revoke {}` disables it.",
        info.role, info.name, info.name
    );
    Ok(())
}

async fn list(pool: &sqlx::PgPool, json: bool) -> Result<(), AuthError> {
    let tokens = auth::list_tokens(pool).await?;
    if json {
        println!("{}", serde_json::to_string(&tokens).expect("token records serialise"));
        return Ok(());
    }
    if tokens.is_empty() {
        eprintln!("no tokens yet: `newsgraph token create --name NAME --role editor|ingest|admin`");
        return Ok(());
    }
    print!("{}", table(&tokens));
    Ok(())
}

fn table(tokens: &[TokenInfo]) -> String {
    let rows: Vec<[String; 5]> = tokens
        .iter()
        .map(|t| {
            [
                t.name.clone(),
                t.role.to_string(),
                t.created_at.format(TIME).to_string(),
                t.last_used_at
                    .map_or_else(|| "-".into(), |t| t.format(TIME).to_string()),
                t.revoked_at.map_or_else(|| "-".into(), |t| t.format(TIME).to_string()),
            ]
        })
        .collect();
    let header = ["NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"].map(String::from);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in [&header].into_iter().chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

async fn revoke(pool: &sqlx::PgPool, name: &str) -> Result<(), AuthError> {
    let revocation = auth::revoke_token(pool, name).await?;
    let at = revocation
        .token
        .revoked_at
        .map(|t| t.format(TIME).to_string())
        .unwrap_or_default();
    if revocation.already_revoked {
        eprintln!("token {name:?} was already revoked (at {at})");
    } else {
        eprintln!("token {name:?} revoked at {at}; it no longer authenticates");
    }
    Ok(())
}
