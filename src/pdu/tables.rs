//! Character tables of 3GPP TS 23.038: the GSM 7-bit default alphabet
//! (6.2.1), its extension table (6.2.1.1) and the national language locking
//! and single shift tables (annex A.2, A.3) for Turkish, Spanish, Portuguese,
//! Bengali, Gujarati, Hindi, Kannada, Malayalam, Oriya, Punjabi, Tamil,
//! Telugu and Urdu. Generated data: each table maps a septet (0x00..=0x7F) to
//! a character; [`U`] marks a position the table leaves undefined (and the
//! 0x1B escape of the locking tables).
//!
//! Guarantee: every table has exactly 128 entries (checked by the type), and
//! no defined entry is [`U`].

/// Marker for an undefined position (never a valid character of any table).
pub(super) const U: char = '\0';

/// Locking shift table, language 0 (Default).
pub(super) const LOCKING_DEFAULT: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{E8}', '\u{E9}', '\u{F9}', '\u{EC}', // 0x00
    '\u{F2}', '\u{C7}', '\u{A}', '\u{D8}', '\u{F8}', '\u{D}', '\u{C5}', '\u{E5}', // 0x08
    '\u{394}', '_', '\u{3A6}', '\u{393}', '\u{39B}', '\u{3A9}', '\u{3A0}', '\u{3A8}', // 0x10
    '\u{3A3}', '\u{398}', '\u{39E}', U, '\u{C6}', '\u{E6}', '\u{DF}', '\u{C9}', // 0x18
    ' ', '!', '"', '#', '\u{A4}', '%', '&', '\'', // 0x20
    '(', ')', '*', '+', ',', '-', '.', '/', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '<', '=', '>', '?', // 0x38
    '\u{A1}', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', '\u{C4}', '\u{D6}', '\u{D1}', '\u{DC}', '\u{A7}', // 0x58
    '\u{BF}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{E4}', '\u{F6}', '\u{F1}', '\u{FC}', '\u{E0}', // 0x78
];

/// Locking shift table, language 1 (Turkish).
pub(super) const LOCKING_TURKISH: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{20AC}', '\u{E9}', '\u{F9}', '\u{131}', // 0x00
    '\u{F2}', '\u{C7}', '\u{A}', '\u{11E}', '\u{11F}', '\u{D}', '\u{C5}', '\u{E5}', // 0x08
    '\u{394}', '_', '\u{3A6}', '\u{393}', '\u{39B}', '\u{3A9}', '\u{3A0}', '\u{3A8}', // 0x10
    '\u{3A3}', '\u{398}', '\u{39E}', U, '\u{15E}', '\u{15F}', '\u{DF}', '\u{C9}', // 0x18
    ' ', '!', '"', '#', '\u{A4}', '%', '&', '\'', // 0x20
    '(', ')', '*', '+', ',', '-', '.', '/', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '<', '=', '>', '?', // 0x38
    '\u{130}', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', '\u{C4}', '\u{D6}', '\u{D1}', '\u{DC}', '\u{A7}', // 0x58
    '\u{E7}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{E4}', '\u{F6}', '\u{F1}', '\u{FC}', '\u{E0}', // 0x78
];

