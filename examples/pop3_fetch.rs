//! Downloads every message from a POP3 server:
//! `cargo run --example pop3_fetch -- --addr HOST:PORT --user U --pass P --out DIR [--delete] [--verbose]`

mod support;

use support::pop3_client::{fetch_all, FetchOptions};
use support::Args;

fn main() {
    let args = Args::parse(&["delete", "verbose"]);
    let (Some(user), Some(pass), Some(out)) = (args.get("user"), args.get("pass"), args.get("out"))
    else {
        eprintln!(
            "usage: pop3_fetch --addr HOST:PORT --user U --pass P --out DIR [--delete] [--verbose]"
        );
        std::process::exit(2)
    };
    let addr = args.addr("127.0.0.1:110");
    let opts = FetchOptions {
        user,
        pass,
        out_dir: out.as_ref(),
        delete: args.has("delete"),
        verbose: args.has("verbose"),
    };
    match fetch_all(&addr, &opts) {
        Ok(fetched) => {
            let octets: u64 = fetched.iter().map(|f| f.octets).sum();
            for f in &fetched {
                println!(
                    "{} {} {}",
                    f.msg,
                    f.uid.as_deref().unwrap_or("-"),
                    f.path.display()
                );
            }
            println!(
                "fetched {} messages ({} octets) from {}{}",
                fetched.len(),
                octets,
                addr,
                if opts.delete {
                    ", deleted on the server"
                } else {
                    ""
                }
            );
        }
        Err(e) => {
            eprintln!("pop3_fetch: {e}");
            std::process::exit(1)
        }
    }
}
