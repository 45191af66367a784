//! Golden transcript tests: each `tests/data/<model>/*.at` capture is
//! replayed through the digester and the events are compared with the
//! expectation below (`UPDATE_EXPECT=1 cargo test --test at_transcripts`
//! rewrites them; review the diff).

use expect_test::{expect, Expect};
use gsmq::at::{response, transcript};
use gsmq::at::{Digester, Event, Urc};

fn render(e: &Event) -> String {
    match e {
        Event::Urc(Urc::Cmt { length, pdu }) => {
            format!("Urc(Cmt {length} {})", hex::encode_upper(pdu))
        }
        Event::Urc(Urc::Cds { length, pdu }) => {
            format!("Urc(Cds {length} {})", hex::encode_upper(pdu))
        }
        Event::Info(l) => match response::typed(l) {
            Some(Ok(t)) => format!("Info({l:?}) => {t:?}"),
            Some(Err(err)) => format!("Info({l:?}) => error: {err}"),
            None => format!("Info({l:?})"),
        },
        e => format!("{e:?}"),
    }
}

fn check(text: &str, want: Expect) {
    let steps = transcript::parse(text).expect("valid transcript");
    let mut d = Digester::new();
    let events = transcript::replay(&steps, &mut d, None);
    let mut out: String = events.iter().map(|e| render(e) + "\n").collect();
    out.push_str(&format!("garbage_bytes={}\n", d.garbage_bytes()));
    want.assert_eq(&out);
}

