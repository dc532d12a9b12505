//! A typed workflow for benchmarks: 100 Task states, each a Rust handler taking and returning
//! the same struct. Compiled, the value passes from handler to handler as a Rust value; in the
//! interpreter (the exported ASL with the same handlers) every hop goes through JSON.

use serde::{Deserialize, Serialize};
use stepfn::{workflow, TaskError};

/// What travels along the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    /// Incremented by every step.
    pub n: u64,
    /// Carried along unchanged.
    pub label: String,
    /// Carried along unchanged.
    pub tags: Vec<String>,
}

/// One step: `n + 1`.
pub async fn step(c: Counter) -> Result<Counter, TaskError> {
    Ok(Counter { n: c.n + 1, ..c })
}

workflow! {
    /// 100 typed tasks in a row.
    pub TypedChain100(Counter) -> Counter {
        S0: task step -> S1;
        S1: task step -> S2;
        S2: task step -> S3;
        S3: task step -> S4;
        S4: task step -> S5;
        S5: task step -> S6;
        S6: task step -> S7;
        S7: task step -> S8;
        S8: task step -> S9;
        S9: task step -> S10;
        S10: task step -> S11;
        S11: task step -> S12;
        S12: task step -> S13;
        S13: task step -> S14;
        S14: task step -> S15;
        S15: task step -> S16;
        S16: task step -> S17;
        S17: task step -> S18;
        S18: task step -> S19;
        S19: task step -> S20;
        S20: task step -> S21;
        S21: task step -> S22;
        S22: task step -> S23;
        S23: task step -> S24;
        S24: task step -> S25;
        S25: task step -> S26;
        S26: task step -> S27;
        S27: task step -> S28;
        S28: task step -> S29;
        S29: task step -> S30;
        S30: task step -> S31;
        S31: task step -> S32;
        S32: task step -> S33;
        S33: task step -> S34;
        S34: task step -> S35;
        S35: task step -> S36;
        S36: task step -> S37;
        S37: task step -> S38;
        S38: task step -> S39;
        S39: task step -> S40;
        S40: task step -> S41;
        S41: task step -> S42;
        S42: task step -> S43;
        S43: task step -> S44;
        S44: task step -> S45;
        S45: task step -> S46;
        S46: task step -> S47;
        S47: task step -> S48;
        S48: task step -> S49;
        S49: task step -> S50;
        S50: task step -> S51;
        S51: task step -> S52;
        S52: task step -> S53;
        S53: task step -> S54;
        S54: task step -> S55;
        S55: task step -> S56;
        S56: task step -> S57;
        S57: task step -> S58;
        S58: task step -> S59;
        S59: task step -> S60;
        S60: task step -> S61;
        S61: task step -> S62;
        S62: task step -> S63;
        S63: task step -> S64;
        S64: task step -> S65;
        S65: task step -> S66;
        S66: task step -> S67;
        S67: task step -> S68;
        S68: task step -> S69;
        S69: task step -> S70;
        S70: task step -> S71;
        S71: task step -> S72;
        S72: task step -> S73;
        S73: task step -> S74;
        S74: task step -> S75;
        S75: task step -> S76;
        S76: task step -> S77;
        S77: task step -> S78;
        S78: task step -> S79;
        S79: task step -> S80;
        S80: task step -> S81;
        S81: task step -> S82;
        S82: task step -> S83;
        S83: task step -> S84;
        S84: task step -> S85;
        S85: task step -> S86;
        S86: task step -> S87;
        S87: task step -> S88;
        S88: task step -> S89;
        S89: task step -> S90;
        S90: task step -> S91;
        S91: task step -> S92;
        S92: task step -> S93;
        S93: task step -> S94;
        S94: task step -> S95;
        S95: task step -> S96;
        S96: task step -> S97;
        S97: task step -> S98;
        S98: task step -> S99;
        S99: task step end;
    }
}
