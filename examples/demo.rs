//! The whole of wirestate in one command, on loopback, with no set-up:
//! `cargo run --example demo`.
mod support;

#[path = "demo_parts/greeting.rs"]
mod greeting_part;
#[path = "demo_parts/http.rs"]
mod http_part;
#[path = "demo_parts/pop3.rs"]
mod pop3_part;
#[path = "demo_parts/smtp.rs"]
mod smtp_part;

/// One part of the demo: runs against servers it starts itself, files under the work dir.
type Part = fn(&std::path::Path) -> std::io::Result<()>;

fn main() {
    let work_dir = std::env::temp_dir().join(format!("wirestate-demo-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&work_dir) {
        eprintln!("cannot create {}: {e}", work_dir.display());
        std::process::exit(1);
    }
    println!("== wirestate demo (files under {})", work_dir.display());
    // The classic journey: greet, fetch a web page, send a mail, fetch the mail. SMTP
    // delivers into work_dir/Maildir, which POP3 then serves.
    let parts: [(&str, Part); 4] = [
        ("greeting", greeting_part::run),
        ("http", http_part::run),
        ("smtp", smtp_part::run),
        ("pop3", pop3_part::run),
    ];
    let mut failed = false;
    for (name, run) in parts {
        println!("\n== {name}");
        if let Err(e) = run(&work_dir) {
            eprintln!("{name} failed: {e}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}
