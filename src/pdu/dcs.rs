//! TP-DCS, the data coding scheme (TS 23.038 clause 4): every coding group
//! read from the raw octet (general data coding, automatic deletion,
//! reserved groups, message waiting indication discard/store GSM/store UCS-2,
//! data coding/message class).
//!
//! Guarantee: `Dcs` keeps the raw octet, so decoding and re-encoding a DCS is
//! exact; every accessor is total over all 256 values.

/// The character set the user data is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    Gsm7,
    Data8,
    Ucs2,
    /// The reserved alphabet value of the general group (read as 8-bit data).
    Reserved,
}

impl Alphabet {
    pub fn as_str(self) -> &'static str {
        match self {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::Data8 => "8bit",
            Alphabet::Ucs2 => "ucs2",
            Alphabet::Reserved => "reserved",
        }
    }
}

/// Message class; class 0 is a "flash" message shown and not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageClass {
    Class0,
    Class1,
    Class2,
    Class3,
}

impl MessageClass {
    pub fn from_bits(bits: u8) -> MessageClass {
        match bits & 0x03 {
            0 => MessageClass::Class0,
            1 => MessageClass::Class1,
            2 => MessageClass::Class2,
            _ => MessageClass::Class3,
        }
    }

    pub fn number(self) -> u8 {
        self as u8
    }
}

/// Which coding group the octet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodingGroup {
    /// 00xx xxxx.
    General,
    /// 01xx xxxx: general data coding, marked for automatic deletion.
    AutomaticDeletion,
    /// 1000..1011 xxxx (read as GSM 7-bit, as 23.038 requires).
    Reserved,
    /// 1100: message waiting indication, discard message.
    WaitingDiscard,
    /// 1101: message waiting indication, store message (GSM 7-bit).
    WaitingStore,
    /// 1110: message waiting indication, store message (UCS-2).
    WaitingStoreUcs2,
    /// 1111: data coding / message class.
    DataClass,
}

impl CodingGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            CodingGroup::General => "general",
            CodingGroup::AutomaticDeletion => "automatic_deletion",
            CodingGroup::Reserved => "reserved",
            CodingGroup::WaitingDiscard => "message_waiting_discard",
            CodingGroup::WaitingStore => "message_waiting_store",
            CodingGroup::WaitingStoreUcs2 => "message_waiting_store_ucs2",
            CodingGroup::DataClass => "data_coding_message_class",
        }
    }
}

/// Kind of message waiting (bits 1..0 of the indication groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingKind {
    Voicemail,
    Fax,
    Email,
    Other,
}

impl WaitingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitingKind::Voicemail => "voicemail",
            WaitingKind::Fax => "fax",
            WaitingKind::Email => "email",
            WaitingKind::Other => "other",
        }
    }
}

/// A message waiting indication carried in the DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageWaiting {
    pub kind: WaitingKind,
    pub active: bool,
    /// Whether the handset should store the message (groups 1101/1110).
    pub store: bool,
}

/// TP-DCS octet with its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dcs(u8);

impl Dcs {
    pub const fn from_raw(raw: u8) -> Dcs {
        Dcs(raw)
    }

    /// A general-group DCS for `alphabet`, with an optional class.
    pub fn new(alphabet: Alphabet, class: Option<MessageClass>) -> Dcs {
        let a = match alphabet {
            Alphabet::Gsm7 => 0b00,
            Alphabet::Data8 => 0b01,
            Alphabet::Ucs2 => 0b10,
            Alphabet::Reserved => 0b11,
        };
        let c = class.map_or(0, |c| 0x10 | c.number());
        Dcs((a << 2) | c)
    }

    pub const fn raw(self) -> u8 {
        self.0
    }

    pub fn group(self) -> CodingGroup {
        match self.0 >> 4 {
            0..=3 => CodingGroup::General,
            4..=7 => CodingGroup::AutomaticDeletion,
            8..=11 => CodingGroup::Reserved,
            12 => CodingGroup::WaitingDiscard,
            13 => CodingGroup::WaitingStore,
            14 => CodingGroup::WaitingStoreUcs2,
            _ => CodingGroup::DataClass,
        }
    }

