//! The command line: `serve` (the default), `migrate`, `seed`, `schema`, `token`, `import`,
//! `export`.

use crate::settings::Settings;
use crate::{auth, bundle, db, schema, seed, server::Application, telemetry};
use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "public-voice",
    version,
    about = "Public Voice: a GraphQL API for the evidence on what the public thinks about AI in public services"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates, and seeds an empty database, first). The default.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the curated seed corpus (adds what is missing; running it twice changes nothing).
    Seed,
    /// Print the GraphQL schema (SDL) to standard output; needs no database.
    Schema,
    /// Print the trusted-documents manifest ({"<sha256>": "<document>"}) of the given .graphql
    /// files and directories (walked recursively), for PUBLIC_VOICE_TRUSTED_DOCUMENTS; needs no
    /// database.
    PersistedManifest {
        /// .graphql files, or directories holding them.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import a bundle (JSON Lines, or CSV of views or metrics) in one transaction: all rows or
    /// none.
    Import {
        /// The bundle file.
        file: std::path::PathBuf,
        /// The bundle's form.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Report what would change, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the corpus as a bundle to standard output.
    Export {
        /// The bundle's form.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Only these row types (comma-separated, e.g. finding,view); all when absent.
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
    },
}

/// A bundle's form: JSON Lines of any rows, or CSV of views or of metrics.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Jsonl,
    CsvViews,
    CsvMetrics,
}

/// A token's role.
#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Reader,
    Editor,
    Admin,
}

impl From<RoleArg> for auth::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Reader => auth::Role::Reader,
            RoleArg::Editor => auth::Role::Editor,
            RoleArg::Admin => auth::Role::Admin,
        }
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        /// A unique name, recorded as the actor of the token's changes.
        name: String,
        /// What the token may do.
        #[arg(long, value_enum, ignore_case = true, default_value = "reader")]
        role: RoleArg,
        /// How long the token is valid, e.g. 90d, 12h, 30m, 45s; it never expires when absent.
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// List tokens: name, role, created, expiry, revoked.
    List,
    /// Revoke a token by name.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", schema::sdl());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::PersistedManifest { paths }) = &cli.command {
        return match crate::persisted::manifest(paths) {
            Ok(manifest) => {
                println!("{manifest}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    // Declared before the runtime, so it is dropped after it: the last spans are flushed at exit.
    let _telemetry = telemetry::init(
        settings.log_format,
        &settings.log_filter,
        settings.otlp_traces_endpoint.as_deref(),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "stopped with an error");
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            tracing::info!(
                address = %format!("http://{}:{}", settings.host, app.port()),
                "serving GraphQL at /graphql, GraphiQL at /graphiql"
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let conn = db::connect_with_busy_timeout(
                &settings.database_url,
                1,
                settings.sqlite_busy_timeout(),
            )
            .await?;
            db::migrate(&conn).await?;
            tracing::info!("migrations applied");
        }
        Command::Seed => {
            let conn = db::connect_with_busy_timeout(
                &settings.database_url,
                1,
                settings.sqlite_busy_timeout(),
            )
            .await?;
            db::migrate(&conn).await?;
            let report = seed::seed(&conn).await?;
            tracing::info!(created = report.created, "seed corpus loaded");
            println!("seed corpus loaded: {} rows created", report.created);
        }
        Command::Schema => print!("{}", schema::sdl()),
        Command::PersistedManifest { .. } => unreachable!("handled before settings are read"),
        Command::Import {
            file,
            format,
            dry_run,
        } => {
            let input = match format {
                Format::Jsonl => bundle::Input::JsonLines,
                Format::CsvViews => bundle::Input::CsvViews,
                Format::CsvMetrics => bundle::Input::CsvMetrics,
            };
            let conn = db::connect_with_busy_timeout(
                &settings.database_url,
                1,
                settings.sqlite_busy_timeout(),
            )
            .await?;
            db::migrate(&conn).await?;
            let reader = std::io::BufReader::new(std::fs::File::open(&file)?);
            let report = bundle::import(&conn, reader, input, "cli", dry_run)
                .await
                .map_err(CommandError)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if report.rejected > 0 {
                return Err(
                    format!("{} row(s) rejected: nothing was written", report.rejected).into(),
                );
            }
        }
        Command::Export { format, types } => {
            let conn = db::connect_with_busy_timeout(
                &settings.database_url,
                1,
                settings.sqlite_busy_timeout(),
            )
            .await?;
            db::migrate(&conn).await?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let rows = match format {
                Format::Jsonl => bundle::export(&conn, &mut out, &types).await,
                Format::CsvViews => bundle::csv_views::export(&conn, &mut out).await,
                Format::CsvMetrics => bundle::csv_metrics::export(&conn, &mut out).await,
            }
            .map_err(CommandError)?;
            std::io::Write::flush(&mut out)?;
            tracing::info!(rows, "exported");
        }
        Command::Token(command) => {
            let conn = db::connect_with_busy_timeout(
                &settings.database_url,
                1,
                settings.sqlite_busy_timeout(),
            )
            .await?;
            db::migrate(&conn).await?;
            token(&conn, command).await?;
        }
    }
    Ok(())
}

/// A GraphQL-facing error, reported on the command line by its message and code.
#[derive(Debug)]
struct CommandError(crate::errors::ApiError);

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.0.message(), self.0.code())
    }
}

impl std::error::Error for CommandError {}

async fn token(
    conn: &sea_orm::DatabaseConnection,
    command: TokenCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        TokenCommand::Create {
            name,
            role,
            expires_in,
        } => {
            let role = auth::Role::from(role);
            let expires_at = match expires_in.as_deref() {
                None => None,
                Some(text) => match auth::parse_lifetime(text) {
                    Some(lifetime) => Some(chrono::Utc::now() + lifetime),
                    None => {
                        return Err(format!(
                            "--expires-in {text:?}: expected a whole number and a unit, e.g. 90d, 12h, 30m, 45s"
                        )
                        .into())
                    }
                },
            };
            let (model, token) = auth::create_expiring_token(conn, &name, role, "cli", expires_at)
                .await
                .map_err(CommandError)?;
            eprintln!(
                "created token {:?} with role {}; it is shown only now:",
                model.name,
                auth::role_name(model.role)
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for t in auth::list_tokens(conn).await.map_err(CommandError)? {
                let revoked = t
                    .revoked_at
                    .map(|at| format!("revoked {}", at.to_rfc3339()))
                    .unwrap_or_else(|| "active".to_string());
                let expires = t
                    .expires_at
                    .map(|at| format!("expires {}", at.to_rfc3339()))
                    .unwrap_or_else(|| "never expires".to_string());
                println!(
                    "{}\t{}\tcreated {} by {}\t{}\t{}",
                    t.name,
                    auth::role_name(t.role),
                    t.created_at.to_rfc3339(),
                    t.created_by,
                    expires,
                    revoked
                );
            }
        }
        TokenCommand::Revoke { name } => {
            let t = auth::revoke_token(conn, &name)
                .await
                .map_err(CommandError)?;
            println!("revoked {}", t.name);
        }
    }
    Ok(())
}
