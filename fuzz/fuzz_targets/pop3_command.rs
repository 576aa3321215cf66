//! POP3 command parser: any line never panics, and whatever parses re-encodes to a line
//! that parses to the same command (encode is canonical: upper-case keyword, one space).
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wirestate::pop3::Command;

fuzz_target!(|line: &[u8]| {
    if let Ok(cmd) = Command::parse(line) {
        let mut wire = BytesMut::new();
        cmd.encode(&mut wire);
        assert!(wire.ends_with(b"\r\n"));
        let again = Command::parse(&wire[..wire.len() - 2]).expect("encoded command parses");
        assert_eq!(again, cmd);
    } else if let Err(e) = Command::parse(line) {
        assert!(e.offset <= line.len());
    }
});