    pub fn alphabet(self) -> Alphabet {
        match self.group() {
            CodingGroup::General | CodingGroup::AutomaticDeletion => match (self.0 >> 2) & 0x03 {
                0 => Alphabet::Gsm7,
                1 => Alphabet::Data8,
                2 => Alphabet::Ucs2,
                _ => Alphabet::Reserved,
            },
            CodingGroup::Reserved | CodingGroup::WaitingDiscard | CodingGroup::WaitingStore => {
                Alphabet::Gsm7
            }
            CodingGroup::WaitingStoreUcs2 => Alphabet::Ucs2,
            CodingGroup::DataClass => {
                if self.0 & 0x04 != 0 {
                    Alphabet::Data8
                } else {
                    Alphabet::Gsm7
                }
            }
        }
    }

    pub fn class(self) -> Option<MessageClass> {
        match self.group() {
            CodingGroup::General | CodingGroup::AutomaticDeletion if self.0 & 0x10 != 0 => {
                Some(MessageClass::from_bits(self.0))
            }
            CodingGroup::DataClass => Some(MessageClass::from_bits(self.0)),
            _ => None,
        }
    }

    /// Whether the text is compressed (TS 23.042), which gsmq rejects.
    pub fn compressed(self) -> bool {
        matches!(
            self.group(),
            CodingGroup::General | CodingGroup::AutomaticDeletion
        ) && self.0 & 0x20 != 0
    }

    pub fn auto_delete(self) -> bool {
        self.group() == CodingGroup::AutomaticDeletion
    }

    pub fn message_waiting(self) -> Option<MessageWaiting> {
        let store = match self.group() {
            CodingGroup::WaitingDiscard => false,
            CodingGroup::WaitingStore | CodingGroup::WaitingStoreUcs2 => true,
            _ => return None,
        };
        let kind = match self.0 & 0x03 {
            0 => WaitingKind::Voicemail,
            1 => WaitingKind::Fax,
            2 => WaitingKind::Email,
            _ => WaitingKind::Other,
        };
        Some(MessageWaiting {
            kind,
            active: self.0 & 0x08 != 0,
            store,
        })
    }

    /// Whether this is a class 0 ("flash") message.
    pub fn is_flash(self) -> bool {
        self.class() == Some(MessageClass::Class0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_general_group_encodes_alphabet_and_class() {
        assert_eq!(Dcs::new(Alphabet::Gsm7, None).raw(), 0x00);
        assert_eq!(
            Dcs::new(Alphabet::Gsm7, Some(MessageClass::Class0)).raw(),
            0x10
        );
        assert_eq!(Dcs::new(Alphabet::Ucs2, None).raw(), 0x08);
        assert_eq!(
            Dcs::new(Alphabet::Ucs2, Some(MessageClass::Class0)).raw(),
            0x18
        );
        assert_eq!(
            Dcs::new(Alphabet::Data8, Some(MessageClass::Class1)).raw(),
            0x15
        );
        assert!(Dcs::from_raw(0x10).is_flash());
        assert_eq!(Dcs::from_raw(0x12).class(), Some(MessageClass::Class2));
        assert_eq!(Dcs::from_raw(0x02).class(), None);
    }

    #[test]
    fn every_coding_group_is_recognised() {
        assert!(Dcs::from_raw(0x20).compressed());
        assert_eq!(Dcs::from_raw(0x48).group(), CodingGroup::AutomaticDeletion);
        assert_eq!(Dcs::from_raw(0x48).alphabet(), Alphabet::Ucs2);
        assert_eq!(Dcs::from_raw(0x85).alphabet(), Alphabet::Gsm7);
        assert_eq!(Dcs::from_raw(0x0C).alphabet(), Alphabet::Reserved);
        let mw = Dcs::from_raw(0xC8).message_waiting().unwrap();
        assert_eq!(
            (mw.kind, mw.active, mw.store),
            (WaitingKind::Voicemail, true, false)
        );
        let mw = Dcs::from_raw(0xD2).message_waiting().unwrap();
        assert_eq!(
            (mw.kind, mw.active, mw.store),
            (WaitingKind::Email, false, true)
        );
        assert_eq!(Dcs::from_raw(0xE9).alphabet(), Alphabet::Ucs2);
        assert_eq!(Dcs::from_raw(0xF4).alphabet(), Alphabet::Data8);
        assert_eq!(Dcs::from_raw(0xF0).class(), Some(MessageClass::Class0));
        assert_eq!(Dcs::from_raw(0xF3).class(), Some(MessageClass::Class3));
        assert!(!Dcs::from_raw(0xF0).compressed());
    }
}
