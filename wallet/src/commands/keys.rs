//! `key`: create, import, list and show the wallet's keys (no node needed).

use anyhow::{Result, bail};
use clap::Subcommand;
use serde::Serialize;
use std::path::PathBuf;

use super::context::Ctx;
use super::output::{kv, table};
use crate::keys::KeyInfo;

/// `key`: manage keys.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key from a new 24-word mnemonic (printed once: write it down).
    New {
        /// Key name.
        name: String,
    },
    /// Import a key from a mnemonic or a dev account.
    Import {
        /// Key name.
        name: String,
        /// The mnemonic phrase (12 or 24 words).
        #[arg(
            long,
            conflicts_with = "dev_account",
            required_unless_present = "dev_account"
        )]
        mnemonic: Option<String>,
        /// Dev account N of the dev chain (its keys are public: dev chains only).
        #[arg(long)]
        dev_account: Option<u32>,
    },
    /// List keys.
    List,
    /// Show a key's address (and with --reply-key, its reply key, which needs the password).
    Show {
        /// Key name.
        name: String,
        /// Also unlock the key and show the X25519 reply key others seal records to.
        #[arg(long)]
        reply_key: bool,
    },
}

/// Runs a `key` command.
pub(crate) fn run(ctx: &Ctx, cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::New { name } => {
            ctx.wallet.key_path(&name)?;
            let pw = ctx
                .passwords
                .get(&format!("New password for key {name}: "), true)?;
            let (info, phrase) = ctx.wallet.create(&name, &pw)?;
            ctx.print(
                &NewKeyJson {
                    key: KeyJson::new(&info),
                    mnemonic: phrase.as_str(),
                },
                || {
                    println!("Created key {} at {}", info.name, info.path.display());
                    println!("Address: {}", info.address);
                    println!();
                    println!(
                        "Mnemonic (shown once; write it down, anyone who has it owns the key):"
                    );
                    println!("  {}", phrase.as_str());
                },
            )?;
        }
        KeyCommand::Import {
            name,
            mnemonic,
            dev_account,
        } => {
            ctx.wallet.key_path(&name)?;
            let pw = ctx
                .passwords
                .get(&format!("New password for key {name}: "), true)?;
            let info = match (mnemonic, dev_account) {
                (Some(m), _) => ctx.wallet.import_mnemonic(&name, &m, &pw)?,
                (None, Some(n)) => ctx.wallet.import_dev_account(&name, n, &pw)?,
                (None, None) => bail!("pass --mnemonic \"…\" or --dev-account N"),
            };
            ctx.print(&KeyJson::new(&info), || {
                println!(
                    "Imported key {} ({}) at {}",
                    info.name,
                    info.address,
                    info.path.display()
                )
            })?;
        }
        KeyCommand::List => {
            let keys = ctx.wallet.list()?;
            let v: Vec<KeyJson> = keys.iter().map(KeyJson::new).collect();
            ctx.print(&v, || {
                if keys.is_empty() {
                    println!("No keys in {}.", ctx.wallet.keys_dir().display());
                }
                table(
                    &["NAME", "ADDRESS"],
                    keys.iter()
                        .map(|k| vec![k.name.clone(), k.address.to_string()])
                        .collect(),
                );
            })?;
        }
        KeyCommand::Show { name, reply_key } => {
            let info = ctx.wallet.info(&name)?;
            let reply = if reply_key {
                let pw = ctx
                    .passwords
                    .get(&format!("Password for key {name}: "), false)?;
                let id = ctx.wallet.unlock(&name, &pw)?;
                Some(id.reply_secret().public_key().to_string())
            } else {
                None
            };
            ctx.print(
                &ShowKeyJson {
                    key: KeyJson::new(&info),
                    reply_key: reply.clone(),
                },
                || {
                    let mut rows = vec![
                        vec!["name".into(), info.name.clone()],
                        vec!["address".into(), info.address.to_string()],
                        vec!["file".into(), info.path.display().to_string()],
                    ];
                    if let Some(r) = &reply {
                        rows.push(vec!["reply key".into(), r.clone()]);
                    }
                    kv(rows);
                },
            )?;
        }
    }
    Ok(())
}

/// A key in `--json` output (`key import`, each entry of `key list`).
#[derive(Debug, Clone, Serialize)]
pub struct KeyJson {
    /// The key's name in the wallet.
    pub name: String,
    /// Its address (`inf1…`).
    pub address: String,
    /// Its keystore file.
    pub path: PathBuf,
}

impl KeyJson {
    fn new(info: &KeyInfo) -> KeyJson {
        KeyJson {
            name: info.name.clone(),
            address: info.address.to_string(),
            path: info.path.clone(),
        }
    }
}

/// `key new --json`: the new key and its mnemonic.
#[derive(Debug, Clone, Serialize)]
pub struct NewKeyJson<'a> {
    /// The key.
    #[serde(flatten)]
    pub key: KeyJson,
    /// The 24-word mnemonic, shown this once (borrowed: the secret is not copied into
    /// another long-lived string).
    pub mnemonic: &'a str,
}

/// `key show --json`: the key and, with `--reply-key`, its reply key.
#[derive(Debug, Clone, Serialize)]
pub struct ShowKeyJson {
    /// The key.
    #[serde(flatten)]
    pub key: KeyJson,
    /// The X25519 reply key others seal records to (hex), when asked for; else null.
    pub reply_key: Option<String>,
}
