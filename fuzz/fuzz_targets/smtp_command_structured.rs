//! Structured SMTP commands from `wirestate::generate`: a valid command encodes to one
//! CRLF-free line that parses back to itself, also fed to a server cut in two; an
//! invalid line is refused with exactly the error its flaw calls for.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::generate::Case;
use wirestate::smtp::{Command, ServerConfig};
use wirestate::testing::feed_cut;

fuzz_target!(|input: (Case<Command>, u16)| {
    let (case, cut) = input;
    match case {
        Case::Valid(cmd) => {
            let wire = cmd.to_bytes().expect("a generated command encodes");
            let line = &wire[..wire.len() - 2];
            assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
            assert_eq!(Command::parse(line).expect("encoded command parses"), cmd);
            // The server reads the same line the same way whatever the cut.
            let server = || wirestate::smtp::Server::new(ServerConfig::default());
            let whole = feed_cut(server(), &wire, &[]);
            let split = feed_cut(server(), &wire, &[usize::from(cut) % (wire.len() + 1)]);
            assert_eq!(format!("{whole:?}"), format!("{split:?}"));
        }
        Case::Invalid(bad) => {
            let e = Command::parse(&bad.wire).expect_err("an invalid line is refused");
            assert!(bad.expect.matches(&e), "{bad:?} gave {e:?}");
        }
    }
});
