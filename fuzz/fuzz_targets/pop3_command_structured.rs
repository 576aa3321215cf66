//! Structured POP3 commands from `wirestate::generate`: a valid command encodes to a
//! line of `encoded_len` octets that parses back to itself; an invalid line is refused
//! with exactly the kind of error its flaw calls for.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate::generate::Case;
use wirestate::pop3::Command;

fuzz_target!(|case: Case<Command>| {
    match case {
        Case::Valid(cmd) => {
            let mut wire = BytesMut::new();
            cmd.encode(&mut wire);
            assert_eq!(wire.len(), cmd.encoded_len());
            assert!(wire.ends_with(b"\r\n"));
            let again = Command::parse(&wire[..wire.len() - 2]).expect("encoded command parses");
            assert_eq!(again, cmd);
        }
        Case::Invalid(bad) => {
            let e = Command::parse(&bad.wire).expect_err("an invalid line is refused");
            assert_eq!(e.kind, bad.expect, "{bad:?}");
            assert!(e.offset <= bad.wire.len());
        }
    }
});
