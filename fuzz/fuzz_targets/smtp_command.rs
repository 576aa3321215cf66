//! Command parser: never panics, and whatever it accepts encodes to a line it parses
//! back to the same command.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirestate::smtp::Command;

fuzz_target!(|data: &[u8]| {
    let Ok(cmd) = Command::parse(data) else {
        return;
    };
    // Some accepted input cannot be re-sent (a control character in VRFY text, a line
    // that only fits the AUTH limit); the encoder must refuse those, never mangle them.
    let Ok(wire) = cmd.to_bytes() else { return };
    assert!(wire.ends_with(b"\r\n"));
    assert!(!wire[..wire.len() - 2].contains(&b'\n') && !wire[..wire.len() - 2].contains(&b'\r'));
    assert_eq!(Command::parse(&wire[..wire.len() - 2]).unwrap(), cmd);
});
