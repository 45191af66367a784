//! The modem simulator (`gsmq sim`): behaves like real modems on a
//! pseudo-terminal, using the project's own PDU codec.
