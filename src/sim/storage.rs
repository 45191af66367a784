//! Message storage of a simulated modem (MODEM-SPEC §6.6): the `SM`, `ME`
//! and `SR` memories, each with a capacity, slots addressed with the
//! personality's index base, and the 27.005 message status values.
//!
//! Guarantees: capacity is never exceeded; an index outside the memory is
//! reported, never a panic; messages survive modem resets (the owner keeps
//! the `Storage` across resets).

use serde::Deserialize;

/// One of the three memories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemId {
    Sm,
    Me,
    Sr,
}

impl MemId {
    pub fn as_str(self) -> &'static str {
        match self {
            MemId::Sm => "SM",
            MemId::Me => "ME",
            MemId::Sr => "SR",
        }
    }

    pub fn parse(s: &str) -> Option<MemId> {
        match s.trim().trim_matches('"').to_ascii_uppercase().as_str() {
            "SM" => Some(MemId::Sm),
            "ME" | "MT" => Some(MemId::Me),
            "SR" => Some(MemId::Sr),
            _ => None,
        }
    }

    fn slot(self) -> usize {
        match self {
            MemId::Sm => 0,
            MemId::Me => 1,
            MemId::Sr => 2,
        }
    }
}

/// Capacities of the memories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSizes {
    pub sm: usize,
    pub me: usize,
    pub sr: usize,
}

impl Default for StorageSizes {
    fn default() -> Self {
        StorageSizes {
            sm: 30,
            me: 100,
            sr: 20,
        }
    }
}

/// 27.005 `<stat>` in PDU mode.
pub const REC_UNREAD: u8 = 0;
pub const REC_READ: u8 = 1;
pub const STO_SENT: u8 = 3;

/// A stored message: its status and the PDU including the SMSC octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub stat: u8,
    pub pdu: Vec<u8>,
}

impl Stored {
    /// TPDU length, as `+CMGR`/`+CMGL` report it (SMSC octets excluded).
    pub fn tpdu_len(&self) -> usize {
        let sca = self.pdu.first().map_or(0, |&n| usize::from(n) + 1);
        self.pdu.len().saturating_sub(sca)
    }
}

/// The three memories.
#[derive(Debug, Clone)]
pub struct Storage {
    mems: [Vec<Option<Stored>>; 3],
}

impl Storage {
    pub fn new(sizes: StorageSizes) -> Storage {
        Storage {
            mems: [
                vec![None; sizes.sm],
                vec![None; sizes.me],
                vec![None; sizes.sr],
            ],
        }
    }

    pub fn capacity(&self, mem: MemId) -> usize {
        self.mems[mem.slot()].len()
    }

    pub fn used(&self, mem: MemId) -> usize {
        self.mems[mem.slot()].iter().filter(|s| s.is_some()).count()
    }

    pub fn is_full(&self, mem: MemId) -> bool {
        self.used(mem) == self.capacity(mem)
    }

    /// Stores into the first free slot; returns the 0-based slot.
    pub fn store(&mut self, mem: MemId, msg: Stored) -> Option<usize> {
        let slots = &mut self.mems[mem.slot()];
        let free = slots.iter().position(Option::is_none)?;
        slots[free] = Some(msg);
        Some(free)
    }

    pub fn get_mut(&mut self, mem: MemId, slot: usize) -> Option<&mut Stored> {
        self.mems[mem.slot()].get_mut(slot).and_then(Option::as_mut)
    }

    /// Removes a slot; `Err(())` when the slot is outside the memory.
    pub fn delete(&mut self, mem: MemId, slot: usize) -> Result<Option<Stored>, ()> {
        let slots = &mut self.mems[mem.slot()];
        slots.get_mut(slot).map(Option::take).ok_or(())
    }

    /// Deletes by `AT+CMGD` flag 1..=4; returns how many were removed.
    pub fn delete_flag(&mut self, mem: MemId, flag: u8) -> usize {
        let mut n = 0;
        for s in self.mems[mem.slot()].iter_mut() {
            let hit = match s {
                Some(m) => match flag {
                    1 => m.stat == REC_READ,
                    2 => m.stat == REC_READ || m.stat == STO_SENT,
                    3 => m.stat != REC_UNREAD,
                    _ => true,
                },
                None => false,
            };
            if hit {
                *s = None;
                n += 1;
            }
        }
        n
    }

    /// Occupied slots in order.
    pub fn entries(&self, mem: MemId) -> impl Iterator<Item = (usize, &Stored)> {
        self.mems[mem.slot()]
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|m| (i, m)))
    }
}