#[test]
fn generic_boot_with_echo_on_until_ate0() {
    check(
        include_str!("data/generic/boot_echo_on.at"),
        expect![[r#"
            Echo("AT")
            Final(Ok)
            Echo("ATE0")
            Final(Ok)
            Final(Ok)
            Info("+CPIN: READY")
            Final(Ok)
            Info("+CREG: 0,1") => Registration(Registration { kind: Cs, mode: Some(0), stat: 1, lac: None, ci: None, act: None })
            Final(Ok)
            Info("+CEREG: 0,1") => Registration(Registration { kind: Eps, mode: Some(0), stat: 1, lac: None, ci: None, act: None })
            Final(Ok)
            Info("+COPS: 0,0,\"Test Operator\",7") => Cops(Cops { mode: 0, format: Some(0), operator: Some("Test Operator"), act: Some(7) })
            Final(Ok)
            Info("+CSQ: 21,99") => Csq(Csq { rssi: 21, ber: 99 })
            Final(Ok)
            Final(Ok)
            Final(Ok)
            Info("+CPMS: 0,30,0,30,0,30") => Cpms([StorageUsage { mem: None, used: 0, total: 30 }, StorageUsage { mem: None, used: 0, total: 30 }, StorageUsage { mem: None, used: 0, total: 30 }])
            Final(Ok)
            Final(Ok)
            Final(Ok)
            Info("+CSCA: \"+447785016005\",145") => Csca(Csca { number: "+447785016005", ton: Some(145) })
            Final(Ok)
            Final(Ok)
            Final(Cme(Code(4)))
            garbage_bytes=0
        "#]],
    );
}

#[test]
fn generic_with_echo_on_throughout_including_the_send() {
    check(
        include_str!("data/generic/echo_on_throughout.at"),
        expect![[r#"
            Echo("AT+CMEE=2")
            Final(Ok)
            Echo("AT+CSQ")
            Info("+CSQ: 9,99") => Csq(Csq { rssi: 9, ber: 99 })
            Final(Ok)
            Echo("AT+CSCA?")
            Final(Cme(Text("SIM busy")))
            Echo("AT+CSCA?")
            Info("+CSCA: \"+31653131313\",145") => Csca(Csca { number: "+31653131313", ton: Some(145) })
            Final(Ok)
            Echo("AT+CMGS=23")
            Prompt
            Echo("0011000B916407281553F80000AA0AE8329BFD4697D9EC37")
            Echo(">")
            Info("+CMGS: 42") => Cmgs(42)
            Final(Ok)
            Echo("AT+FOO")
            Final(Cme(Text("operation not supported")))
            garbage_bytes=0
        "#]],
    );
}

#[test]
fn generic_send_with_urcs_around_the_prompt_and_result() {
    check(
        include_str!("data/generic/send_with_urcs.at"),
        expect![[r#"
            Urc(Cmti { mem: "SM", index: 3 })
            Prompt
            Urc(Cmti { mem: "SM", index: 4 })
            Info("+CMGS: 183") => Cmgs(183)
            Final(Ok)
            Urc(Cdsi { mem: "SM", index: 5 })
            Info("+CMGR: 0,,24")
            Info("07917248014000F506B70AA18092020000317071518590803170715185418000")
            Final(Ok)
            Final(Ok)
            Prompt
            Final(Cms(Code(512)))
            garbage_bytes=0
        "#]],
    );
}

#[test]
fn generic_backlog_listing_and_direct_delivery() {
    check(
        include_str!("data/generic/receive_backlog.at"),
        expect![[r#"
        Info("+CMGL: 1,1,,35")
        Info("07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034")
        Urc(Cmti { mem: "SM", index: 3 })
        Info("+CMGL: 2,0,\"\",35")
        Info("07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034")
        Final(Ok)
        Info("+CMGR: 0,35")
        Info("07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034")
        Final(Ok)
        Final(Ok)
        Urc(Cmt 35 07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034)
        Final(Ok)
        Urc(Cds 25 07914875215652F006360B914892347527F3817003018104808170030181448000)
        Final(Cms(Code(340)))
        garbage_bytes=0
    "#]],
    );
}

#[test]
fn generic_dirty_line_endings_and_garbage_on_open() {
    check(
        include_str!("data/generic/dirty_line.at"),
        expect![[r#"
            Garbage { len: 4 }
            Echo("AT+CSQ")
            Final(Ok)
            Final(Ok)
            Info("AT+CMGS")
            Info("AT+CMGL")
            Final(Ok)
            Info("+CSQ:17,99") => Csq(Csq { rssi: 17, ber: 99 })
            Final(Ok)
            Info("+CPMS:\"SM\",3,30,\"SM\",3,30,\"SM\",3,30") => Cpms([StorageUsage { mem: Some("SM"), used: 3, total: 30 }, StorageUsage { mem: Some("SM"), used: 3, total: 30 }, StorageUsage { mem: Some("SM"), used: 3, total: 30 }])
            Final(Ok)
            Info("+CNMI:(0-3),(0-3),(0-3),(0,1),(0,1)") => CnmiSupport(CnmiSupport { mode: {0, 1, 2, 3}, mt: {0, 1, 2, 3}, bm: {0, 1, 2, 3}, ds: {0, 1}, bfr: {0, 1} })
            Final(Ok)
            garbage_bytes=4
        "#]],
    );
}

#[test]
fn sim800_boot_identity_and_power_urcs() {
    check(
        include_str!("data/sim800/boot.at"),
        expect![[r#"
            Urc(Boot(Rdy))
            Urc(Boot(Cfun(1)))
            Urc(Boot(Cpin("READY")))
            Echo("AT")
            Final(Ok)
            Echo("AT+CMGF=0")
            Final(Error)
            Urc(Boot(CallReady))
            Urc(Boot(SmsReady))
            Echo("AT+CMGF=0")
            Final(Ok)
            Echo("ATE0")
            Final(Ok)
            Info("SIMCOM_Ltd")
            Final(Ok)
            Info("SIMCOM_SIM800L")
            Final(Ok)
            Info("Revision:1418B04SIM800L24")
            Final(Ok)
            Info("869170031234567")
            Final(Ok)
            Info("89860000000000000001")
            Final(Ok)
            Urc(MmsPush { mem: "SM", index: 1 })
            Urc(Power(UnderVoltageWarning))
            Info("+CSQ: 14,0") => Csq(Csq { rssi: 14, ber: 0 })
            Final(Ok)
            Urc(Power(NormalPowerDown))
            garbage_bytes=0
        "#]],
    );
}

#[test]
fn sim7600_boot_index_zero_and_odd_cmti() {
    check(
        include_str!("data/sim7600/boot.at"),
        expect![[r#"
            Urc(Boot(Rdy))
            Urc(Boot(Cpin("READY")))
            Urc(Boot(SmsDone))
            Urc(Boot(PbDone))
            Echo("ATE0")
            Final(Ok)
            Info("+CPMS: (\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\")") => CpmsSupport(CpmsSupport { read: ["ME", "MT", "SM", "SR"], write: ["ME", "MT", "SM", "SR"], receive: ["ME", "MT", "SM", "SR"] })
            Final(Ok)
            Info("+CPMS: \"SM\",1,30,\"SM\",1,30,\"SM\",1,30") => Cpms([StorageUsage { mem: Some("SM"), used: 1, total: 30 }, StorageUsage { mem: Some("SM"), used: 1, total: 30 }, StorageUsage { mem: Some("SM"), used: 1, total: 30 }])
            Final(Ok)
            Urc(Cmti { mem: "SM", index: 0 })
            Urc(Cmti { mem: "", index: -1 })
            Info("+CMGR: 0,,35")
            Info("07917248014000F3240B917247587706F400003110824115248012C8329BFD06C9C373B8B82C97E741F034")
            Final(Ok)
            Prompt
            Final(Cms(Code(500)))
            garbage_bytes=0
        "#]],
    );
}

#[test]
fn ec25_boot_and_quectel_indications() {
    check(
        include_str!("data/ec25/boot.at"),
        expect![[r#"
            Urc(Boot(Rdy))
            Urc(Boot(Cfun(1)))
            Urc(Boot(Cpin("READY")))
            Urc(Boot(Qusim(1)))
            Echo("AT")
            Final(Ok)
            Urc(Boot(PbDone))
            Echo("ATE0")
            Final(Ok)
            Urc(Boot(SmsDone))
            Info("Quectel")
            Final(Ok)
            Info("EC25")
            Final(Ok)
            Info("262011234567890")
            Final(Ok)
            Final(Cme(Code(756)))
            Info("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)") => CnmiSupport(CnmiSupport { mode: {0, 1, 2}, mt: {0, 1, 2, 3}, bm: {0, 2}, ds: {0, 1, 2}, bfr: {0, 1} })
            Final(Ok)
            Urc(MemoryFull("SM"))
            Urc(Registration(Registration { kind: Eps, mode: None, stat: 1, lac: Some(6699), ci: Some(27440068), act: Some(7) }))
            Info("+CEREG: 2,1,\"1A2B\",\"01A2B3C4\",7") => Registration(Registration { kind: Eps, mode: Some(2), stat: 1, lac: Some(6699), ci: Some(27440068), act: Some(7) })
            Final(Ok)
            garbage_bytes=0
        "#]],
    );
}

#[test]
fn e3372_unquoted_creg_with_rssi_noise() {
    check(
        include_str!("data/e3372/creg_rssi_noise.at"),
        expect![[r#"
            Urc(Boot(HuaweiBoot("20315611,0,0,0,72")))
            Urc(Signal(Rssi { rssi: 18 }))
            Urc(Signal(Hcsq { mode: "LTE", values: [59, 50, 161, 24] }))
            Echo("AT")
            Urc(Signal(Rssi { rssi: 17 }))
            Final(Ok)
            Echo("ATE0")
            Final(Ok)
            Final(Ok)
            Urc(Registration(Registration { kind: Cs, mode: None, stat: 1, lac: Some(1226), ci: Some(136176709), act: None }))
            Urc(Unknown("^SRVST:2"))
            Info("+CREG: 2,1,4CA,81DE445") => Registration(Registration { kind: Cs, mode: Some(2), stat: 1, lac: Some(1226), ci: Some(136176709), act: None })
            Final(Ok)
            Info("+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")") => CpmsSupport(CpmsSupport { read: ["SM", "ME"], write: ["SM", "ME"], receive: ["SM", "ME"] })
            Final(Ok)
            Info("+CSCA: \"002B003400340037003700380035003000310036003000300035\",145") => Csca(Csca { number: "+447785016005", ton: Some(145) })
            Final(Ok)
            Final(Vendor("COMMAND NOT SUPPORT"))
            Final(Cms(Code(500)))
            Urc(Signal(Rssi { rssi: 16 }))
            Final(Ok)
            Urc(MemoryFull("ME"))
            garbage_bytes=0
        "#]],
    );
}