/// Locking shift table, language 3 (Portuguese).
pub(super) const LOCKING_PORTUGUESE: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{EA}', '\u{E9}', '\u{FA}', '\u{ED}', // 0x00
    '\u{F3}', '\u{E7}', '\u{A}', '\u{D4}', '\u{F4}', '\u{D}', '\u{C1}', '\u{E1}', // 0x08
    '\u{394}', '_', '\u{AA}', '\u{C7}', '\u{C0}', '\u{221E}', '^', '\\', // 0x10
    '\u{20AC}', '\u{D3}', '|', U, '\u{C2}', '\u{E2}', '\u{CA}', '\u{C9}', // 0x18
    ' ', '!', '"', '#', '\u{BA}', '%', '&', '\'', // 0x20
    '(', ')', '*', '+', ',', '-', '.', '/', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '<', '=', '>', '?', // 0x38
    '\u{CD}', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', '\u{C3}', '\u{D5}', '\u{DA}', '\u{DC}', '\u{A7}', // 0x58
    '~', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{E3}', '\u{F5}', '`', '\u{FC}', '\u{E0}', // 0x78
];

/// Locking shift table, language 4 (Bengali).
pub(super) const LOCKING_BENGALI: [char; 128] = [
    '\u{981}', '\u{982}', '\u{983}', '\u{985}', '\u{986}', '\u{987}', '\u{988}',
    '\u{989}', // 0x00
    '\u{98A}', '\u{98B}', '\u{A}', '\u{98C}', U, '\u{D}', U, '\u{98F}', // 0x08
    '\u{990}', U, U, '\u{993}', '\u{994}', '\u{995}', '\u{996}', '\u{997}', // 0x10
    '\u{998}', '\u{999}', '\u{99A}', U, '\u{99B}', '\u{99C}', '\u{99D}', '\u{99E}', // 0x18
    ' ', '!', '\u{99F}', '\u{9A0}', '\u{9A1}', '\u{9A2}', '\u{9A3}', '\u{9A4}', // 0x20
    ')', '(', '\u{9A5}', '\u{9A6}', ',', '\u{9A7}', '.', '\u{9A8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{9AA}', '\u{9AB}', '?', // 0x38
    '\u{9AC}', '\u{9AD}', '\u{9AE}', '\u{9AF}', '\u{9B0}', U, '\u{9B2}', U, // 0x40
    U, U, '\u{9B6}', '\u{9B7}', '\u{9B8}', '\u{9B9}', '\u{9BC}', '\u{9BD}', // 0x48
    '\u{9BE}', '\u{9BF}', '\u{9C0}', '\u{9C1}', '\u{9C2}', '\u{9C3}', '\u{9C4}', U, // 0x50
    U, '\u{9C7}', '\u{9C8}', U, U, '\u{9CB}', '\u{9CC}', '\u{9CD}', // 0x58
    '\u{9CE}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{9D7}', '\u{9DC}', '\u{9DD}', '\u{9F0}', '\u{9F1}', // 0x78
];

/// Locking shift table, language 5 (Gujarati).
pub(super) const LOCKING_GUJARATI: [char; 128] = [
    '\u{A81}', '\u{A82}', '\u{A83}', '\u{A85}', '\u{A86}', '\u{A87}', '\u{A88}',
    '\u{A89}', // 0x00
    '\u{A8A}', '\u{A8B}', '\u{A}', '\u{A8C}', '\u{A8D}', '\u{D}', U, '\u{A8F}', // 0x08
    '\u{A90}', '\u{A91}', U, '\u{A93}', '\u{A94}', '\u{A95}', '\u{A96}', '\u{A97}', // 0x10
    '\u{A98}', '\u{A99}', '\u{A9A}', U, '\u{A9B}', '\u{A9C}', '\u{A9D}', '\u{A9E}', // 0x18
    ' ', '!', '\u{A9F}', '\u{AA0}', '\u{AA1}', '\u{AA2}', '\u{AA3}', '\u{AA4}', // 0x20
    ')', '(', '\u{AA5}', '\u{AA6}', ',', '\u{AA7}', '.', '\u{AA8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{AAA}', '\u{AAB}', '?', // 0x38
    '\u{AAC}', '\u{AAD}', '\u{AAE}', '\u{AAF}', '\u{AB0}', U, '\u{AB2}', '\u{AB3}', // 0x40
    U, '\u{AB5}', '\u{AB6}', '\u{AB7}', '\u{AB8}', '\u{AB9}', '\u{ABC}', '\u{ABD}', // 0x48
    '\u{ABE}', '\u{ABF}', '\u{AC0}', '\u{AC1}', '\u{AC2}', '\u{AC3}', '\u{AC4}',
    '\u{AC5}', // 0x50
    U, '\u{AC7}', '\u{AC8}', '\u{AC9}', U, '\u{ACB}', '\u{ACC}', '\u{ACD}', // 0x58
    '\u{AD0}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{AE0}', '\u{AE1}', '\u{AE2}', '\u{AE3}', '\u{AF1}', // 0x78
];

/// Locking shift table, language 6 (Hindi).
pub(super) const LOCKING_HINDI: [char; 128] = [
    '\u{901}', '\u{902}', '\u{903}', '\u{905}', '\u{906}', '\u{907}', '\u{908}',
    '\u{909}', // 0x00
    '\u{90A}', '\u{90B}', '\u{A}', '\u{90C}', '\u{90D}', '\u{D}', '\u{90E}',
    '\u{90F}', // 0x08
    '\u{910}', '\u{911}', '\u{912}', '\u{913}', '\u{914}', '\u{915}', '\u{916}',
    '\u{917}', // 0x10
    '\u{918}', '\u{919}', '\u{91A}', U, '\u{91B}', '\u{91C}', '\u{91D}', '\u{91E}', // 0x18
    ' ', '!', '\u{91F}', '\u{920}', '\u{921}', '\u{922}', '\u{923}', '\u{924}', // 0x20
    ')', '(', '\u{925}', '\u{926}', ',', '\u{927}', '.', '\u{928}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '\u{929}', '\u{92A}', '\u{92B}', '?', // 0x38
    '\u{92C}', '\u{92D}', '\u{92E}', '\u{92F}', '\u{930}', '\u{931}', '\u{932}',
    '\u{933}', // 0x40
    '\u{934}', '\u{935}', '\u{936}', '\u{937}', '\u{938}', '\u{939}', '\u{93C}',
    '\u{93D}', // 0x48
    '\u{93E}', '\u{93F}', '\u{940}', '\u{941}', '\u{942}', '\u{943}', '\u{944}',
    '\u{945}', // 0x50
    '\u{946}', '\u{947}', '\u{948}', '\u{949}', '\u{94A}', '\u{94B}', '\u{94C}',
    '\u{94D}', // 0x58
    '\u{950}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{972}', '\u{97B}', '\u{97C}', '\u{97E}', '\u{97F}', // 0x78
];

/// Locking shift table, language 7 (Kannada).
pub(super) const LOCKING_KANNADA: [char; 128] = [
    U, '\u{C82}', '\u{C83}', '\u{C85}', '\u{C86}', '\u{C87}', '\u{C88}', '\u{C89}', // 0x00
    '\u{C8A}', '\u{C8B}', '\u{A}', '\u{C8C}', U, '\u{D}', '\u{C8E}', '\u{C8F}', // 0x08
    '\u{C90}', U, '\u{C92}', '\u{C93}', '\u{C94}', '\u{C95}', '\u{C96}', '\u{C97}', // 0x10
    '\u{C98}', '\u{C99}', '\u{C9A}', U, '\u{C9B}', '\u{C9C}', '\u{C9D}', '\u{C9E}', // 0x18
    ' ', '!', '\u{C9F}', '\u{CA0}', '\u{CA1}', '\u{CA2}', '\u{CA3}', '\u{CA4}', // 0x20
    ')', '(', '\u{CA5}', '\u{CA6}', ',', '\u{CA7}', '.', '\u{CA8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{CAA}', '\u{CAB}', '?', // 0x38
    '\u{CAC}', '\u{CAD}', '\u{CAE}', '\u{CAF}', '\u{CB0}', '\u{CB1}', '\u{CB2}',
    '\u{CB3}', // 0x40
    U, '\u{CB5}', '\u{CB6}', '\u{CB7}', '\u{CB8}', '\u{CB9}', '\u{CBC}', '\u{CBD}', // 0x48
    '\u{CBE}', '\u{CBF}', '\u{CC0}', '\u{CC1}', '\u{CC2}', '\u{CC3}', '\u{CC4}', U, // 0x50
    '\u{CC6}', '\u{CC7}', '\u{CC8}', U, '\u{CCA}', '\u{CCB}', '\u{CCC}', '\u{CCD}', // 0x58
    '\u{CD5}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{CD6}', '\u{CE0}', '\u{CE1}', '\u{CE2}', '\u{CE3}', // 0x78
];

/// Locking shift table, language 8 (Malayalam).
pub(super) const LOCKING_MALAYALAM: [char; 128] = [
    U, '\u{D02}', '\u{D03}', '\u{D05}', '\u{D06}', '\u{D07}', '\u{D08}', '\u{D09}', // 0x00
    '\u{D0A}', '\u{D0B}', '\u{A}', '\u{D0C}', U, '\u{D}', '\u{D0E}', '\u{D0F}', // 0x08
    '\u{D10}', U, '\u{D12}', '\u{D13}', '\u{D14}', '\u{D15}', '\u{D16}', '\u{D17}', // 0x10
    '\u{D18}', '\u{D19}', '\u{D1A}', U, '\u{D1B}', '\u{D1C}', '\u{D1D}', '\u{D1E}', // 0x18
    ' ', '!', '\u{D1F}', '\u{D20}', '\u{D21}', '\u{D22}', '\u{D23}', '\u{D24}', // 0x20
    ')', '(', '\u{D25}', '\u{D26}', ',', '\u{D27}', '.', '\u{D28}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{D2A}', '\u{D2B}', '?', // 0x38
    '\u{D2C}', '\u{D2D}', '\u{D2E}', '\u{D2F}', '\u{D30}', '\u{D31}', '\u{D32}',
    '\u{D33}', // 0x40
    '\u{D34}', '\u{D35}', '\u{D36}', '\u{D37}', '\u{D38}', '\u{D39}', U, '\u{D3D}', // 0x48
    '\u{D3E}', '\u{D3F}', '\u{D40}', '\u{D41}', '\u{D42}', '\u{D43}', '\u{D44}', U, // 0x50
    '\u{D46}', '\u{D47}', '\u{D48}', U, '\u{D4A}', '\u{D4B}', '\u{D4C}', '\u{D4D}', // 0x58
    '\u{D57}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{D60}', '\u{D61}', '\u{D62}', '\u{D63}', '\u{D79}', // 0x78
];

/// Locking shift table, language 9 (Oriya).
pub(super) const LOCKING_ORIYA: [char; 128] = [
    '\u{B01}', '\u{B02}', '\u{B03}', '\u{B05}', '\u{B06}', '\u{B07}', '\u{B08}',
    '\u{B09}', // 0x00
    '\u{B0A}', '\u{B0B}', '\u{A}', '\u{B0C}', U, '\u{D}', U, '\u{B0F}', // 0x08
    '\u{B10}', U, U, '\u{B13}', '\u{B14}', '\u{B15}', '\u{B16}', '\u{B17}', // 0x10
    '\u{B18}', '\u{B19}', '\u{B1A}', U, '\u{B1B}', '\u{B1C}', '\u{B1D}', '\u{B1E}', // 0x18
    ' ', '!', '\u{B1F}', '\u{B20}', '\u{B21}', '\u{B22}', '\u{B23}', '\u{B24}', // 0x20
    ')', '(', '\u{B25}', '\u{B26}', ',', '\u{B27}', '.', '\u{B28}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{B2A}', '\u{B2B}', '?', // 0x38
    '\u{B2C}', '\u{B2D}', '\u{B2E}', '\u{B2F}', '\u{B30}', U, '\u{B32}', '\u{B33}', // 0x40
    U, '\u{B35}', '\u{B36}', '\u{B37}', '\u{B38}', '\u{B39}', '\u{B3C}', '\u{B3D}', // 0x48
    '\u{B3E}', '\u{B3F}', '\u{B40}', '\u{B41}', '\u{B42}', '\u{B43}', '\u{B44}', U, // 0x50
    U, '\u{B47}', '\u{B48}', U, U, '\u{B4B}', '\u{B4C}', '\u{B4D}', // 0x58
    '\u{B56}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{B57}', '\u{B60}', '\u{B61}', '\u{B62}', '\u{B63}', // 0x78
];

/// Locking shift table, language 10 (Punjabi).
pub(super) const LOCKING_PUNJABI: [char; 128] = [
    '\u{A01}', '\u{A02}', '\u{A03}', '\u{A05}', '\u{A06}', '\u{A07}', '\u{A08}',
    '\u{A09}', // 0x00
    '\u{A0A}', U, '\u{A}', U, U, '\u{D}', U, '\u{A0F}', // 0x08
    '\u{A10}', U, U, '\u{A13}', '\u{A14}', '\u{A15}', '\u{A16}', '\u{A17}', // 0x10
    '\u{A18}', '\u{A19}', '\u{A1A}', U, '\u{A1B}', '\u{A1C}', '\u{A1D}', '\u{A1E}', // 0x18
    ' ', '!', '\u{A1F}', '\u{A20}', '\u{A21}', '\u{A22}', '\u{A23}', '\u{A24}', // 0x20
    ')', '(', '\u{A25}', '\u{A26}', ',', '\u{A27}', '.', '\u{A28}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{A2A}', '\u{A2B}', '?', // 0x38
    '\u{A2C}', '\u{A2D}', '\u{A2E}', '\u{A2F}', '\u{A30}', U, '\u{A32}', '\u{A33}', // 0x40
    U, '\u{A35}', '\u{A36}', U, '\u{A38}', '\u{A39}', '\u{A3C}', U, // 0x48
    '\u{A3E}', '\u{A3F}', '\u{A40}', '\u{A41}', '\u{A42}', U, U, U, // 0x50
    U, '\u{A47}', '\u{A48}', U, U, '\u{A4B}', '\u{A4C}', '\u{A4D}', // 0x58
    '\u{A51}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{A70}', '\u{A71}', '\u{A72}', '\u{A73}', '\u{A74}', // 0x78
];

/// Locking shift table, language 11 (Tamil).
pub(super) const LOCKING_TAMIL: [char; 128] = [
    U, '\u{B82}', '\u{B83}', '\u{B85}', '\u{B86}', '\u{B87}', '\u{B88}', '\u{B89}', // 0x00
    '\u{B8A}', U, '\u{A}', U, U, '\u{D}', '\u{B8E}', '\u{B8F}', // 0x08
    '\u{B90}', U, '\u{B92}', '\u{B93}', '\u{B94}', '\u{B95}', U, U, // 0x10
    U, '\u{B99}', '\u{B9A}', U, U, '\u{B9C}', U, '\u{B9E}', // 0x18
    ' ', '!', '\u{B9F}', U, U, U, '\u{BA3}', '\u{BA4}', // 0x20
    ')', '(', U, U, ',', U, '.', '\u{BA8}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '\u{BA9}', '\u{BAA}', U, '?', // 0x38
    U, U, '\u{BAE}', '\u{BAF}', '\u{BB0}', '\u{BB1}', '\u{BB2}', '\u{BB3}', // 0x40
    '\u{BB4}', '\u{BB5}', '\u{BB6}', '\u{BB7}', '\u{BB8}', '\u{BB9}', U, U, // 0x48
    '\u{BBE}', '\u{BBF}', '\u{BC0}', '\u{BC1}', '\u{BC2}', U, U, U, // 0x50
    '\u{BC6}', '\u{BC7}', '\u{BC8}', U, '\u{BCA}', '\u{BCB}', '\u{BCC}', '\u{BCD}', // 0x58
    '\u{BD0}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{BD7}', '\u{BF0}', '\u{BF1}', '\u{BF2}', '\u{BF9}', // 0x78
];

/// Locking shift table, language 12 (Telugu).
pub(super) const LOCKING_TELUGU: [char; 128] = [
    '\u{C01}', '\u{C02}', '\u{C03}', '\u{C05}', '\u{C06}', '\u{C07}', '\u{C08}',
    '\u{C09}', // 0x00
    '\u{C0A}', '\u{C0B}', '\u{A}', '\u{C0C}', U, '\u{D}', '\u{C0E}', '\u{C0F}', // 0x08
    '\u{C10}', U, '\u{C12}', '\u{C13}', '\u{C14}', '\u{C15}', '\u{C16}', '\u{C17}', // 0x10
    '\u{C18}', '\u{C19}', '\u{C1A}', U, '\u{C1B}', '\u{C1C}', '\u{C1D}', '\u{C1E}', // 0x18
    ' ', '!', '\u{C1F}', '\u{C20}', '\u{C21}', '\u{C22}', '\u{C23}', '\u{C24}', // 0x20
    ')', '(', '\u{C25}', '\u{C26}', ',', '\u{C27}', '.', '\u{C28}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', U, '\u{C2A}', '\u{C2B}', '?', // 0x38
    '\u{C2C}', '\u{C2D}', '\u{C2E}', '\u{C2F}', '\u{C30}', '\u{C31}', '\u{C32}',
    '\u{C33}', // 0x40
    U, '\u{C35}', '\u{C36}', '\u{C37}', '\u{C38}', '\u{C39}', U, '\u{C3D}', // 0x48
    '\u{C3E}', '\u{C3F}', '\u{C40}', '\u{C41}', '\u{C42}', '\u{C43}', '\u{C44}', U, // 0x50
    '\u{C46}', '\u{C47}', '\u{C48}', U, '\u{C4A}', '\u{C4B}', '\u{C4C}', '\u{C4D}', // 0x58
    '\u{C55}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{C56}', '\u{C60}', '\u{C61}', '\u{C62}', '\u{C63}', // 0x78
];

/// Locking shift table, language 13 (Urdu).
pub(super) const LOCKING_URDU: [char; 128] = [
    '\u{627}', '\u{622}', '\u{628}', '\u{67B}', '\u{680}', '\u{67E}', '\u{6A6}',
    '\u{62A}', // 0x00
    '\u{6C2}', '\u{67F}', '\u{A}', '\u{679}', '\u{67D}', '\u{D}', '\u{67A}',
    '\u{67C}', // 0x08
    '\u{62B}', '\u{62C}', '\u{681}', '\u{684}', '\u{683}', '\u{685}', '\u{686}',
    '\u{687}', // 0x10
    '\u{62D}', '\u{62E}', '\u{62F}', U, '\u{68C}', '\u{688}', '\u{689}', '\u{68A}', // 0x18
    ' ', '!', '\u{68F}', '\u{68D}', '\u{630}', '\u{631}', '\u{691}', '\u{693}', // 0x20
    ')', '(', '\u{699}', '\u{632}', ',', '\u{696}', '.', '\u{698}', // 0x28
    '0', '1', '2', '3', '4', '5', '6', '7', // 0x30
    '8', '9', ':', ';', '\u{69A}', '\u{633}', '\u{634}', '?', // 0x38
    '\u{635}', '\u{636}', '\u{637}', '\u{638}', '\u{639}', '\u{641}', '\u{642}',
    '\u{6A9}', // 0x40
    '\u{6AA}', '\u{6AB}', '\u{6AF}', '\u{6B3}', '\u{6B1}', '\u{644}', '\u{645}',
    '\u{646}', // 0x48
    '\u{6BA}', '\u{6BB}', '\u{6BC}', '\u{648}', '\u{6C4}', '\u{6D5}', '\u{6C1}',
    '\u{6BE}', // 0x50
    '\u{621}', '\u{6CC}', '\u{6D0}', '\u{6D2}', '\u{64D}', '\u{64F}', '\u{650}',
    '\u{657}', // 0x58
    '\u{654}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', // 0x60
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x68
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', // 0x70
    'x', 'y', 'z', '\u{651}', '\u{670}', '\u{655}', '\u{656}', '\u{653}', // 0x78
];

/// Single shift table, language 0 (Default).
pub(super) const SINGLE_DEFAULT: [char; 128] = [
    U, U, U, U, U, U, U, U, // 0x00
    U, U, '\u{C}', U, U, U, U, U, // 0x08
    U, U, U, U, '^', U, U, U, // 0x10
    U, U, U, U, U, U, U, U, // 0x18
    U, U, U, U, U, U, U, U, // 0x20
    '{', '}', U, U, U, U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', U, U, U, U, U, U, U, // 0x40
    U, U, U, U, U, U, U, U, // 0x48
    U, U, U, U, U, U, U, U, // 0x50
    U, U, U, U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 1 (Turkish).
pub(super) const SINGLE_TURKISH: [char; 128] = [
    U, U, U, U, U, U, U, U, // 0x00
    U, U, '\u{C}', U, U, U, U, U, // 0x08
    U, U, U, U, '^', U, U, U, // 0x10
    U, U, U, U, U, U, U, U, // 0x18
    U, U, U, U, U, U, U, U, // 0x20
    '{', '}', U, U, U, U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', U, U, U, U, U, U, '\u{11E}', // 0x40
    U, '\u{130}', U, U, U, U, U, U, // 0x48
    U, U, U, '\u{15E}', U, U, U, U, // 0x50
    U, U, U, U, U, U, U, U, // 0x58
    U, U, U, '\u{E7}', U, '\u{20AC}', U, '\u{11F}', // 0x60
    U, '\u{131}', U, U, U, U, U, U, // 0x68
    U, U, U, '\u{15F}', U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 2 (Spanish).
pub(super) const SINGLE_SPANISH: [char; 128] = [
    U, U, U, U, U, U, U, U, // 0x00
    U, '\u{E7}', '\u{C}', U, U, U, U, U, // 0x08
    U, U, U, U, '^', U, U, U, // 0x10
    U, U, U, U, U, U, U, U, // 0x18
    U, U, U, U, U, U, U, U, // 0x20
    '{', '}', U, U, U, U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', '\u{C1}', U, U, U, U, U, U, // 0x40
    U, '\u{CD}', U, U, U, U, U, '\u{D3}', // 0x48
    U, U, U, U, U, '\u{DA}', U, U, // 0x50
    U, U, U, U, U, U, U, U, // 0x58
    U, '\u{E1}', U, U, U, '\u{20AC}', U, U, // 0x60
    U, '\u{ED}', U, U, U, U, U, '\u{F3}', // 0x68
    U, U, U, U, U, '\u{FA}', U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 3 (Portuguese).
pub(super) const SINGLE_PORTUGUESE: [char; 128] = [
    U, U, U, U, U, '\u{EA}', U, U, // 0x00
    U, '\u{E7}', '\u{C}', '\u{D4}', '\u{F4}', U, '\u{C1}', '\u{E1}', // 0x08
    U, U, '\u{3A6}', '\u{393}', '^', '\u{3A9}', '\u{3A0}', '\u{3A8}', // 0x10
    '\u{3A3}', '\u{398}', U, U, U, U, U, '\u{CA}', // 0x18
    U, U, U, U, U, U, U, U, // 0x20
    '{', '}', U, U, U, U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', '\u{C0}', U, U, U, U, U, U, // 0x40
    U, '\u{CD}', U, U, U, U, U, '\u{D3}', // 0x48
    U, U, U, U, U, '\u{DA}', U, U, // 0x50
    U, U, U, '\u{C3}', '\u{D5}', U, U, U, // 0x58
    U, '\u{C2}', U, U, U, '\u{20AC}', U, U, // 0x60
    U, '\u{ED}', U, U, U, U, U, '\u{F3}', // 0x68
    U, U, U, U, U, '\u{FA}', U, U, // 0x70
    U, U, U, '\u{E3}', '\u{F5}', U, U, '\u{E2}', // 0x78
];

/// Single shift table, language 4 (Bengali).
pub(super) const SINGLE_BENGALI: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{9E6}', '\u{9E7}', U, '\u{9E8}', '\u{9E9}', '\u{9EA}', '\u{9EB}', // 0x18
    '\u{9EC}', '\u{9ED}', '\u{9EE}', '\u{9EF}', '\u{9DF}', '\u{9E0}', '\u{9E1}',
    '\u{9E2}', // 0x20
    '{', '}', '\u{9E3}', '\u{9F2}', '\u{9F3}', '\u{9F4}', '\u{9F5}', '\\', // 0x28
    '\u{9F6}', '\u{9F7}', '\u{9F8}', '\u{9F9}', '\u{9FA}', U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 5 (Gujarati).
pub(super) const SINGLE_GUJARATI: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{AE6}', '\u{AE7}', '\u{AE8}', '\u{AE9}', // 0x18
    '\u{AEA}', '\u{AEB}', '\u{AEC}', '\u{AED}', '\u{AEE}', '\u{AEF}', U, U, // 0x20
    '{', '}', U, U, U, U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 6 (Hindi).
pub(super) const SINGLE_HINDI: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{966}', '\u{967}', '\u{968}', '\u{969}', // 0x18
    '\u{96A}', '\u{96B}', '\u{96C}', '\u{96D}', '\u{96E}', '\u{96F}', '\u{952}',
    '\u{951}', // 0x20
    '{', '}', '\u{953}', '\u{954}', '\u{958}', '\u{959}', '\u{95A}', '\\', // 0x28
    '\u{95B}', '\u{95C}', '\u{95D}', '\u{95E}', '\u{95F}', '\u{960}', '\u{961}',
    '\u{962}', // 0x30
    '\u{963}', '\u{970}', '\u{971}', U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 7 (Kannada).
pub(super) const SINGLE_KANNADA: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{CE6}', '\u{CE7}', '\u{CE8}', '\u{CE9}', // 0x18
    '\u{CEA}', '\u{CEB}', '\u{CEC}', '\u{CED}', '\u{CEE}', '\u{CEF}', '\u{CDE}',
    '\u{CF1}', // 0x20
    '{', '}', '\u{CF2}', U, U, U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 8 (Malayalam).
pub(super) const SINGLE_MALAYALAM: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{D66}', '\u{D67}', '\u{D68}', '\u{D69}', // 0x18
    '\u{D6A}', '\u{D6B}', '\u{D6C}', '\u{D6D}', '\u{D6E}', '\u{D6F}', '\u{D70}',
    '\u{D71}', // 0x20
    '{', '}', '\u{D72}', '\u{D73}', '\u{D74}', '\u{D75}', '\u{D7A}', '\\', // 0x28
    '\u{D7B}', '\u{D7C}', '\u{D7D}', '\u{D7E}', '\u{D7F}', U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 9 (Oriya).
pub(super) const SINGLE_ORIYA: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{B66}', '\u{B67}', '\u{B68}', '\u{B69}', // 0x18
    '\u{B6A}', '\u{B6B}', '\u{B6C}', '\u{B6D}', '\u{B6E}', '\u{B6F}', '\u{B5C}',
    '\u{B5D}', // 0x20
    '{', '}', '\u{B5F}', '\u{B70}', '\u{B71}', U, U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 10 (Punjabi).
pub(super) const SINGLE_PUNJABI: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{A66}', '\u{A67}', '\u{A68}', '\u{A69}', // 0x18
    '\u{A6A}', '\u{A6B}', '\u{A6C}', '\u{A6D}', '\u{A6E}', '\u{A6F}', '\u{A59}',
    '\u{A5A}', // 0x20
    '{', '}', '\u{A5B}', '\u{A5C}', '\u{A5E}', '\u{A75}', U, '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 11 (Tamil).
pub(super) const SINGLE_TAMIL: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{964}', '\u{965}', U, '\u{BE6}', '\u{BE7}', '\u{BE8}', '\u{BE9}', // 0x18
    '\u{BEA}', '\u{BEB}', '\u{BEC}', '\u{BED}', '\u{BEE}', '\u{BEF}', '\u{BF3}',
    '\u{BF4}', // 0x20
    '{', '}', '\u{BF5}', '\u{BF6}', '\u{BF7}', '\u{BF8}', '\u{BFA}', '\\', // 0x28
    U, U, U, U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 12 (Telugu).
pub(super) const SINGLE_TELUGU: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', U, U, U, '\u{C66}', '\u{C67}', '\u{C68}', '\u{C69}', // 0x18
    '\u{C6A}', '\u{C6B}', '\u{C6C}', '\u{C6D}', '\u{C6E}', '\u{C6F}', '\u{C58}',
    '\u{C59}', // 0x20
    '{', '}', '\u{C78}', '\u{C79}', '\u{C7A}', '\u{C7B}', '\u{C7C}', '\\', // 0x28
    '\u{C7D}', '\u{C7E}', '\u{C7F}', U, U, U, U, U, // 0x30
    U, U, U, U, '[', '~', ']', U, // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// Single shift table, language 13 (Urdu).
pub(super) const SINGLE_URDU: [char; 128] = [
    '@', '\u{A3}', '$', '\u{A5}', '\u{BF}', '"', '\u{A4}', '%', // 0x00
    '&', '\'', '\u{C}', '*', '+', U, '-', '/', // 0x08
    '<', '=', '>', '\u{A1}', '^', '\u{A1}', '_', '#', // 0x10
    '*', '\u{600}', '\u{601}', U, '\u{6F0}', '\u{6F1}', '\u{6F2}', '\u{6F3}', // 0x18
    '\u{6F4}', '\u{6F5}', '\u{6F6}', '\u{6F7}', '\u{6F8}', '\u{6F9}', '\u{60C}',
    '\u{60D}', // 0x20
    '{', '}', '\u{60E}', '\u{60F}', '\u{610}', '\u{611}', '\u{612}', '\\', // 0x28
    '\u{613}', '\u{614}', '\u{61B}', '\u{61F}', '\u{640}', '\u{652}', '\u{658}',
    '\u{66B}', // 0x30
    '\u{66C}', '\u{672}', '\u{673}', '\u{6CD}', '[', '~', ']', '\u{6D4}', // 0x38
    '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', // 0x40
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x48
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', // 0x50
    'X', 'Y', 'Z', U, U, U, U, U, // 0x58
    U, U, U, U, U, '\u{20AC}', U, U, // 0x60
    U, U, U, U, U, U, U, U, // 0x68
    U, U, U, U, U, U, U, U, // 0x70
    U, U, U, U, U, U, U, U, // 0x78
];

/// The locking shift table for a national language identifier (0 = default
/// alphabet); `None` for identifiers without one (Spanish, reserved values).
pub(super) fn locking(id: u8) -> Option<&'static [char; 128]> {
    match id {
        0 => Some(&LOCKING_DEFAULT),
        1 => Some(&LOCKING_TURKISH),
        3 => Some(&LOCKING_PORTUGUESE),
        4 => Some(&LOCKING_BENGALI),
        5 => Some(&LOCKING_GUJARATI),
        6 => Some(&LOCKING_HINDI),
        7 => Some(&LOCKING_KANNADA),
        8 => Some(&LOCKING_MALAYALAM),
        9 => Some(&LOCKING_ORIYA),
        10 => Some(&LOCKING_PUNJABI),
        11 => Some(&LOCKING_TAMIL),
        12 => Some(&LOCKING_TELUGU),
        13 => Some(&LOCKING_URDU),
        _ => None,
    }
}

/// The single shift table for a national language identifier (0 = default
/// extension table); `None` for reserved identifiers.
pub(super) fn single(id: u8) -> Option<&'static [char; 128]> {
    match id {
        0 => Some(&SINGLE_DEFAULT),
        1 => Some(&SINGLE_TURKISH),
        2 => Some(&SINGLE_SPANISH),
        3 => Some(&SINGLE_PORTUGUESE),
        4 => Some(&SINGLE_BENGALI),
        5 => Some(&SINGLE_GUJARATI),
        6 => Some(&SINGLE_HINDI),
        7 => Some(&SINGLE_KANNADA),
        8 => Some(&SINGLE_MALAYALAM),
        9 => Some(&SINGLE_ORIYA),
        10 => Some(&SINGLE_PUNJABI),
        11 => Some(&SINGLE_TAMIL),
        12 => Some(&SINGLE_TELUGU),
        13 => Some(&SINGLE_URDU),
        _ => None,
    }
}
