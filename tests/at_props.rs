//! Property tests: chunking never changes what the digester reports, and no
//! input (bytes or lines) makes the digester or a response parser panic.

use gsmq::at::transcript::{self, Step};
use gsmq::at::{fuzz_digest, response, Digester};
use proptest::prelude::*;

const TRANSCRIPTS: &[&str] = &[
    include_str!("data/generic/boot_echo_on.at"),
    include_str!("data/generic/echo_on_throughout.at"),
    include_str!("data/generic/send_with_urcs.at"),
    include_str!("data/generic/receive_backlog.at"),
    include_str!("data/generic/dirty_line.at"),
    include_str!("data/sim800/boot.at"),
    include_str!("data/sim7600/boot.at"),
    include_str!("data/ec25/boot.at"),
    include_str!("data/e3372/creg_rssi_noise.at"),
];

fn steps(i: usize) -> Vec<Step> {
    transcript::parse(TRANSCRIPTS[i]).expect("valid transcript")
}

/// Stream fragments a modem can send, combined at random below.
const FRAGMENTS: &[&[u8]] = &[
    b"\r\nOK\r\n",
    b"\r\nERROR\r\n",
    b"\r\n+CME ERROR: 14\r\n",
    b"\r\n+CMS ERROR: 500\r\n",
    b"\r\nCOMMAND NOT SUPPORT\r\n",
    b"\r\n+CSQ: 21,99\r\n",
    b"\r\n+CMTI: \"SM\",3\r\n",
    b"\r\n+CMT: ,35\r\n07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034\r\n",
    b"\r\n+CDS: 25\r\n07914875215652F006360B914892347527F3817003018104808170030181448000\r\n",
    b"\r\n+CREG: 1,\"00C3\",\"0000A13F\"\r\n",
    b"\r\n+CREG: 2,1,4CA,81DE445\r\n",
    b"AT+CSQ\r",
    b"AT+CMGS=23\r",
    b"\r\n> ",
    b"> ",
    b"\r\n>",
    b"0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a",
    b"\r\n^RSSI:18\r\n",
    b"\r\nRDY\r\n",
    b"\r\nSMS Ready\r\n",
    b"\r\r\n",
    b"\0",
    b"\n",
    b"\r",
    b"\xff\xfe",
    b"+CMGL: 1,1,,35",
    b"RING",
    b"\r\n+CUSD: 0,\"Bal",
    b"ance\",15\r\n",
];

fn digest_chunked(data: &[u8], sizes: &[usize]) -> (Vec<gsmq::at::Event>, u64) {
    let mut d = Digester::inferring();
    let steps = vec![Step::Modem(data.to_vec())];
    let ev = transcript::replay(&steps, &mut d, Some(sizes));
    (ev, d.garbage_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_transcript_digests_the_same_in_any_chunking(
        i in 0..TRANSCRIPTS.len(),
        sizes in prop::collection::vec(1usize..64, 1..16),
    ) {
        let s = steps(i);
        let mut whole = Digester::new();
        let a = transcript::replay(&s, &mut whole, None);
        let mut bytewise = Digester::new();
        let b = transcript::replay(&s, &mut bytewise, Some(&[1]));
        let mut chunked = Digester::new();
        let c = transcript::replay(&s, &mut chunked, Some(&sizes));
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &c);
        prop_assert_eq!(whole.garbage_bytes(), chunked.garbage_bytes());
    }

    #[test]
    fn random_fragment_streams_digest_the_same_in_any_chunking(
        picks in prop::collection::vec(0..FRAGMENTS.len(), 0..40),
        sizes in prop::collection::vec(1usize..32, 1..16),
    ) {
        let data: Vec<u8> = picks.iter().flat_map(|&i| FRAGMENTS[i].iter().copied()).collect();
        let whole = digest_chunked(&data, &[data.len().max(1)]);
        prop_assert_eq!(&whole, &digest_chunked(&data, &[1]));
        prop_assert_eq!(&whole, &digest_chunked(&data, &sizes));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_digest_chunking_invariantly(
        data in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        fuzz_digest(&data);
    }

    #[test]
    fn arbitrary_bytes_biased_to_at_syntax_never_panic(
        data in prop::collection::vec(
            prop::sample::select(b"\r\n\0> +:,\"()-0123456789ACEGKMORST^".to_vec()), 0..600),
    ) {
        fuzz_digest(&data);
    }

    #[test]
    fn response_parsers_never_panic_on_arbitrary_lines(line in "[+A-Z:, \"()0-9a-f-]{0,80}") {
        let lines = vec![line.clone(), line.clone()];
        let _ = response::csq(&line);
        let _ = response::creg(&line);
        let _ = response::cops(&line);
        let _ = response::cpms(&line);
        let _ = response::cpms_test(&line);
        let _ = response::cnmi_test(&line);
        let _ = response::cmgs(&line);
        let _ = response::csca(&line);
        let _ = response::cusd(&line);
        let _ = response::typed(&line);
        let _ = response::cmgl(&lines);
        let _ = response::cmgr(&lines);
        let _ = response::identity(&lines);
    }

    #[test]
    fn prefixed_response_lines_never_panic(
        prefix in prop::sample::select(vec!["+CSQ: ", "+CREG: ", "+COPS: ", "+CPMS: ", "+CNMI: ",
            "+CMGS: ", "+CSCA: ", "+CUSD: ", "+CMGL: ", "+CMGR: ", "+CEREG:"]),
        rest in "[, \"()0-9A-F-]{0,60}",
    ) {
        let line = format!("{prefix}{rest}");
        let _ = response::typed(&line);
        let _ = response::cmgl(&[line.clone(), rest.clone()]);
        let _ = response::cmgr(&[line, rest]);
    }
}
