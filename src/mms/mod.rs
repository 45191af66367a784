//! Sans-IO WSP/MMS codec (OMA MMS encapsulation). No I/O.
